// The shared clock: state in Redis hash `${ns}:clock`, changes announced on `${ns}:clock:changed`;
// now() is synchronous from a cached copy kept fresh by pub/sub plus a slow periodic refresh.
import type { Redis } from 'ioredis';
import {
  clockHash,
  clockTime,
  initialClockState,
  nextClockState,
  parseClockHash,
  ClockInputError,
  type ClockSetInput,
  type ClockState,
} from './clock-math.js';
import { DomainError } from './errors.js';
import type { Logger } from './logger.js';
import { DEFAULT_TIME_ZONE, formatIso } from './time.js';

export type { ClockMode, ClockSetInput, ClockState } from './clock-math.js';

export interface Clock {
  /** clock epoch ms */
  now(): number;
  /** ISO 8601 with offset of `ms` (default: now) */
  iso(ms?: number): string;
  state(): ClockState;
  set(input: ClockSetInput): Promise<ClockState>;
  /**
   * Puts a durably kept state back (after Redis lost its data): stored and announced unless the shared clock
   * already has this version or a later one. Resolves with the state in force afterwards.
   */
  restore(state: ClockState): Promise<ClockState>;
  onChange(cb: (state: ClockState) => void): () => void;
  close(): Promise<void>;
}

export interface ClockOptions {
  log?: Logger;
  timeZone?: string;
  /** safety-net refresh in case a notification was lost while disconnected; default 5000 */
  refreshMs?: number;
  realNow?: () => number;
}

abstract class BaseClock implements Clock {
  protected current: ClockState;
  protected readonly listeners = new Set<(s: ClockState) => void>();
  protected readonly realNow: () => number;
  protected readonly timeZone: string;

  constructor(opts: { timeZone?: string; realNow?: () => number }) {
    this.realNow = opts.realNow ?? Date.now;
    this.timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
    this.current = initialClockState(this.realNow());
  }

  now(): number {
    return clockTime(this.current, this.realNow());
  }
  iso(ms: number = this.now()): string {
    return formatIso(ms, this.timeZone);
  }
  state(): ClockState {
    return { ...this.current };
  }
  onChange(cb: (s: ClockState) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  protected next(input: ClockSetInput): ClockState {
    try {
      return nextClockState(this.current, input, this.realNow());
    } catch (err) {
      if (err instanceof ClockInputError) throw new DomainError('VALIDATION', err.message);
      throw err;
    }
  }
  /** Adopts `s` if it is newer; tells listeners. */
  protected adopt(s: ClockState): void {
    if (s.version < this.current.version) return;
    if (s.version === this.current.version && s.mode === this.current.mode && s.originClockMs === this.current.originClockMs) {
      return;
    }
    this.current = s;
    for (const cb of this.listeners) {
      try {
        cb({ ...s });
      } catch {
        // a listener's bug must not stop the others
      }
    }
  }
  abstract set(input: ClockSetInput): Promise<ClockState>;
  abstract restore(state: ClockState): Promise<ClockState>;
  abstract close(): Promise<void>;
}

class LocalClock extends BaseClock {
  async set(input: ClockSetInput): Promise<ClockState> {
    const s = this.next(input);
    this.adopt(s);
    return { ...s };
  }
  async restore(state: ClockState): Promise<ClockState> {
    this.adopt(state);
    return this.state();
  }
  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** In-memory clock with the same interface (unit tests of domain code, scripts). */
export function createLocalClock(
  init: { mode?: ClockSetInput['mode']; timeMs?: number; speed?: number; realNow?: () => number; timeZone?: string } = {},
): Clock {
  const clock = new LocalClock(init);
  if (init.mode && init.mode !== 'real') void clock.set({ mode: init.mode, timeMs: init.timeMs, speed: init.speed });
  return clock;
}

class RedisClock extends BaseClock {
  private readonly sub: Redis;
  private readonly key: string;
  private readonly channel: string;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    ns: string,
    private readonly opts: ClockOptions,
  ) {
    super(opts);
    this.key = `${ns}:clock`;
    this.channel = `${ns}:clock:changed`;
    this.sub = redis.duplicate();
    this.sub.on('error', () => undefined); // the main connection logs Redis trouble
  }

  async start(): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const s = parseClockHash(JSON.parse(message) as Record<string, string>);
        if (s) this.adopt(s);
      } catch {
        this.opts.log?.warn({ message }, 'bad clock notification ignored');
      }
    });
    // after a reconnect the subscription is restored by ioredis; re-read in case a change was missed
    this.sub.on('ready', () => void this.refresh().catch(() => undefined));
    await this.sub.subscribe(this.channel);
    await this.refresh();
    const every = this.opts.refreshMs ?? 5000;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), every);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    const h = await this.redis.hgetall(this.key);
    const s = parseClockHash(h);
    if (s) this.adopt(s);
  }

  async set(input: ClockSetInput): Promise<ClockState> {
    await this.refresh();
    const s = this.next(input);
    const hash = clockHash(s);
    await this.redis.multi().hset(this.key, hash).publish(this.channel, JSON.stringify(hash)).exec();
    this.adopt(s);
    this.opts.log?.info({ clock: s }, 'clock changed');
    return { ...s };
  }

  async restore(state: ClockState): Promise<ClockState> {
    const stored = parseClockHash(await this.redis.hgetall(this.key));
    if (stored && stored.version >= state.version) {
      this.adopt(stored);
      return { ...stored };
    }
    const hash = clockHash(state);
    await this.redis.multi().hset(this.key, hash).publish(this.channel, JSON.stringify(hash)).exec();
    this.adopt(state);
    this.opts.log?.info({ clock: state }, 'clock restored');
    return { ...state };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    this.sub.disconnect();
  }
}

export async function createClock(redis: Redis, ns: string, opts: ClockOptions = {}): Promise<Clock> {
  const clock = new RedisClock(redis, ns, opts);
  await clock.start();
  return clock;
}

// ioredis connections that keep retrying with capped backoff + jitter; errors are logged, not thrown at random.
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export type { Redis };

export interface RedisConnectOptions {
  log?: Logger;
  name?: string;
  lazyConnect?: boolean;
  options?: RedisOptions;
}

export function backoffDelay(attempt: number, baseMs = 100, maxMs = 5000): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter": never 0, never above the cap
}

export function createRedis(url: string, opts: RedisConnectOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: opts.name,
    lazyConnect: opts.lazyConnect ?? false,
    retryStrategy: (times) => backoffDelay(times, 100, 5000),
    ...opts.options,
  });
  let lastLog = 0;
  redis.on('error', (err: Error) => {
    // while Redis is down ioredis emits an error per attempt: log at most once a second
    const now = Date.now();
    if (now - lastLog < 1000) return;
    lastLog = now;
    opts.log?.warn({ err: err.message, redis: opts.name }, 'redis connection error');
  });
  redis.on('ready', () => opts.log?.debug({ redis: opts.name }, 'redis ready'));
  return redis;
}

/** True when Redis answers PING within `timeoutMs`. */
export async function redisHealthy(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** `${ns}:generation`: set once with a random value; a missing or changed value means Redis lost its data. */
export function redisGenerationKey(ns: string): string {
  return `${ns}:generation`;
}

export interface RedisGenerationOptions {
  redis: Redis;
  ns: string;
  log?: Logger;
  /** how often the key is read (one GET); default 1000 */
  checkMs?: number;
  /** how long check() waits for that read before answering false; default 1000 */
  readTimeoutMs?: number;
  /** counts the losses noticed (`voltq_redis_data_losses_total`) */
  metrics?: Pick<Metrics, 'redisDataLosses'>;
}

/**
 * Notices that Redis was emptied (FLUSHALL, a restart without persistence, keys deleted): every service remembers
 * the generation it started with, reads it every `checkMs`, on every reconnect and on every readiness probe. On a
 * loss it takes the new generation (the first to notice sets one, SET NX) and runs the rebuild handlers in order;
 * until they all succeeded `rebuilt()` is false (readiness says so) and a failed handler runs again at the next check.
 */
export class RedisGeneration {
  readonly key: string;
  private current: string | null = null;
  private readonly handlers: { name: string; fn: () => Promise<void> | void }[] = [];
  private pending = false;
  private running: Promise<void> | undefined;
  private checking: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onReady = () => void this.check().catch(() => undefined);
  losses = 0;

  constructor(private readonly opts: RedisGenerationOptions) {
    this.key = redisGenerationKey(opts.ns);
  }

  /** Adopts (or sets, at first start) the generation and starts watching it. */
  async start(): Promise<void> {
    this.current = await this.take();
    this.opts.redis.on('ready', this.onReady);
    this.timer = setInterval(this.onReady, this.opts.checkMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.opts.redis.off('ready', this.onReady);
  }

  /** The generation this process works with. */
  value(): string | null {
    return this.current;
  }

  /** Runs `fn` after every loss (in registration order), before the service counts as rebuilt. */
  onLoss(name: string, fn: () => Promise<void> | void): void {
    this.handlers.push({ name, fn });
  }

  /** False from a noticed loss until every handler finished. */
  rebuilt(): boolean {
    return !this.pending && this.running === undefined;
  }

  /** Reads the key; on a loss starts the rebuild (not awaited). Resolves true when Redis has the known generation. */
  check(): Promise<boolean> {
    // while disconnected a GET would wait in ioredis's offline queue: not in sync, and the 'ready' event checks again
    if (this.opts.redis.status !== 'ready') return Promise.resolve(false);
    this.checking ??= this.checkNow().finally(() => {
      this.checking = undefined;
    });
    // a read sent just as the connection died waits for the reconnect (ioredis resends it): not in sync meanwhile,
    // and no caller hangs on it (a test once waited a minute here for the server it was about to restart)
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([this.checking, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.opts.readTimeoutMs ?? 1000)))]).finally(() =>
      clearTimeout(timer),
    );
  }

  /** Resolves once no rebuild is running (for tests and for callers that must wait). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async checkNow(): Promise<boolean> {
    const seen = await this.opts.redis.get(this.key);
    if (seen !== null && seen === this.current) {
      if (this.pending && !this.running) this.rebuild();
      return true;
    }
    const next = await this.take();
    this.opts.log?.warn({ redis: this.key, was: this.current, now: next }, 'redis lost its data (generation changed): rebuilding');
    this.current = next;
    this.losses++;
    this.opts.metrics?.redisDataLosses.inc();
    this.pending = true;
    if (!this.running) this.rebuild();
    return false;
  }

  private rebuild(): void {
    this.running = (async () => {
      while (this.pending) {
        this.pending = false;
        for (const h of this.handlers) {
          try {
            await h.fn();
          } catch (err) {
            this.opts.log?.error({ err, step: h.name }, 'rebuild after redis loss failed; retrying at the next check');
            this.pending = true;
            return;
          }
        }
        this.opts.log?.info({ redis: this.key }, 'rebuilt after redis loss');
      }
    })().finally(() => {
      this.running = undefined;
    });
  }

  private async take(): Promise<string> {
    await this.opts.redis.set(this.key, randomBytes(8).toString('hex'), 'NX');
    const v = await this.opts.redis.get(this.key);
    if (v === null) throw new Error(`${this.key} vanished while being set`);
    return v;
  }
}

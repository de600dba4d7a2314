// Clock-driven completions: one timer per station for its next due completion, in real time as the shared
// clock maps it (scaled clocks run faster, a manual clock never fires). Re-armed after every write, on every
// clock change, and by a slow poll (so a replica that did not make the last write still takes over the timer).
import { realDelayFor, type Clock, type Logger } from '@voltq/kit';

// setTimeout holds at most 2^31-1 ms; a later due instant is simply re-armed when this one fires.
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MS = 1000;

export interface ClockDriverDeps {
  clock: Clock;
  log: Logger;
  /** Applies every completion due by now; resolves to the station's next due instant. */
  fire: (stationId: string) => Promise<number | null>;
  /** Reads the station's next due instant (the poll). */
  nextDue: (stationId: string) => Promise<number | null>;
  pollMs: number;
}

export class ClockDriver {
  private readonly due = new Map<string, number | null>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly firing = new Set<string>();
  private pollTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly deps: ClockDriverDeps) {}

  start(stationIds: readonly string[]): void {
    for (const id of stationIds) this.due.set(id, this.due.get(id) ?? null);
    this.unsubscribe = this.deps.clock.onChange(() => this.rearmAll());
    this.pollTimer = setInterval(() => void this.poll(), this.deps.pollMs);
    this.pollTimer.unref();
    void this.poll();
  }

  /** The station's next completion is at `dueMs` (null: nothing charging). */
  arm(stationId: string, dueMs: number | null): void {
    if (this.stopped) return;
    this.due.set(stationId, dueMs);
    this.schedule(stationId);
  }

  rearmAll(): void {
    for (const id of this.due.keys()) this.schedule(id);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.pollTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(stationId: string, delayOverrideMs?: number): void {
    clearTimeout(this.timers.get(stationId));
    this.timers.delete(stationId);
    if (this.stopped || this.firing.has(stationId)) return;
    const dueMs = this.due.get(stationId);
    if (dueMs === null || dueMs === undefined) return;
    const delay = delayOverrideMs ?? realDelayFor(this.deps.clock.state(), dueMs - this.deps.clock.now());
    if (!Number.isFinite(delay)) return; // manual clock: only clockSet/clockAdvance move time
    const timer = setTimeout(() => void this.onTimer(stationId), Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(stationId, timer);
  }

  private async onTimer(stationId: string): Promise<void> {
    this.timers.delete(stationId);
    const dueMs = this.due.get(stationId);
    if (dueMs === null || dueMs === undefined || this.stopped) return;
    if (this.deps.clock.now() < dueMs) return this.schedule(stationId); // long delays come in pieces
    this.firing.add(stationId);
    try {
      const next = await this.deps.fire(stationId);
      this.firing.delete(stationId);
      this.arm(stationId, next);
    } catch (err) {
      this.firing.delete(stationId);
      this.deps.log.warn({ stationId, err: (err as Error).message }, 'completion timer failed; retrying');
      this.schedule(stationId, RETRY_MS);
    }
  }

  private async poll(): Promise<void> {
    for (const id of [...this.due.keys()]) {
      if (this.stopped || this.firing.has(id)) continue;
      try {
        const next = await this.deps.nextDue(id);
        if (next !== this.due.get(id) || !this.timers.has(id)) this.arm(id, next);
      } catch (err) {
        this.deps.log.warn({ stationId: id, err: (err as Error).message }, 'station poll failed');
      }
    }
  }
}

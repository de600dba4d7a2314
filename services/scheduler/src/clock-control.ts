// Moving the shared clock (the scheduler is its only writer). Time moving forward first plays every station up
// to the target, each completion at its own instant, then sets the clock; so once the answer arrives, every
// event up to that instant is in the outbox. Time moving back is allowed only for empty stations.
import type { ClockView } from '@voltq/contracts';
import { DomainError, type Clock, type ClockMode, type ClockState } from '@voltq/kit';

export interface StationTimeOps {
  stationIds: () => readonly string[];
  /** the instant the station's state has reached */
  stationTime: (stationId: string) => Promise<number>;
  /** play every completion due up to atMs */
  advanceTo: (stationId: string, atMs: number) => Promise<void>;
  /** move an empty station back to atMs (refused with STATION_BUSY when cars are queued) */
  rebaseTo: (stationId: string, atMs: number) => Promise<void>;
}

export class ClockControl {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly stations: StationTimeOps,
    private readonly realNow: () => number = Date.now,
    /** the durable copy of the setting (MongoDB), written after every change, before the answer */
    private readonly persist?: (state: ClockState) => Promise<void>,
  ) {}

  view(): ClockView {
    const s = this.clock.state();
    return { mode: s.mode, timeMs: this.clock.now(), speed: s.speed };
  }

  set(input: { mode: ClockMode; timeMs?: number; speed?: number }): Promise<ClockView> {
    return this.serial(async () => {
      const target = input.mode === 'real' ? this.realNow() : input.timeMs ?? this.clock.now();
      await this.moveStations(target);
      await this.persisted(await this.clock.set(input.mode === 'real' ? { mode: 'real' } : { mode: input.mode, timeMs: target, speed: input.speed }));
      return this.view();
    });
  }

  advance(input: { toMs?: number; seconds?: number }): Promise<ClockView> {
    return this.serial(async () => {
      if ((input.toMs === undefined) === (input.seconds === undefined)) {
        throw new DomainError('VALIDATION', 'give exactly one of `toMs` (or `to`) and `seconds`');
      }
      const { mode } = this.clock.state();
      if (mode === 'real') {
        throw new DomainError('CONFLICT', 'a real-time clock cannot be advanced: set the clock to manual (or scaled) first');
      }
      const now = this.clock.now();
      const target = input.toMs ?? now + Math.round((input.seconds ?? 0) * 1000);
      if (target < now) {
        // the clock's zone (kit formatIso), like every other time at the edge, not UTC
        throw new DomainError('VALIDATION', `advance moves time forward only: ${this.clock.iso(target)} is before now (${this.clock.iso(now)})`);
      }
      await this.moveStations(target);
      await this.persisted(await this.clock.set({ mode, timeMs: target }));
      return this.view();
    });
  }

  private async persisted(state: ClockState): Promise<void> {
    await this.persist?.(state);
  }

  private async moveStations(target: number): Promise<void> {
    const ids = this.stations.stationIds();
    const times = await Promise.all(ids.map((id) => this.stations.stationTime(id)));
    // stations ahead of the target first: a refused move back then leaves the others and the clock as they were
    const behind = ids.filter((_, i) => times[i]! > target);
    for (const id of behind) await this.stations.rebaseTo(id, target);
    for (const id of ids) if (!behind.includes(id)) await this.stations.advanceTo(id, target);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

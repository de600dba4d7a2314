// The in-process driver: the engine itself, one user per car, the scenario's clock as the station's clock.
import { formatKwh, formatYuan } from '@voltq/tariff';
import { applyCommand, nextDueAt } from '../commands.js';
import { board } from '../queries.js';
import { createStation } from '../state.js';
import type { Mode, StationCommand, StationEvent, StationState } from '../types.js';
import type { DriverOutcome, ScenarioDriver, StationSnapshot } from './driver.js';
import { stationConfigOf } from './settings.js';
import type { ScenarioSettings } from './settings.js';

export class EngineDriver implements ScenarioDriver {
  private state: StationState;
  /** carId -> its active order. */
  private readonly active = new Map<string, string>();
  private readonly requests = new Map<string, number>();
  private lastCompletionMs: number | null = null;
  /** Every event the engine emitted, in order (for tests and benchmarks that look deeper than the CSV). */
  readonly events: StationEvent[] = [];

  constructor(settings: ScenarioSettings, startMs: number) {
    this.state = createStation(stationConfigOf(settings), startMs);
  }

  get station(): StationState {
    return this.state;
  }

  async apply(atMs: number, carId: string, mode: Mode, energyWms: number): Promise<DriverOutcome> {
    const n = (this.requests.get(carId) ?? 0) + 1;
    const orderId = `${carId}.${n}`;
    const outcome = this.run({ type: 'submit', orderId, userId: carId, carId, mode, energyWms }, atMs);
    if (outcome.ok) {
      this.requests.set(carId, n);
      this.active.set(carId, orderId);
    }
    return outcome;
  }

  async cancel(atMs: number, carId: string): Promise<DriverOutcome> {
    return this.run({ type: 'cancel', orderId: this.orderOf(carId) }, atMs);
  }

  async change(atMs: number, carId: string, mode: Mode | null, energyWms: number | null): Promise<DriverOutcome> {
    return this.run({ type: 'modify', orderId: this.orderOf(carId), mode, energyWms }, atMs);
  }

  async pileFault(atMs: number, pileNo: string): Promise<DriverOutcome> {
    return this.run({ type: 'pileFault', pileNo }, atMs);
  }

  async pileRecover(atMs: number, pileNo: string): Promise<DriverOutcome> {
    return this.run({ type: 'pileRecover', pileNo }, atMs);
  }

  async snapshot(atMs: number): Promise<StationSnapshot> {
    const b = board(this.state, atMs);
    return {
      piles: b.piles.map((p) => ({
        pileNo: p.pileNo,
        state: p.state,
        queue: p.queue.map((c) => ({ carId: c.carId, chargedKwh: formatKwh(c.sessionChargedWms), feeYuan: formatYuan(c.sessionFeeFen) })),
      })),
      waiting: b.waitingArea.map((c) => ({ carId: c.carId, mode: c.mode, requestedKwh: formatKwh(c.requestedWms) })),
      faultQueue: b.faultQueue.map((c) => ({ carId: c.carId, mode: c.mode, remainingKwh: formatKwh(c.remainingWms) })),
    };
  }

  async finish(atMs: number): Promise<number | null> {
    this.run({ type: 'advance' }, atMs);
    for (let due = nextDueAt(this.state); due !== null; due = nextDueAt(this.state)) {
      this.run({ type: 'advance' }, due);
    }
    return this.lastCompletionMs;
  }

  async close(): Promise<void> {}

  /** An order id for the car's active request, or one that no request has, so the engine refuses it. */
  private orderOf(carId: string): string {
    return this.active.get(carId) ?? `${carId}.none`;
  }

  private run(command: StationCommand, atMs: number): DriverOutcome {
    const result = applyCommand(this.state, command, atMs);
    if (!result.ok) return { ok: false, code: result.error.code };
    this.state = result.state;
    for (const e of result.events) {
      this.events.push(e);
      if (e.type === 'orderFinished' && this.active.get(e.carId) === e.orderId) this.active.delete(e.carId);
      if (e.type === 'sessionEnded' && e.reason === 'completed') {
        this.lastCompletionMs = Math.max(this.lastCompletionMs ?? e.endedAt, e.endedAt);
      }
    }
    return { ok: true };
  }
}

// Shared by the tests: a station driven at local wall-clock times, with its layout by car id.
import { applyCommand, createStation } from '../src/index.js';
import type { Mode, StationCommand, StationConfigInput, StationError, StationEvent, StationState } from '../src/index.js';

export const KWH = 3_600_000_000;
export const MIN = 60_000;
/** 2026-01-01 00:00 in Asia/Shanghai (UTC+8, no DST). */
export const DAY0 = Date.UTC(2025, 11, 31, 16, 0);

/** 'HH:MM' (or 'HH:MM:SS') on 2026-01-01 Asia/Shanghai, plus `day` days. */
export function at(hhmm: string, day = 0): number {
  const [h, m, s] = hhmm.split(':').map(Number);
  return DAY0 + day * 86_400_000 + ((h ?? 0) * 60 + (m ?? 0)) * MIN + (s ?? 0) * 1000;
}

export class Station {
  state: StationState;
  readonly events: StationEvent[] = [];

  constructor(config: StationConfigInput = {}, start = at('00:00')) {
    this.state = createStation(config, start);
  }

  /** Applies a command that must be accepted; returns its events. */
  do(command: StationCommand, when: number): StationEvent[] {
    const r = applyCommand(this.state, command, when);
    if (!r.ok) throw new Error(`refused ${command.type}: ${r.error.code} ${r.error.message}`);
    this.state = r.state;
    this.events.push(...r.events);
    return r.events;
  }

  /** Applies a command that must be refused, checking the state object did not change. */
  refuse(command: StationCommand, when: number): StationError {
    const before = JSON.stringify(this.state);
    const r = applyCommand(this.state, command, when);
    if (r.ok) throw new Error(`accepted ${command.type} that should be refused`);
    if (r.state !== this.state || JSON.stringify(this.state) !== before) throw new Error('a refusal changed the state');
    return r.error;
  }

  /** Car `carId` applies; its order id is `carId` (or `carId.k` for its k-th request). */
  submit(carId: string, mode: Mode, kwh: number, when: number): StationEvent[] {
    return this.do({ type: 'submit', orderId: this.orderId(carId, true), userId: `u-${carId}`, carId, mode, energyWms: kwh * KWH }, when);
  }

  private readonly orders = new Map<string, number>();
  orderId(carId: string, fresh = false): string {
    const k = (this.orders.get(carId) ?? 0) + (fresh ? 1 : 0);
    if (fresh) this.orders.set(carId, k);
    return k <= 1 ? carId : `${carId}.${k}`;
  }

  advance(when: number): StationEvent[] {
    return this.do({ type: 'advance' }, when);
  }

  /** { F1: ['V1', 'V3'], …, waiting: [...], fault: [...] } by car id. */
  layout(): { waiting: string[]; fault: string[]; [pile: string]: string[] } {
    const out: { waiting: string[]; fault: string[]; [pile: string]: string[] } = { waiting: [], fault: [] };
    for (const p of this.state.piles) out[p.pileNo] = p.state === 'working' ? p.queue.map((c) => c.carId) : ['FAULT'];
    out.waiting = this.state.waiting.map((c) => c.carId);
    out.fault = this.state.faultQueue.map((c) => c.carId);
    return out;
  }

  car(carId: string) {
    for (const c of [...this.state.piles.flatMap((p) => p.queue), ...this.state.waiting, ...this.state.faultQueue]) {
      if (c.carId === carId) return c;
    }
    return null;
  }
}

export function ofType<T extends StationEvent['type']>(events: StationEvent[], type: T): Array<Extract<StationEvent, { type: T }>> {
  return events.filter((e): e is Extract<StationEvent, { type: T }> => e.type === type);
}

// Creating, copying and reading the station state; the working context a command mutates.
import { createTariff, feeForConstantPower } from '@voltq/tariff';
import type { FeeBreakdown, Tariff } from '@voltq/tariff';
import { buildPiles, resolveConfig } from './config.js';
import { localDay } from './numbering.js';
import type {
  CarEntry, CarRef, Mode, Pile, Place, Session, StationConfig, StationConfigInput, StationEvent, StationState,
} from './types.js';

/** Thrown by createStation for a configuration it cannot accept. */
export class StationConfigError extends Error {
  readonly code = 'BAD_CONFIG';
  override readonly name = 'StationConfigError';
}

export function createStation(config: StationConfigInput, atMs: number): StationState {
  if (!Number.isSafeInteger(atMs)) throw new StationConfigError(`atMs must be an integer epoch ms, got ${String(atMs)}`);
  const resolved = resolveConfig(config, null);
  if (!resolved.ok) throw new StationConfigError(resolved.error.message);
  const { day, dayEndsAt } = localDay(atMs, resolved.config.timeZone);
  return {
    version: 1,
    config: resolved.config,
    nowMs: atMs,
    numbering: { day, dayEndsAt, nextFast: 1, nextSlow: 1 },
    nextSeq: 1,
    piles: buildPiles(resolved.config, []),
    waiting: [],
    faultQueue: [],
  };
}

/**
 * A deep copy of everything a command may change (the config and tariff are replaced, never mutated, so they
 * are shared). Hand-written because it runs on every command and structuredClone is several times slower.
 */
export function cloneState(s: StationState): StationState {
  return {
    version: s.version,
    config: s.config,
    nowMs: s.nowMs,
    numbering: { ...s.numbering },
    nextSeq: s.nextSeq,
    piles: s.piles.map((p) => ({ ...p, queue: p.queue.map(cloneCar), totals: { ...p.totals } })),
    waiting: s.waiting.map(cloneCar),
    faultQueue: s.faultQueue.map(cloneCar),
  };
}

function cloneCar(c: CarEntry): CarEntry {
  return { ...c, session: c.session === null ? null : { ...c.session } };
}

/** What a command works on: a private copy of the state, the events so far, the current instant. */
export interface Ctx {
  state: StationState;
  events: StationEvent[];
  at: number;
  tariff: Tariff;
}

// A few tariffs at most are alive at once (one per station config); compiling one is not free.
const tariffCache = new Map<string, Tariff>();

export function stationTariff(config: StationConfig): Tariff {
  const key = JSON.stringify(config.tariff);
  let t = tariffCache.get(key);
  if (t === undefined) {
    if (tariffCache.size >= 64) tariffCache.clear();
    t = createTariff(config.tariff);
    tariffCache.set(key, t);
  }
  return t;
}

// ---- arithmetic ------------------------------------------------------------------------------------------------

/** ceil(energyWms / powerW) in whole ms, exact for safe integers. */
export function durationMs(energyWms: number, powerW: number): number {
  let q = Math.floor(energyWms / powerW);
  if (q * powerW > energyWms) q -= 1;
  if (q * powerW < energyWms) q += 1;
  return q;
}

/** Energy a session has delivered by `atMs`: min(target, P × elapsed). */
export function sessionEnergyWms(s: Session, atMs: number): number {
  const elapsed = Math.max(0, Math.min(atMs, s.endsAt) - s.startedAt);
  return Math.min(s.targetWms, s.powerW * elapsed);
}

export function sessionFee(tariff: Tariff, s: Session, atMs: number): FeeBreakdown {
  const endMs = Math.max(s.startedAt, Math.min(atMs, s.endsAt));
  return feeForConstantPower(tariff, { startMs: s.startedAt, endMs, powerW: s.powerW, maxEnergyWms: s.targetWms });
}

export function remainingWms(car: CarEntry): number {
  return car.requestedWms - car.deliveredWms;
}

// ---- lookups -----------------------------------------------------------------------------------------------------

export interface Located {
  car: CarEntry;
  place: Place;
  pile: Pile | null;
  /** Index in its list (pile queue, waiting area or fault queue). */
  index: number;
}

export function locate(state: StationState, orderId: string): Located | null {
  for (const pile of state.piles) {
    const index = pile.queue.findIndex((c) => c.orderId === orderId);
    if (index >= 0) return { car: pile.queue[index]!, place: 'pile', pile, index };
  }
  let index = state.waiting.findIndex((c) => c.orderId === orderId);
  if (index >= 0) return { car: state.waiting[index]!, place: 'waiting', pile: null, index };
  index = state.faultQueue.findIndex((c) => c.orderId === orderId);
  if (index >= 0) return { car: state.faultQueue[index]!, place: 'faultQueue', pile: null, index };
  return null;
}

export function allCars(state: StationState): CarEntry[] {
  return [...state.piles.flatMap((p) => p.queue), ...state.waiting, ...state.faultQueue];
}

export function carRef(car: CarEntry): CarRef {
  return { orderId: car.orderId, userId: car.userId, carId: car.carId, queueNo: car.queueNo, mode: car.mode };
}

export function modePiles(state: StationState, mode: Mode): Pile[] {
  return state.piles.filter((p) => p.mode === mode);
}

export function isEmpty(state: StationState): boolean {
  return state.waiting.length === 0 && state.faultQueue.length === 0 && state.piles.every((p) => p.queue.length === 0);
}

// Creating, copying and reading the station state; the working context a command mutates.
import { createTariff, feeForConstantPower } from '@voltq/tariff';
import type { FeeBreakdown, Tariff } from '@voltq/tariff';
import { buildPiles, readStoredConfig, resolveConfig } from './config.js';
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
    // a state stored before power was kept in W is read in W from here on
    config: readStoredConfig(s.config),
    nowMs: s.nowMs,
    numbering: { ...s.numbering },
    nextSeq: s.nextSeq,
    piles: s.piles.map((p) => ({
      pileNo: p.pileNo, mode: p.mode, powerW: p.powerW, state: p.state, queue: p.queue.map(cloneCar), totals: { ...p.totals },
      // states stored before these fields existed read as a modelled pile
      driven: p.driven === true, faultReason: p.faultReason ?? null,
    })),
    waiting: s.waiting.map(cloneCar),
    faultQueue: s.faultQueue.map(cloneCar),
  };
}

// Field by field: an object literal of known shape is several times faster to build than a spread.
function cloneCar(c: CarEntry): CarEntry {
  const s = c.session;
  return {
    orderId: c.orderId,
    userId: c.userId,
    carId: c.carId,
    mode: c.mode,
    queueNo: c.queueNo,
    seq: c.seq,
    requestedWms: c.requestedWms,
    deliveredWms: c.deliveredWms,
    feeFen: c.feeFen,
    chargedMs: c.chargedMs,
    sessionCount: c.sessionCount,
    createdAt: c.createdAt,
    placedAt: c.placedAt,
    session: s === null ? null : {
      sessionId: s.sessionId, pileNo: s.pileNo, powerW: s.powerW, startedAt: s.startedAt, targetWms: s.targetWms,
      endsAt: s.endsAt, starting: s.starting === true,
    },
  };
}

/** What a command works on: a private copy of the state, the events so far, the current instant. */
export interface Ctx {
  state: StationState;
  events: StationEvent[];
  at: number;
  tariff: Tariff;
}

// A few tariffs at most are alive at once (one per station config); compiling one is not free. States share
// their config object from command to command, so the object is the fast key; its JSON covers copies.
const tariffBySpec = new WeakMap<object, Tariff>();
const tariffByJson = new Map<string, Tariff>();

export function stationTariff(config: StationConfig): Tariff {
  let t = tariffBySpec.get(config.tariff);
  if (t !== undefined) return t;
  const key = JSON.stringify(config.tariff);
  t = tariffByJson.get(key);
  if (t === undefined) {
    if (tariffByJson.size >= 64) tariffByJson.clear();
    t = createTariff(config.tariff);
    tariffByJson.set(key, t);
  }
  tariffBySpec.set(config.tariff, t);
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

/** Energy a session has delivered by `atMs`: min(target, P × elapsed); nothing before the pile confirmed it. */
export function sessionEnergyWms(s: Session, atMs: number): number {
  if (s.starting === true) return 0;
  const elapsed = Math.max(0, Math.min(atMs, s.endsAt) - s.startedAt);
  return Math.min(s.targetWms, s.powerW * elapsed);
}

export function sessionFee(tariff: Tariff, s: Session, atMs: number): FeeBreakdown {
  const endMs = s.starting === true ? s.startedAt : Math.max(s.startedAt, Math.min(atMs, s.endsAt));
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

/** Whether any car in the station matches (without building a list: this runs on every request). */
export function someCar(state: StationState, test: (car: CarEntry) => boolean): boolean {
  return state.piles.some((p) => p.queue.some(test)) || state.waiting.some(test) || state.faultQueue.some(test);
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

// Read-only views: the admin board, one request's position, pile totals. Each takes the instant it is asked
// at and first plays every completion due up to it (on a copy), so the view never shows a finished charge.
import { applyCommand } from './commands.js';
import { locate, remainingWms, sessionEnergyWms, sessionFee, stationTariff } from './state.js';
import type { Tariff } from '@voltq/tariff';
import type { CarEntry, CarRef, Mode, PileState, StationState } from './types.js';

/**
 * Where a car stands, in the contracts' words (@voltq/contracts QueueState) plus one of the engine's own:
 * 'starting', the head of a device-driven pile, told to start, not confirmed yet (no energy, no fee).
 * services/scheduler/src/mapping.ts maps them (QUEUE_STATE_OF_CAR).
 */
export type CarState = 'waiting' | 'dispatched' | 'starting' | 'charging' | 'fault-queued';

/** Whose request a car is and where it stands: what a board cell and a position both start with. */
export interface CarIdentity extends CarRef {
  state: CarState;
}

/** A car's figures at an instant: what a board cell and a position both show. */
export interface CarFigures extends CarIdentity {
  requestedWms: number;
  /** Energy of the current session so far (0 unless charging): what a pile cell shows. */
  sessionChargedWms: number;
  /** Fee of the current session so far. */
  sessionFeeFen: number;
  /** Energy delivered to this request over all its sessions, including the current one. */
  requestChargedWms: number;
  /** Fee of all its sessions, including the current one. */
  requestFeeFen: number;
  /** What it still lacks now. */
  remainingWms: number;
  /** Time since the request was made that it has not been charging. */
  waitingMs: number;
}

export interface BoardCar extends CarFigures {
  sessionId: string | null;
  startedAt: number | null;
  expectedEndAt: number | null;
}

export interface BoardPile {
  pileNo: string;
  mode: Mode;
  state: PileState;
  powerW: number;
  queue: BoardCar[];
  /** a device drives the pile (sessions start from its report) */
  driven: boolean;
  /** why it is down, when known (a start the pile did not confirm) */
  faultReason: string | null;
}

export interface Board {
  stationId: string;
  time: number;
  version: number;
  piles: BoardPile[];
  waitingArea: BoardCar[];
  faultQueue: BoardCar[];
}

export interface Position extends CarFigures {
  /** Cars that come before it: same-mode fault-queue cars and earlier waiting cars while waiting (all modes in
   * batch-min-total), the cars before it in its pile queue, the same-mode fault-queue cars before it. */
  carsAhead: number;
  pileNo: string | null;
  /** 1 = charging head of the pile. */
  pilePosition: number | null;
  createdAt: number;
}

export interface PileTotalsRow {
  pileNo: string;
  mode: Mode;
  state: PileState;
  powerW: number;
  sessions: number;
  durationMs: number;
  energyWms: number;
  feeFen: number;
}

/** The station as it is at `atMs` (completions due by then processed). */
export function stateAt(state: StationState, atMs: number): StationState {
  if (atMs <= state.nowMs) return state;
  const result = applyCommand(state, { type: 'advance' }, atMs);
  return result.ok ? result.state : state;
}

export function board(state: StationState, atMs: number): Board {
  const s = stateAt(state, atMs);
  const at = Math.max(atMs, s.nowMs);
  const tariff = stationTariff(s.config);
  return {
    stationId: s.config.stationId,
    time: at,
    version: s.version,
    piles: s.piles.map((p) => ({
      pileNo: p.pileNo,
      mode: p.mode,
      state: p.state,
      powerW: p.powerW,
      queue: p.queue.map((c) => boardCar(c, pileCarState(c), tariff, at)),
      driven: p.driven === true,
      faultReason: p.faultReason ?? null,
    })),
    waitingArea: s.waiting.map((c) => boardCar(c, 'waiting', tariff, at)),
    faultQueue: s.faultQueue.map((c) => boardCar(c, 'fault-queued', tariff, at)),
  };
}

/** One request's place and progress, or null when it is not active (unknown, finished or cancelled). */
export function position(state: StationState, orderId: string, atMs: number): Position | null {
  const s = stateAt(state, atMs);
  const at = Math.max(atMs, s.nowMs);
  const found = locate(s, orderId);
  if (found === null) return null;
  const { car, place, pile, index } = found;
  let carState: CarState;
  let carsAhead: number;
  if (place === 'pile') {
    carState = pileCarState(car);
    carsAhead = index;
  } else if (place === 'faultQueue') {
    carState = 'fault-queued';
    carsAhead = s.faultQueue.slice(0, index).filter((c) => c.mode === car.mode).length;
  } else {
    carState = 'waiting';
    const anyMode = s.config.dispatchMode === 'batch-min-total';
    carsAhead = s.faultQueue.filter((c) => c.mode === car.mode).length +
      s.waiting.slice(0, index).filter((c) => anyMode || c.mode === car.mode).length;
  }
  const view = boardCar(car, carState, stationTariff(s.config), at);
  return {
    ...identity(car, carState),
    carsAhead,
    pileNo: pile ? pile.pileNo : null,
    pilePosition: pile ? index + 1 : null,
    requestedWms: car.requestedWms,
    requestChargedWms: view.requestChargedWms,
    requestFeeFen: view.requestFeeFen,
    sessionChargedWms: view.sessionChargedWms,
    sessionFeeFen: view.sessionFeeFen,
    remainingWms: view.remainingWms,
    waitingMs: view.waitingMs,
    createdAt: car.createdAt,
  };
}

/** Ended sessions per pile since the station was created. */
export function pileTotals(state: StationState): PileTotalsRow[] {
  return state.piles.map((p) => ({
    pileNo: p.pileNo, mode: p.mode, state: p.state, powerW: p.powerW, ...p.totals,
  }));
}

function pileCarState(car: CarEntry): CarState {
  return car.session === null ? 'dispatched' : car.session.starting === true ? 'starting' : 'charging';
}

function identity(car: CarEntry, state: CarState): CarIdentity {
  return { orderId: car.orderId, userId: car.userId, carId: car.carId, queueNo: car.queueNo, mode: car.mode, state };
}

function boardCar(car: CarEntry, state: CarState, tariff: Tariff, at: number): BoardCar {
  const s = car.session;
  const sessionChargedWms = s ? sessionEnergyWms(s, at) : 0;
  const sessionFeeFen = s ? sessionFee(tariff, s, at).totalFen : 0;
  const chargingMs = car.chargedMs + (s && s.starting !== true ? Math.max(0, at - s.startedAt) : 0);
  // Fields written out rather than spread from identity(): this runs for every car on every board, and a spread
  // here made the scenario runner ten times slower (scripts/bench/scheduling).
  return {
    orderId: car.orderId,
    userId: car.userId,
    carId: car.carId,
    queueNo: car.queueNo,
    mode: car.mode,
    state,
    requestedWms: car.requestedWms,
    sessionChargedWms,
    sessionFeeFen,
    requestChargedWms: car.deliveredWms + sessionChargedWms,
    requestFeeFen: car.feeFen + sessionFeeFen,
    remainingWms: remainingWms(car) - sessionChargedWms,
    waitingMs: Math.max(0, at - car.createdAt - chargingMs),
    sessionId: s ? s.sessionId : null,
    startedAt: s ? s.startedAt : null,
    expectedEndAt: s && s.starting !== true ? s.endsAt : null,
  };
}

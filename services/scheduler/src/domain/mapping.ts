// Pure translations between the station engine (@voltq/scheduling) and the bus contracts (@voltq/contracts):
// engine events -> contract events, engine views -> RPC results, engine refusals -> domain error codes.
import type {
  BoardResult,
  ErrorCode,
  MessagePayload,
  MessageType,
  PileState as ContractPileState,
  PileView,
  QueueEntryView,
  QueueState,
  StationConfig as ContractStationConfig,
} from '@voltq/contracts';
import type {
  Board,
  BoardCar,
  BoardPile,
  CarFigures,
  CarState,
  PileState as EnginePileState,
  Position,
  SessionEndedEvent,
  SessionStartedEvent,
  StationConfig as EngineStationConfig,
  StationConfigInput,
  StationErrorCode,
  StationEvent,
  StationState,
} from '@voltq/scheduling';
import { readStoredConfig } from '@voltq/scheduling';

/** A contract event ready to be wrapped in an envelope; `atMs` is its clock instant (the envelope's occurredAt). */
export interface OutgoingEvent<K extends MessageType = MessageType> {
  type: K;
  payload: MessagePayload<K>;
  atMs: number;
}

// The engine needs a car identity for "one active request per car"; a request without a car uses its user.
const USER_CAR_PREFIX = '~user:';

export function engineCarId(userId: string, carId: string | undefined): string {
  return carId ?? `${USER_CAR_PREFIX}${userId}`;
}

/** The contract's optional carId: absent when the engine's id stands for the user. */
export function contractCarId(engineId: string): { carId?: string } {
  return engineId.startsWith(USER_CAR_PREFIX) ? {} : { carId: engineId };
}

function ev<K extends MessageType>(type: K, payload: MessagePayload<K>, atMs: number): OutgoingEvent {
  return { type, payload, atMs } as OutgoingEvent;
}

/** Room for the events of one station write in an order sequence number. */
export const ORDER_SEQ_SPAN = 2 ** 20;

/**
 * The per-order sequence (`orderSeq`) of the `index`-th engine event of the write that made station `version`:
 * both grow (every write with events raises the fencing version by one, and a write's events come in order), so
 * every later event of an order has a larger number, with no engine change.
 */
export function orderSeqOf(version: number, index: number): number {
  return version * ORDER_SEQ_SPAN + Math.min(index, ORDER_SEQ_SPAN - 2);
}

/** The sequence of an RPC answer describing the state after the write that made `version`: newer than its events. */
export function answerOrderSeq(version: number): number {
  return version * ORDER_SEQ_SPAN + ORDER_SEQ_SPAN - 1;
}

/**
 * Contract events announcing what one command did. `after` is the state the command produced (for the few
 * facts an engine event leaves out: the issue sequence of a queued car and whether a working pile charges).
 */
export function toContractEvents(
  stationId: string,
  events: readonly StationEvent[],
  after: StationState,
  /** the station's tariff, named on session.started/ended (billing prices by it; absent: `default`) */
  tariffId?: string,
): OutgoingEvent[] {
  const tariff = tariffId !== undefined ? { tariffId } : {};
  const out: OutgoingEvent[] = [];
  events.forEach((e, i) => {
    const orderSeq = orderSeqOf(after.version, i);
    switch (e.type) {
      case 'configured':
        return; // the configuration is answered by scheduler.configure and kept in MongoDB; no contract event
      case 'pileDriven':
      case 'sessionStarting':
      case 'sessionStartAborted':
        return; // internal to the start handshake with a device (pile.command / device.command-acked); no session yet
      case 'queued':
        out.push(ev('order.queued', {
          orderId: e.orderId, userId: e.userId, ...contractCarId(e.carId), stationId, mode: e.mode,
          energyWms: e.energyWms, queueNo: e.queueNo, seq: seqOf(after, e.orderId), queuedAt: e.at, orderSeq,
        }, e.at));
        return;
      case 'modified':
        out.push(ev('order.modified', {
          orderId: e.orderId, userId: e.userId, stationId, mode: e.mode, energyWms: e.energyWms,
          queueNo: e.queueNo, previousQueueNo: e.previousQueueNo, modifiedAt: e.at, orderSeq,
        }, e.at));
        return;
      case 'dispatched':
        out.push(ev('order.dispatched', {
          orderId: e.orderId, userId: e.userId, stationId, queueNo: e.queueNo, pileNo: e.pileNo,
          place: e.position - 1, dispatchedAt: e.at, orderSeq,
        }, e.at));
        return;
      case 'requeued':
        out.push(ev('order.requeued', {
          orderId: e.orderId, userId: e.userId, stationId, queueNo: e.queueNo, fromPileNo: e.fromPileNo,
          remainingEnergyWms: e.remainingWms, reason: e.cause === 'off' ? 'pile-off' : e.cause, ...requeueDetail(e, events),
          requeuedAt: e.at, orderSeq,
        }, e.at));
        return;
      case 'sessionStarted':
        out.push(ev('session.started', {
          ...sessionFacts(stationId, e), ...tariff, powerW: e.powerW, targetEnergyWms: e.targetWms, startedAt: e.startedAt, orderSeq,
        }, e.at));
        return;
      case 'sessionEnded':
        out.push(ev('session.ended', {
          ...sessionFacts(stationId, e), ...tariff, startedAt: e.startedAt, endedAt: e.endedAt, energyWms: e.energyWms,
          powerW: e.powerW, reason: e.reason === 'off' ? 'pile-off' : e.reason, orderSeq,
        }, e.at));
        return;
      case 'orderFinished':
        if (e.reason === 'completed') {
          out.push(ev('order.finished', {
            orderId: e.orderId, userId: e.userId, stationId, queueNo: e.queueNo, energyWms: e.deliveredWms,
            finishedAt: e.at, orderSeq,
          }, e.at));
        } else {
          // a cancel that stopped charging ended a session just before, in the same command
          const stopped = events.slice(0, i).findLast((x) =>
            x.type === 'sessionEnded' && x.orderId === e.orderId && x.reason === 'cancelled');
          out.push(ev('order.cancelled', {
            orderId: e.orderId, userId: e.userId, stationId, queueNo: e.queueNo, cancelledAt: e.at, orderSeq,
            reason: `cancelled while ${placeWord(e.place)}`,
            ...(stopped?.type === 'sessionEnded' ? { sessionId: stopped.sessionId } : {}),
          }, e.at));
        }
        return;
      case 'pileStateChanged': {
        const status = pileStatus(e.state, charging(after, e.pileNo));
        out.push(ev('pile.status-changed', {
          stationId, pileNo: e.pileNo, status, previous: pileStatus(e.previousState, false), changedAt: e.at,
        }, e.at));
        if (e.cause === 'fault') {
          out.push(ev('pile.faulted', {
            stationId, pileNo: e.pileNo, ...(e.reason ? { reason: e.reason } : {}), faultedAt: e.at,
          }, e.at));
        }
        if (e.cause === 'recover') out.push(ev('pile.recovered', { stationId, pileNo: e.pileNo, recoveredAt: e.at }, e.at));
        return;
      }
    }
  });
  return out;
}

/** A start that failed says why: the words the pile went down with, in the same command. */
function requeueDetail(e: StationEvent & { type: 'requeued' }, events: readonly StationEvent[]): { detail?: string } {
  if (e.cause !== 'start-failed') return {};
  const down = events.find((x) => x.type === 'pileStateChanged' && x.pileNo === e.fromPileNo && x.reason !== null);
  return down?.type === 'pileStateChanged' && down.reason !== null ? { detail: down.reason } : {};
}

/** What session.started and session.ended both begin with: the session, its request and its pile. */
function sessionFacts(stationId: string, e: SessionStartedEvent | SessionEndedEvent) {
  return {
    sessionId: e.sessionId, orderId: e.orderId, userId: e.userId, ...contractCarId(e.carId), stationId,
    pileNo: e.pileNo, queueNo: e.queueNo, mode: e.mode,
  };
}

function placeWord(place: 'waiting' | 'pile' | 'faultQueue'): string {
  return place === 'waiting' ? 'waiting' : place === 'pile' ? 'on a pile' : 'in the fault queue';
}

function seqOf(state: StationState, orderId: string): number {
  const all = [...state.waiting, ...state.faultQueue, ...state.piles.flatMap((p) => p.queue)];
  return all.find((c) => c.orderId === orderId)?.seq ?? 0;
}

function charging(state: StationState, pileNo: string): boolean {
  const s = state.piles.find((p) => p.pileNo === pileNo)?.queue[0]?.session;
  return s != null && s.starting !== true;
}

// ---- states: where the engine's words and the contracts' meet (the only place) ----------------------------------

/**
 * Engine pile state -> contract pile state. The engine knows whether a pile works; the contracts also say whether
 * a working pile charges (from its head car). 'offline' is the devices' word: no engine state maps to it.
 */
const PILE_STATE_OF_ENGINE: Record<EnginePileState, { idle: ContractPileState; charging: ContractPileState }> = {
  working: { idle: 'idle', charging: 'charging' },
  off: { idle: 'off', charging: 'off' },
  fault: { idle: 'fault', charging: 'fault' },
};

export function pileStatus(state: EnginePileState, isCharging: boolean): ContractPileState {
  return PILE_STATE_OF_ENGINE[state][isCharging ? 'charging' : 'idle'];
}

/** Contract pile state -> the engine's, null for 'offline' (no engine state says it). */
export function enginePileState(status: ContractPileState): EnginePileState | null {
  const found = (Object.keys(PILE_STATE_OF_ENGINE) as EnginePileState[])
    .find((s) => PILE_STATE_OF_ENGINE[s].idle === status || PILE_STATE_OF_ENGINE[s].charging === status);
  return found ?? null;
}

/** Engine car state -> contract queue state: the same words, but 'starting' (not confirmed yet) is 'dispatched'. */
export const QUEUE_STATE_OF_CAR: Readonly<Record<CarState, QueueState>> = {
  waiting: 'waiting',
  dispatched: 'dispatched',
  starting: 'dispatched', // on its pile, the pile not yet confirmed the start
  charging: 'charging',
  'fault-queued': 'fault-queued',
};

/** Contract queue state -> the engine car states it stands for (none for finished and cancelled: the engine drops those). */
export function carStatesOf(state: QueueState): CarState[] {
  return (Object.keys(QUEUE_STATE_OF_CAR) as CarState[]).filter((c) => QUEUE_STATE_OF_CAR[c] === state);
}

// ---- views ---------------------------------------------------------------------------------------------------

/** Where a car is, besides its figures: its pile, its running session (board cells only), the cars ahead of it. */
interface EntryPlace {
  pileNo: string | null;
  sessionId: string | null;
  carsAhead: number;
  createdAt: number;
}

/** The one builder of a QueueEntryView: a position answer and every board cell. */
function queueEntryView(c: CarFigures, at: EntryPlace): QueueEntryView {
  return {
    orderId: c.orderId,
    userId: c.userId,
    ...contractCarId(c.carId),
    queueNo: c.queueNo,
    mode: c.mode,
    energyWms: c.requestedWms,
    sessionChargedWms: c.sessionChargedWms,
    sessionFeeFen: c.sessionFeeFen,
    requestChargedWms: c.requestChargedWms,
    requestFeeFen: c.requestFeeFen,
    remainingWms: c.remainingWms,
    state: QUEUE_STATE_OF_CAR[c.state],
    ...(at.pileNo !== null ? { pileNo: at.pileNo } : {}),
    ...(at.sessionId !== null ? { sessionId: at.sessionId } : {}),
    carsAhead: at.carsAhead,
    waitingMs: c.waitingMs,
    createdAt: at.createdAt,
  };
}

/** A position answer (carries no sessionId; board cells do). */
export function positionView(p: Position): QueueEntryView {
  return queueEntryView(p, { pileNo: p.pileNo, sessionId: null, carsAhead: p.carsAhead, createdAt: p.createdAt });
}

function boardCarView(c: BoardCar, carsAhead: number, createdAt: number, pileNo: string | null): QueueEntryView {
  return queueEntryView(c, { pileNo, sessionId: c.sessionId, carsAhead, createdAt });
}

export function pileView(stationId: string, p: BoardPile, createdAtOf: (orderId: string) => number): PileView {
  return {
    stationId,
    pileNo: p.pileNo,
    mode: p.mode,
    powerW: p.powerW,
    state: pileStatus(p.state, p.queue[0]?.state === 'charging'),
    ...(p.faultReason !== null && p.state !== 'working' ? { faultReason: p.faultReason } : {}),
    queue: p.queue.map((c, i) => boardCarView(c, i, createdAtOf(c.orderId), p.pileNo)),
  };
}

/** The admin board; `state` is the stored state the board was computed from (for the request instants). */
export function boardView(b: Board, state: StationState): BoardResult {
  const created = new Map<string, number>();
  for (const c of [...state.waiting, ...state.faultQueue, ...state.piles.flatMap((p) => p.queue)]) {
    created.set(c.orderId, c.createdAt);
  }
  const createdAtOf = (orderId: string) => created.get(orderId) ?? b.time;
  // cars ahead in the waiting area / fault queue count the same mode only, as position() does
  const ahead = (list: BoardCar[], i: number, extra: number) =>
    extra + list.slice(0, i).filter((x) => x.mode === list[i]!.mode).length;
  return {
    stationId: b.stationId,
    timeMs: b.time,
    piles: b.piles.map((p) => pileView(b.stationId, p, createdAtOf)),
    waitingArea: b.waitingArea.map((c, i, list) =>
      boardCarView(c, ahead(list, i, b.faultQueue.filter((f) => f.mode === c.mode).length), createdAtOf(c.orderId), null)),
    faultQueue: b.faultQueue.map((c, i, list) => boardCarView(c, ahead(list, i, 0), createdAtOf(c.orderId), null)),
  };
}

// ---- configuration -------------------------------------------------------------------------------------------

/** The engine's config is the contract's (both in W) plus the tariff, which is not part of the contract. */
export function toContractConfig(stored: EngineStationConfig): ContractStationConfig {
  const { tariff: _tariff, ...config } = readStoredConfig(stored);
  return config;
}

/** A partial contract config as engine input; absent settings stay as they are. */
export function toEngineConfigInput(c: Partial<ContractStationConfig>): StationConfigInput {
  const input: StationConfigInput = {};
  if (c.stationId !== undefined) input.stationId = c.stationId;
  if (c.fastPiles !== undefined) input.fastPiles = c.fastPiles;
  if (c.slowPiles !== undefined) input.slowPiles = c.slowPiles;
  if (c.fastPowerW !== undefined) input.fastPowerW = c.fastPowerW;
  if (c.slowPowerW !== undefined) input.slowPowerW = c.slowPowerW;
  if (c.waitingAreaSize !== undefined) input.waitingAreaSize = c.waitingAreaSize;
  if (c.pileQueueLength !== undefined) input.pileQueueLength = c.pileQueueLength;
  if (c.faultPolicy !== undefined) input.faultPolicy = c.faultPolicy;
  if (c.dispatchMode !== undefined) input.dispatchMode = c.dispatchMode;
  if (c.timeZone !== undefined) input.timeZone = c.timeZone;
  return input;
}

// ---- refusals ------------------------------------------------------------------------------------------------

/** The domain error code for an engine refusal; `command` disambiguates the dispatch-mode refusal. */
export function errorCodeFor(code: StationErrorCode, command: string): ErrorCode {
  switch (code) {
    case 'WAITING_AREA_FULL':
      return 'WAITING_AREA_FULL';
    case 'CAR_HAS_ACTIVE_REQUEST':
    case 'ORDER_EXISTS':
      return 'ALREADY_QUEUED';
    case 'NOT_IN_WAITING_AREA':
      return 'NOT_MODIFIABLE';
    case 'NOT_SUPPORTED_IN_DISPATCH_MODE':
      return command === 'modify' ? 'NOT_MODIFIABLE' : 'CONFLICT';
    case 'ORDER_NOT_FOUND':
    case 'UNKNOWN_PILE':
      return 'NOT_FOUND';
    case 'PILE_NOT_WORKING':
    case 'PILE_ALREADY_WORKING':
    case 'SESSION_NOT_STARTING':
      return 'PILE_STATE';
    case 'STATION_NOT_EMPTY':
      return 'STATION_BUSY';
    case 'TIME_BEFORE_STATE':
      return 'CONFLICT';
    case 'BAD_COMMAND':
    case 'BAD_TIME':
    case 'BAD_CONFIG':
    case 'BAD_ENERGY':
    case 'BAD_MODE':
    case 'NO_PILE_FOR_MODE':
      return 'VALIDATION';
  }
}

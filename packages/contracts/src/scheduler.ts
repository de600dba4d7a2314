// Scheduler: sessions and pile state events, station RPC, clock RPC.
import { Type, type Static } from '@sinclair/typebox';
import { ChargeMode, EnergyWms, EpochMs, FeeFen, Id, Literals, type RpcSchemaPair } from './common.js';
import { ChargeRequest, OrderSeqField } from './order.js';

export const MeteredInterval = Type.Object({
  fromMs: EpochMs(),
  toMs: EpochMs(),
  energyWms: EnergyWms(),
});
export type MeteredInterval = Static<typeof MeteredInterval>;

export const SessionEndReason = Literals(['completed', 'cancelled', 'fault', 'pile-off', 'stopped']);
export type SessionEndReason = Static<typeof SessionEndReason>;

/** A session, its request and its pile: what session.started and session.ended begin with. */
const SessionRef = {
  sessionId: Id,
  orderId: Id,
  userId: Id,
  carId: Type.Optional(Id),
  stationId: Id,
  pileNo: Type.String(),
  queueNo: Type.String(),
  /**
   * The tariff the station was bound to when the session started (billing prices the session with the version of
   * that tariff in force at its start); absent: the tariff `default`.
   */
  tariffId: Type.Optional(Id),
};

export const SessionStarted = Type.Object({
  ...SessionRef,
  mode: ChargeMode,
  powerW: Type.Integer({ minimum: 0 }),
  targetEnergyWms: EnergyWms({ description: 'what this session is meant to deliver' }),
  startedAt: EpochMs(),
  ...OrderSeqField,
});
export type SessionStarted = Static<typeof SessionStarted>;

export const SessionEnded = Type.Object({
  ...SessionRef,
  mode: Type.Optional(ChargeMode),
  startedAt: EpochMs(),
  endedAt: EpochMs(),
  energyWms: EnergyWms({ description: 'delivered in this session' }),
  powerW: Type.Integer({ minimum: 0 }),
  reason: SessionEndReason,
  ...OrderSeqField,
  intervals: Type.Optional(Type.Array(MeteredInterval, { description: 'metered piles: energy by interval' })),
});
export type SessionEnded = Static<typeof SessionEnded>;

export const PileState = Literals(['idle', 'charging', 'off', 'fault', 'offline']);
export type PileState = Static<typeof PileState>;

/** Which pile of which station: what every pile event begins with. */
const StationPileRef = { stationId: Id, pileNo: Type.String() };

export const PileStatusChanged = Type.Object({
  ...StationPileRef,
  status: PileState,
  previous: Type.Optional(PileState),
  changedAt: EpochMs(),
});
export type PileStatusChanged = Static<typeof PileStatusChanged>;

export const PileFaulted = Type.Object({
  ...StationPileRef,
  reason: Type.Optional(Type.String()),
  faultedAt: EpochMs(),
});
export type PileFaulted = Static<typeof PileFaulted>;

export const PileRecovered = Type.Object({
  ...StationPileRef,
  recoveredAt: EpochMs(),
});
export type PileRecovered = Static<typeof PileRecovered>;

export const schedulerMessages = {
  'session.started': SessionStarted,
  'session.ended': SessionEnded,
  'pile.status-changed': PileStatusChanged,
  'pile.faulted': PileFaulted,
  'pile.recovered': PileRecovered,
} as const;

// ---- RPC ----
export const SubmitParams = Type.Object(ChargeRequest);
export const QueueState = Literals(['waiting', 'dispatched', 'charging', 'fault-queued', 'finished', 'cancelled']);
export type QueueState = Static<typeof QueueState>;
export const QueueEntryView = Type.Object({
  orderId: Id,
  userId: Id,
  carId: Type.Optional(Id),
  queueNo: Type.String(),
  mode: ChargeMode,
  energyWms: EnergyWms({ description: 'requested' }),
  sessionChargedWms: EnergyWms({ description: 'delivered in the current session (0 unless charging)' }),
  sessionFeeFen: FeeFen({ description: 'fee of the current session so far (what a board cell shows)' }),
  requestChargedWms: EnergyWms({ description: 'delivered over all sessions of the request, current one included' }),
  requestFeeFen: FeeFen({ description: 'fee over all sessions of the request so far, current one included' }),
  remainingWms: EnergyWms({ description: 'what the request still lacks' }),
  state: QueueState,
  pileNo: Type.Optional(Type.String()),
  sessionId: Type.Optional(Id),
  carsAhead: Type.Integer({ minimum: 0 }),
  waitingMs: Type.Optional(Type.Integer({ minimum: 0 })),
  createdAt: EpochMs({ description: 'when the request entered the station' }),
  orderSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'submit/modify answers: the order sequence of the state answered (newer than every event of that write)' })),
});
export type QueueEntryView = Static<typeof QueueEntryView>;

export const ModifyParams = Type.Object({
  orderId: Id,
  stationId: Id,
  mode: Type.Optional(ChargeMode),
  energyWms: Type.Optional(EnergyWms()),
});
export const CancelParams = Type.Object({ orderId: Id, stationId: Id });
export const CancelResult = Type.Object({
  orderId: Id,
  state: Type.Literal('cancelled'),
  sessionId: Type.Optional(Id),
});
export type CancelResult = Static<typeof CancelResult>;
export const PositionParams = Type.Object({ orderId: Id, stationId: Id });

export const FaultPolicy = Literals(['priority', 'time-order']);
export const DispatchMode = Literals(['default', 'single-min-total', 'batch-min-total']);
export const StationConfig = Type.Object({
  stationId: Id,
  fastPiles: Type.Integer({ minimum: 0, maximum: 100 }),
  slowPiles: Type.Integer({ minimum: 0, maximum: 100 }),
  fastPowerW: Type.Integer({ minimum: 1 }),
  slowPowerW: Type.Integer({ minimum: 1 }),
  waitingAreaSize: Type.Integer({ minimum: 0, maximum: 10_000 }),
  pileQueueLength: Type.Integer({ minimum: 1, maximum: 100 }),
  faultPolicy: FaultPolicy,
  dispatchMode: DispatchMode,
  timeZone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone: numbering day and tariff clock' })),
});
export type StationConfig = Static<typeof StationConfig>;
/**
 * The setting names of older stations (DESIGN.md), accepted as aliases of today's names: the one table, used by the
 * engine's config (packages/scheduling) and the gateway's config body. Giving both names with different values is
 * refused.
 */
export const STATION_SETTING_ALIASES = {
  FastChargingPileNum: 'fastPiles',
  TrickleChargingPileNum: 'slowPiles',
  WaitingAreaSize: 'waitingAreaSize',
  ChargingQueueLen: 'pileQueueLength',
} as const satisfies Record<string, keyof StationConfig>;
export type StationSettingAlias = keyof typeof STATION_SETTING_ALIASES;
export const ConfigureParams = Type.Composite([
  Type.Object({ stationId: Id }),
  Type.Partial(Type.Omit(StationConfig, ['stationId'])),
]);

export const PileView = Type.Object({
  ...StationPileRef,
  mode: ChargeMode,
  powerW: Type.Integer({ minimum: 0 }),
  state: PileState,
  /** why a pile is down when the station knows (e.g. a start the pile did not confirm) */
  faultReason: Type.Optional(Type.String()),
  queue: Type.Array(QueueEntryView),
});
export type PileView = Static<typeof PileView>;
export const BoardResult = Type.Object({
  stationId: Id,
  timeMs: EpochMs(),
  piles: Type.Array(PileView),
  waitingArea: Type.Array(QueueEntryView),
  faultQueue: Type.Array(QueueEntryView),
});
export type BoardResult = Static<typeof BoardResult>;
export const PileStatusParams = Type.Object({
  ...StationPileRef,
  status: Literals(['on', 'off', 'fault', 'repair']),
});

export const ClockMode = Literals(['real', 'scaled', 'manual']);
export const ClockView = Type.Object({
  mode: ClockMode,
  timeMs: EpochMs(),
  speed: Type.Number({ exclusiveMinimum: 0 }),
});
export type ClockView = Static<typeof ClockView>;
export const ClockSetParams = Type.Object({
  mode: ClockMode,
  timeMs: Type.Optional(EpochMs()),
  speed: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
});
export const ClockAdvanceParams = Type.Object({
  toMs: Type.Optional(EpochMs()),
  seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
});

/**
 * Internal: the one write path of a station. Served per station shard (`${ns}.rpc.scheduler.station.<stationId>`)
 * by a single active consumer, so one replica at a time writes a station; the public methods forward here.
 */
const PileRef = { pileNo: Type.String({ minLength: 1 }) };
export const StationCommand = Type.Union([
  Type.Object({ type: Type.Literal('advance') }),
  // move an empty station to atMs even when that is in its past (the clock was set back)
  Type.Object({ type: Type.Literal('rebase') }),
  Type.Object({ type: Type.Literal('configure'), config: Type.Record(Type.String(), Type.Unknown()) }),
  Type.Object({
    type: Type.Literal('submit'),
    orderId: Id,
    userId: Id,
    carId: Type.String({ minLength: 1, maxLength: 200 }),
    mode: ChargeMode,
    energyWms: EnergyWms(),
  }),
  Type.Object({
    type: Type.Literal('modify'),
    orderId: Id,
    mode: Type.Optional(ChargeMode),
    energyWms: Type.Optional(EnergyWms()),
  }),
  Type.Object({ type: Type.Literal('cancel'), orderId: Id }),
  Type.Object({ type: Type.Literal('pileFault'), ...PileRef }),
  Type.Object({ type: Type.Literal('pileRecover'), ...PileRef }),
  Type.Object({ type: Type.Literal('pileOff'), ...PileRef }),
  Type.Object({ type: Type.Literal('pileOn'), ...PileRef }),
  // the start handshake with device-driven piles (services/scheduler README "Pile commands")
  Type.Object({ type: Type.Literal('pileDriven'), ...PileRef }),
  Type.Object({ type: Type.Literal('sessionConfirmed'), ...PileRef, sessionId: Id, startedAt: EpochMs() }),
  Type.Object({ type: Type.Literal('sessionStartFailed'), ...PileRef, sessionId: Id, reason: Type.String({ maxLength: 500 }) }),
]);
export type StationCommand = Static<typeof StationCommand>;
export const StationExecParams = Type.Object({
  stationId: Id,
  command: StationCommand,
  atMs: Type.Optional(EpochMs({ description: 'apply at this clock instant instead of now (clock moves)' })),
});
export const StationExecResult = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  changed: Type.Boolean(),
  state: Type.Unknown({ description: 'the station state after the command (@voltq/scheduling StationState)' }),
  events: Type.Array(Type.Unknown(), { description: 'the engine events of the command (@voltq/scheduling StationEvent)' }),
});


// ---- stations on a map (document 004's station endpoints, the admin's runtime creation) ----
/** `queue`: the waiting area and the scheduling rules; `walk-up`: no waiting area, the user picks a pile and port. */
export const StationKind = Literals(['queue', 'walk-up']);
export type StationKind = Static<typeof StationKind>;
/** 004's station status words (0 offline, 1 online, 2 maintenance, 3 fault). */
export const StationStatus = Literals(['offline', 'online', 'maintenance', 'fault']);
export type StationStatus = Static<typeof StationStatus>;
export const Latitude = Type.Number({ minimum: -90, maximum: 90 });
export const Longitude = Type.Number({ minimum: -180, maximum: 180 });
export const CreateStationParams = Type.Object({
  stationId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  address: Type.String({ minLength: 1, maxLength: 300 }),
  latitude: Latitude,
  longitude: Longitude,
  kind: StationKind,
  tariffId: Type.Optional(Id),
});
export type CreateStationParams = Static<typeof CreateStationParams>;
export const StationPileInfo = Type.Object({
  pileNo: Type.String(),
  mode: ChargeMode,
  powerW: Type.Integer({ minimum: 0 }),
  state: PileState,
  ports: Type.Integer({ minimum: 0 }),
  freePorts: Type.Integer({ minimum: 0 }),
});
export const StationView = Type.Object({
  stationId: Id,
  name: Type.String(),
  address: Type.String(),
  latitude: Latitude,
  longitude: Longitude,
  kind: StationKind,
  status: StationStatus,
  tariffId: Id,
  /** ports free now: a queue station's idle piles (one port each); a walk-up station has no registered devices yet */
  freePorts: Type.Integer({ minimum: 0 }),
  totalPorts: Type.Integer({ minimum: 0 }),
  piles: Type.Array(StationPileInfo),
  /** great-circle distance in metres from the point asked about (nearby, and search with a point) */
  distanceM: Type.Optional(Type.Number({ minimum: 0 })),
  createdAt: EpochMs(),
  updatedAt: EpochMs({ description: 'the station or its live state last changed' }),
});
export type StationView = Static<typeof StationView>;
export const StationsParams = Type.Object({
  near: Type.Optional(Type.Object({
    latitude: Latitude,
    longitude: Longitude,
    radiusM: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'only stations within; absent: any distance' })),
  })),
  keyword: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'in the name or the address, case-insensitive' })),
  pageNum: Type.Optional(Type.Integer({ minimum: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export type StationsParams = Static<typeof StationsParams>;
export const StationsResult = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  items: Type.Array(StationView),
});
export type StationsResult = Static<typeof StationsResult>;

export const schedulerRpc = {
  'scheduler.station': { params: StationExecParams, result: StationExecResult },
  'scheduler.submit': { params: SubmitParams, result: QueueEntryView },
  'scheduler.modify': { params: ModifyParams, result: QueueEntryView },
  'scheduler.cancel': { params: CancelParams, result: CancelResult },
  'scheduler.position': { params: PositionParams, result: QueueEntryView },
  'scheduler.board': { params: Type.Object({ stationId: Id }), result: BoardResult },
  'scheduler.configure': { params: ConfigureParams, result: StationConfig },
  'scheduler.pileStatus': { params: PileStatusParams, result: PileView },
  'scheduler.clockSet': { params: ClockSetParams, result: ClockView },
  'scheduler.clockAdvance': { params: ClockAdvanceParams, result: ClockView },
  'scheduler.clockGet': { params: Type.Object({}), result: ClockView },
  // stations: all of them (nearest first with `near`, filtered by `keyword`), one, and a new one at runtime
  'scheduler.stations': { params: StationsParams, result: StationsResult },
  'scheduler.getStation': { params: Type.Object({ stationId: Id }), result: StationView },
  'scheduler.createStation': { params: CreateStationParams, result: StationView },
} as const satisfies Record<string, RpcSchemaPair>;

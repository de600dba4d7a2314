// Scheduler: sessions and pile state events, station RPC, clock RPC.
import { Type, type Static } from '@sinclair/typebox';
import { ChargeMode, EnergyWms, EpochMs, FeeFen, Id, Literals, type RpcSchemaPair } from './common.js';
import { ChargeRequest, OrderSeqField } from './order.js';
import { PaymentMethod } from './billing.js';
import { CardId } from './auth.js';
import { DeviceId, PortNo } from './device.js';

/** 004's chargingMode: 1 until full, 2 up to an amount, 3 for a time, 4 up to an energy. */
export const WalkUpChargingMode = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)]);
export type WalkUpChargingMode = Static<typeof WalkUpChargingMode>;
/** 004's stopReason: 1 user, 2 full, 3 time reached, 4 energy reached, 5 amount reached, 6 pile fault, 7 other. */
export const StopReasonCode = Type.Integer({ minimum: 1, maximum: 7 });
/** A walk-up order's limit in exact units: the one that matches its chargingMode (none for mode 1). */
export const WalkUpLimit = {
  limitFeeFen: Type.Optional(FeeFen({ description: 'mode 2: the running total fee (energy + service) to stop at' })),
  limitDurationMs: Type.Optional(Type.Integer({ minimum: 1, description: 'mode 3' })),
  limitEnergyWms: Type.Optional(EnergyWms({ description: 'mode 4' })),
};
/**
 * What a walk-up session adds to session.started / session.ended (absent on queue-station sessions): the device,
 * the port, how it was started and is paid, and its condition.
 */
export const WalkUpFacts = {
  kind: Type.Optional(Literals(['queue', 'walk-up'])),
  deviceId: Type.Optional(DeviceId),
  /** 004's pile id `<stationId>-<pileNo>` */
  pileId: Type.Optional(Id),
  portNo: Type.Optional(PortNo),
  origin: Type.Optional(Literals(['app', 'card'])),
  cardId: Type.Optional(CardId),
  chargingMode: Type.Optional(WalkUpChargingMode),
  paymentMethod: Type.Optional(PaymentMethod),
  ...WalkUpLimit,
  /** the order's number when the order service gave one (app orders); a card session's order gets one from it */
  orderNo: Type.Optional(Type.String()),
};

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
  ...WalkUpFacts,
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
  ...WalkUpFacts,
  stopReason: Type.Optional(StopReasonCode),
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


// ---- stations on a map (document 004's station endpoints, the admin's runtime creation and edits) ----
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
/**
 * An operator's edit of a station: only the fields given change (at least one); its id and kind never do. A tariff
 * billing does not know is allowed (billing prices it as `default`).
 */
export const UpdateStationParams = Type.Object({
  stationId: Id,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  address: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  latitude: Type.Optional(Latitude),
  longitude: Type.Optional(Longitude),
  tariffId: Type.Optional(Id),
  status: Type.Optional(StationStatus),
}, { additionalProperties: false, minProperties: 2 });
export type UpdateStationParams = Static<typeof UpdateStationParams>;
export type StationPileInfo = Static<typeof StationPileInfo>;
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
  /** ports free now: a queue station's idle piles (one port each), a walk-up station's idle, enabled, online ports */
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

// ---- walk-up sessions (document 004: the user picks a pile and port) ----
export const WalkUpState = Literals(['charging', 'stopping', 'ended', 'failed']);
export type WalkUpState = Static<typeof WalkUpState>;
/** A walk-up session with its live figures (from the port's meter readings) and, once ended, its end. */
export const WalkUpSessionView = Type.Object({
  sessionId: Id,
  orderId: Id,
  userId: Id,
  stationId: Id,
  deviceId: DeviceId,
  pileId: Id,
  pileNo: Type.String(),
  portNo: PortNo,
  origin: Literals(['app', 'card']),
  chargingMode: WalkUpChargingMode,
  paymentMethod: PaymentMethod,
  ...WalkUpLimit,
  tariffId: Id,
  state: WalkUpState,
  startedAt: EpochMs(),
  endedAt: Type.Optional(EpochMs()),
  energyWms: EnergyWms({ description: 'delivered so far (the latest register minus the start)' }),
  energyFeeFen: FeeFen({ description: 'so far, by the tariff (rounded half-up once)' }),
  serviceFeeFen: FeeFen(),
  totalFeeFen: FeeFen(),
  durationMs: Type.Integer({ minimum: 0 }),
  powerW: Type.Integer({ minimum: 0 }),
  voltageV: Type.Number({ minimum: 0 }),
  currentA: Type.Number({ minimum: 0 }),
  stopReason: Type.Optional(StopReasonCode),
  updatedAt: EpochMs(),
});
export type WalkUpSessionView = Static<typeof WalkUpSessionView>;
/**
 * Start a session on an idle, online, enabled port of a walk-up station: the start command goes to the pile and
 * the answer waits for its acknowledgement (the session exists from then). Refusals: NOT_FOUND resource pile /
 * port; PILE_STATE reason PILE_OFFLINE / PORT_OCCUPIED / PORT_FAULT / PORT_DISABLED; START_REFUSED (the pile refused the start: 004's 3005, the order could not be made); TIMEOUT reason
 * PILE_TIMEOUT; VALIDATION for a limit that does not match the mode. The same orderId again answers its session.
 */
export const StartWalkUpParams = Type.Object({
  orderId: Id,
  orderNo: Type.Optional(Type.String()),
  userId: Id,
  deviceId: DeviceId,
  portNo: PortNo,
  chargingMode: WalkUpChargingMode,
  paymentMethod: PaymentMethod,
  ...WalkUpLimit,
}, { additionalProperties: false });
export const StopWalkUpParams = Type.Object({ orderId: Id, userId: Type.Optional(Id), stopReason: StopReasonCode }, { additionalProperties: false });
export const WalkUpSessionParams = Type.Object({ orderId: Id, userId: Type.Optional(Id) }, { additionalProperties: false });
/** 004's per-port totals over ended walk-up sessions, and the port's current and last order. */
export const PortTotals = Type.Object({
  deviceId: DeviceId,
  portNo: PortNo,
  sessions: Type.Integer({ minimum: 0 }),
  durationMs: Type.Integer({ minimum: 0 }),
  energyWms: EnergyWms(),
  currentOrderId: Type.Optional(Id),
  lastOrderId: Type.Optional(Id),
});
export type PortTotals = Static<typeof PortTotals>;
export const PortTotalsParams = Type.Object({ deviceIds: Type.Optional(Type.Array(DeviceId, { maxItems: 1000 })) }, { additionalProperties: false });

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
  // stations: all of them (nearest first with `near`, filtered by `keyword`), one, a new one at runtime, an edit
  'scheduler.stations': { params: StationsParams, result: StationsResult },
  'scheduler.getStation': { params: Type.Object({ stationId: Id }), result: StationView },
  'scheduler.createStation': { params: CreateStationParams, result: StationView },
  /** NOT_FOUND resource station for an unknown id; VALIDATION for a blank name or address, or nothing to change */
  'scheduler.updateStation': { params: UpdateStationParams, result: StationView },
  'scheduler.startWalkUp': { params: StartWalkUpParams, result: WalkUpSessionView },
  /** the stop command goes to the pile; the answer comes after its acknowledgement (state stopping, or ended) */
  'scheduler.stopWalkUp': { params: StopWalkUpParams, result: WalkUpSessionView },
  /** NOT_FOUND resource order when the order has no walk-up session (or it is another user's) */
  'scheduler.walkUpSession': { params: WalkUpSessionParams, result: WalkUpSessionView },
  'scheduler.portTotals': { params: PortTotalsParams, result: Type.Object({ items: Type.Array(PortTotals) }) },
} as const satisfies Record<string, RpcSchemaPair>;

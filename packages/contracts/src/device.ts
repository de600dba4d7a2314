// Device-bridge: pile connectivity events (bridge -> scheduler) and pile commands (scheduler -> bridge replica).
import { Type, type Static } from '@sinclair/typebox';
import { CardId } from './auth.js';
import { EnergyWms, EpochMs, Id, Literals, type RpcSchemaPair } from './common.js';

export const DeviceProtocol = Literals(['ocpp1.6', 'ws', 'tcp']);

/** A connector of a pile, 1..n (OCPP connectorId; 0 would be the whole pile and is never a port). */
export const PortNo = Type.Integer({ minimum: 1, maximum: 64 });

const PileRef = {
  /** 004's pile id `<stationId>-<pileNo>` (a seeded queue pile's device id is the same) */
  pileId: Id,
  /** the device (its login id: OCPP charge point id, JSON pile IMEI); absent on events of older bridges */
  deviceId: Type.Optional(Id),
  stationId: Type.Optional(Id),
  pileNo: Type.Optional(Type.String()),
};

export const DevicePileOnline = Type.Object({
  ...PileRef,
  replicaId: Id,
  protocol: DeviceProtocol,
  /** the pile is (still) in a reported fault: coming online must not count as a recovery */
  faulted: Type.Optional(Type.Boolean()),
  at: EpochMs(),
});
export type DevicePileOnline = Static<typeof DevicePileOnline>;
/** reason: heartbeat-timeout | connection-closed | logout | login-timeout | replaced (see device-bridge README) */
export const DevicePileOffline = Type.Object({ ...PileRef, replicaId: Id, reason: Type.String(), at: EpochMs() });
export type DevicePileOffline = Static<typeof DevicePileOffline>;
export const DevicePileFault = Type.Object({
  ...PileRef,
  errorCode: Type.Optional(Type.String()),
  info: Type.Optional(Type.String()),
  at: EpochMs(),
});
export type DevicePileFault = Static<typeof DevicePileFault>;
export const DevicePileRecovered = Type.Object({ ...PileRef, at: EpochMs() });
export type DevicePileRecovered = Static<typeof DevicePileRecovered>;

/** Sent to `${ns}.commands` with routing key `pile.command.<replicaId>`. */
export const PileCommand = Type.Object({
  commandId: Id,
  ...PileRef,
  action: Literals(['start', 'stop']),
  /** the connector (1..n) of a pile with ports; absent: the pile's only one (queue-station piles) */
  portNo: Type.Optional(PortNo),
  sessionId: Type.Optional(Id),
  orderId: Type.Optional(Id),
  powerW: Type.Optional(Type.Integer({ minimum: 0 })),
  targetEnergyWms: Type.Optional(EnergyWms()),
});
export type PileCommand = Static<typeof PileCommand>;

/** The pile answered a command (JSON pile protocol `command.ack`, OCPP RemoteStart/Stop): `at` is when the
 * bridge got the answer, the instant a started session counts from. */
export const DeviceCommandAcked = Type.Object({
  ...PileRef,
  commandId: Id,
  action: Type.Optional(Literals(['start', 'stop'])),
  portNo: Type.Optional(PortNo),
  sessionId: Type.Optional(Id),
  accepted: Type.Boolean(),
  /** a start's answer: the port's energy register when the session began (Wms) */
  meterWms: Type.Optional(EnergyWms()),
  reason: Type.Optional(Type.String()),
  replicaId: Id,
  at: EpochMs(),
});
export type DeviceCommandAcked = Static<typeof DeviceCommandAcked>;

/** A replica got a command for a pile it does not hold (disconnected, or taken over): the command back, so the
 * sender can hold it until the pile reconnects or fail it, instead of it being dropped. */
export const DeviceCommandFailed = Type.Object({
  ...PileRef,
  commandId: Id,
  reason: Literals(['not-connected']),
  replicaId: Id,
  command: PileCommand,
  at: EpochMs(),
});
export type DeviceCommandFailed = Static<typeof DeviceCommandFailed>;

// ---- ports of walk-up piles: sessions and meter readings as the pile reports them (bridge -> scheduler) ----
/** One meter reading of a port: `meterWms` is the port's cumulative energy register (never goes back). */
export const DeviceMeter = Type.Object({
  ...PileRef,
  portNo: PortNo,
  sessionId: Type.Optional(Id),
  meterWms: EnergyWms(),
  powerW: Type.Optional(Type.Integer({ minimum: 0 })),
  voltageV: Type.Optional(Type.Number({ minimum: 0 })),
  currentA: Type.Optional(Type.Number({ minimum: 0 })),
  temperatureC: Type.Optional(Type.Number()),
  at: EpochMs({ description: 'when the reading was taken (the device clock where the protocol says, else the bridge clock)' }),
});
export type DeviceMeter = Static<typeof DeviceMeter>;
/** A session started at the pile with a card (JSON `card.start`, OCPP Authorize + StartTransaction). */
export const DeviceSessionStarted = Type.Object({
  ...PileRef,
  portNo: PortNo,
  sessionId: Id,
  cardId: CardId,
  /** the card's owner (auth.cardOwner), who pays from the balance */
  userId: Id,
  meterStartWms: EnergyWms(),
  at: EpochMs(),
});
export type DeviceSessionStarted = Static<typeof DeviceSessionStarted>;
/** Why a pile says a port's session ended. */
export const DeviceStopReason = Literals(['remote', 'local', 'full', 'fault', 'unplugged', 'other']);
export type DeviceStopReason = Static<typeof DeviceStopReason>;
/** The pile ended a port's session (after a stop command, at the pile, the car full, a fault): the final register. */
export const DeviceSessionStopped = Type.Object({
  ...PileRef,
  portNo: PortNo,
  sessionId: Id,
  meterStopWms: EnergyWms(),
  reason: DeviceStopReason,
  at: EpochMs(),
});
export type DeviceSessionStopped = Static<typeof DeviceSessionStopped>;

export const deviceMessages = {
  'device.command-acked': DeviceCommandAcked,
  'device.command-failed': DeviceCommandFailed,
  'device.pile-online': DevicePileOnline,
  'device.pile-offline': DevicePileOffline,
  'device.pile-fault': DevicePileFault,
  'device.pile-recovered': DevicePileRecovered,
  'device.meter': DeviceMeter,
  'device.session-started': DeviceSessionStarted,
  'device.session-stopped': DeviceSessionStopped,
  'pile.command': PileCommand,
} as const;

// ---- the device registry and live state (device-bridge serves) ----
/** A device id: the OCPP charge point id or the JSON pile's IMEI (004's `imei` and `deviceAddress`). */
export const DeviceId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
export const DeviceKind = Literals(['ocpp1.6', 'json']);
/** 004's pile type: 1 DC fast, 2 AC slow. */
export const DevicePileType = Type.Union([Type.Literal(1), Type.Literal(2)]);
/** 004's status words for a pile or a port: 0 offline, 1 idle, 2 in use, 3 fault. */
export const PortStatusCode = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)]);
export type PortStatusCode = Static<typeof PortStatusCode>;

export const RegisterDeviceParams = Type.Object({
  deviceId: DeviceId,
  stationId: Id,
  protocol: DeviceKind,
  pileNo: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._-]+$' }),
  pileType: DevicePileType,
  /** rated power, kW with at most 3 decimals (stored as W) */
  powerKw: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
  ports: Type.Integer({ minimum: 1, maximum: 64 }),
  manufacturer: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
}, { additionalProperties: false });
export type RegisterDeviceParams = Static<typeof RegisterDeviceParams>;
/** `pileId` is 004's pile id (`<stationId>-<pileNo>`); `secret` is answered here only, a hash of it is stored. */
export const RegisterDeviceResult = Type.Object({ deviceId: DeviceId, pileId: Id, secret: Type.String({ minLength: 16 }) });

/** One port now: the pile's latest report and the session on it. */
export const PortLive = Type.Object({
  portNo: PortNo,
  /** 004's port id: `<pileId>-<portNo>` */
  portId: Id,
  status: PortStatusCode,
  /** the pile's own word for the connector (idle, preparing, charging, suspended, finishing, faulted, unavailable) */
  connectorState: Type.Optional(Type.String()),
  isDisabled: Type.Boolean(),
  /** 004's faultType: 0 none, 1 fuse blown, 2 relay stuck */
  faultType: Type.Integer({ minimum: 0, maximum: 2 }),
  voltageV: Type.Number({ minimum: 0 }),
  currentA: Type.Number({ minimum: 0 }),
  powerW: Type.Integer({ minimum: 0 }),
  temperatureC: Type.Number(),
  /** energy of the session on the port so far (0 without one) */
  sessionEnergyWms: EnergyWms(),
  meterWms: Type.Optional(EnergyWms({ description: 'the port register at the latest reading' })),
  sessionId: Type.Optional(Id),
  orderId: Type.Optional(Id),
  updatedAt: Type.Optional(EpochMs()),
});
export type PortLive = Static<typeof PortLive>;

export const DeviceView = Type.Object({
  deviceId: DeviceId,
  pileId: Id,
  stationId: Id,
  pileNo: Type.String(),
  protocol: DeviceKind,
  pileType: DevicePileType,
  powerW: Type.Integer({ minimum: 0 }),
  ports: Type.Integer({ minimum: 1 }),
  manufacturer: Type.Optional(Type.String()),
  connected: Type.Boolean(),
  replicaId: Type.Optional(Id),
  /** the door and replica, never the pile's address: `ws://replica-1`, `tcp://replica-2`, `ocpp://replica-1` */
  endpoint: Type.Optional(Type.String()),
  connectedAt: Type.Optional(EpochMs()),
  lastSeenAt: Type.Optional(EpochMs()),
  faulted: Type.Boolean(),
  /** 004's pile status: 0 offline, 1 idle, 2 in use (a port charging), 3 fault */
  status: PortStatusCode,
  temperatureC: Type.Optional(Type.Number()),
  signalStrength: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  portStates: Type.Array(PortLive),
  createdAt: EpochMs(),
});
export type DeviceView = Static<typeof DeviceView>;

export const DeviceListParams = Type.Object({
  stationId: Type.Optional(Id),
  connectedOnly: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
/** One device by its id, 004's pile id, or (with `code`, a scanned QR code) any of deviceId, pileId, pileNo. */
export const DeviceGetParams = Type.Object({
  deviceId: Type.Optional(Id),
  pileId: Type.Optional(Id),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
}, { additionalProperties: false });

/**
 * A command to a pile that answers it (not a session's start or stop): 004's `config` byte array, and the operator
 * commands of DESIGN.md "Devices". `data` of the answer is the pile's answer as it sent it (`{status, ...}`).
 * Refusals: PILE_STATE reason PILE_OFFLINE (not connected), TIMEOUT reason PILE_TIMEOUT (no answer in timeoutMs),
 * NOT_FOUND resource pile (unknown device).
 */
export const DeviceControl = Type.Union([
  Type.Object({ command: Type.Literal('config'), config: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1, maxItems: 4096 }) }),
  Type.Object({ command: Type.Literal('reset'), type: Literals(['Soft', 'Hard']) }),
  Type.Object({ command: Type.Literal('unlock'), connectorId: PortNo }),
  Type.Object({ command: Type.Literal('availability'), connectorId: Type.Integer({ minimum: 0, maximum: 64 }), type: Literals(['Operative', 'Inoperative']) }),
  Type.Object({ command: Type.Literal('get-configuration'), keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100 })) }),
  Type.Object({ command: Type.Literal('change-configuration'), key: Type.String({ minLength: 1, maxLength: 50 }), value: Type.String({ maxLength: 500 }) }),
  Type.Object({ command: Type.Literal('trigger'), message: Type.String({ minLength: 1, maxLength: 50 }), connectorId: Type.Optional(PortNo) }),
  // a session's start/stop on a port, answered with the pile's acknowledgement (walk-up sessions)
  // targetEnergyWms: an energy-limited order (chargingMode 4); a pile that can stops there itself (the platform
  // also stops it at the first reading that reaches it)
  Type.Object({ command: Type.Literal('start'), portNo: PortNo, sessionId: Id, orderId: Type.Optional(Id), idTag: Type.Optional(CardId), targetEnergyWms: Type.Optional(EnergyWms()) }),
  Type.Object({ command: Type.Literal('stop'), portNo: PortNo, sessionId: Id }),
]);
export type DeviceControl = Static<typeof DeviceControl>;
export const DeviceCommandParams = Type.Object({
  deviceId: Id,
  control: DeviceControl,
  /** how long to wait for the pile's answer; default 10 000 */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
}, { additionalProperties: false });
export const DeviceCommandResult = Type.Object({
  deviceId: Id,
  commandId: Id,
  accepted: Type.Boolean(),
  /** the pile's answer: `{status, ...}` */
  data: Type.Record(Type.String(), Type.Unknown()),
  /** a start's answer: the port register when the session began */
  meterWms: Type.Optional(EnergyWms()),
  at: EpochMs(),
});
export type DeviceCommandResult = Static<typeof DeviceCommandResult>;

export const deviceRpc = {
  /** CONFLICT when the deviceId or the station's pileNo exists; NOT_FOUND (resource station) for an unknown station */
  'device.register': { params: RegisterDeviceParams, result: RegisterDeviceResult },
  'device.list': { params: DeviceListParams, result: Type.Object({ items: Type.Array(DeviceView) }) },
  /** NOT_FOUND (resource pile) when nothing matches */
  'device.get': { params: DeviceGetParams, result: DeviceView },
  /** removes the device and closes its connection on whichever replica holds it */
  'device.remove': { params: Type.Object({ deviceId: Id }, { additionalProperties: false }), result: DeviceView },
  /** served by every replica (shared queue) and per replica (shard = replicaId): forwarded to the pile's holder */
  'device.command': { params: DeviceCommandParams, result: DeviceCommandResult },
  /** internal, per replica (shard = replicaId): close the device's connection held there (after device.remove) */
  'device.disconnect': { params: Type.Object({ deviceId: Id }, { additionalProperties: false }), result: Type.Object({ closed: Type.Boolean() }) },
} as const satisfies Record<string, RpcSchemaPair>;

/** Names shared by device-bridge replicas and by whoever sends pile commands (ARCH "Messaging"). */
export const deviceNames = {
  /** device id of a station's pile, e.g. `default-F1` */
  pileId: (stationId: string, pileNo: string) => `${stationId}-${pileNo}`,
  /** Redis string: replicaId of the replica holding the pile's connection (TTL refreshed by heartbeats) */
  pileOwnerKey: (ns: string, pileId: string) => `${ns}:pile-owner:${pileId}`,
  /** Redis hash: live telemetry of a pile (online, state, faulted, lastHeartbeatMs, energyWms, ...) */
  pileTelemetryKey: (ns: string, pileId: string) => `${ns}:pile-telemetry:${pileId}`,
  /** Redis set of the pile ids currently online on some replica */
  onlinePilesKey: (ns: string) => `${ns}:piles-online`,
  /** routing key on `${ns}.commands` of a replica's pile-command queue */
  pileCommandRoutingKey: (replicaId: string) => `pile.command.${replicaId}`,
} as const;

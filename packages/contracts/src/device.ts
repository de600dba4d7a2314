// Device-bridge: pile connectivity events (bridge -> scheduler) and pile commands (scheduler -> bridge replica).
import { Type, type Static } from '@sinclair/typebox';
import { EnergyWms, EpochMs, Id, Literals } from './common.js';

export const DeviceProtocol = Literals(['ocpp1.6', 'ws', 'tcp']);

const PileRef = {
  pileId: Id, // device identity (e.g. OCPP chargePointId)
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
  sessionId: Type.Optional(Id),
  accepted: Type.Boolean(),
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

export const deviceMessages = {
  'device.command-acked': DeviceCommandAcked,
  'device.command-failed': DeviceCommandFailed,
  'device.pile-online': DevicePileOnline,
  'device.pile-offline': DevicePileOffline,
  'device.pile-fault': DevicePileFault,
  'device.pile-recovered': DevicePileRecovered,
  'pile.command': PileCommand,
} as const;

export const deviceRpc = {} as const;

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

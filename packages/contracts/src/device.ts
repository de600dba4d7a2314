// Device-bridge: pile connectivity events (bridge -> scheduler) and pile commands (scheduler -> bridge replica).
import { Type, type Static } from '@sinclair/typebox';
import { EnergyWms, EpochMs, Id } from './common.js';

export const DeviceProtocol = Type.Union([Type.Literal('ocpp1.6'), Type.Literal('ws'), Type.Literal('tcp')]);

const PileRef = {
  pileId: Id, // device identity (e.g. OCPP chargePointId)
  stationId: Type.Optional(Id),
  pileNo: Type.Optional(Type.String()),
};

export const DevicePileOnline = Type.Object({ ...PileRef, replicaId: Id, protocol: DeviceProtocol, at: EpochMs() });
export type DevicePileOnline = Static<typeof DevicePileOnline>;
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
  action: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
  sessionId: Type.Optional(Id),
  orderId: Type.Optional(Id),
  powerW: Type.Optional(Type.Integer({ minimum: 0 })),
  targetEnergyWms: Type.Optional(EnergyWms()),
});
export type PileCommand = Static<typeof PileCommand>;

export const deviceMessages = {
  'device.pile-online': DevicePileOnline,
  'device.pile-offline': DevicePileOffline,
  'device.pile-fault': DevicePileFault,
  'device.pile-recovered': DevicePileRecovered,
  'pile.command': PileCommand,
} as const;

export const deviceRpc = {} as const;

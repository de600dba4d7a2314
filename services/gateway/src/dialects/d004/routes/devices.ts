// Document 004's devices (004:993-1035: the connected devices and one device's connection, any signed-in user) and
// the operators' device registry (DESIGN.md "Platform additions": register, list, remove, commands), over
// device-bridge's device.* RPCs. The registration's secret is answered here only (device-bridge keeps a hash).
import { Type, type TSchema } from '@sinclair/typebox';
import type { DeviceView } from '@voltq/contracts';
import type { Api } from '../../../core/context.js';
import { iso, kw } from '../../../core/units.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { OPERATOR_COMMANDS, operatorControl } from '../commands.js';
import { Closed, responses, StringEnum } from '../schemas.js';
import { scaledInteger } from '../walkup.js';
import { PILE_COMMAND_RPC_TIMEOUT_MS } from './walkup.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ description: 'ISO 8601 with offset' });
const DeviceIdText = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'the OCPP charge point id or the IMEI of a JSON pile' });
/** An operator command's answer: the pile said nothing in this long -> 5002 (DESIGN.md "Devices"). */
export const OPERATOR_COMMAND_TIMEOUT_MS = 10_000;

export const ConnectedDevice = Type.Object({
  imei: Type.String(),
  endpoint: Type.String({ description: 'the door and replica (ocpp://replica-1, ws://…, tcp://…), never an address' }),
  connectTime: Nullable(IsoTime),
});
export const DeviceStatus = Type.Object({
  imei: Type.String(),
  isConnected: Type.Boolean(),
  endpoint: Nullable(Type.String({ description: 'while connected' })),
});
export const ImeiPath = Closed({ imei: DeviceIdText });
export const DeviceIdPath = Closed({ deviceId: DeviceIdText });
export const RegisterDeviceBody = Closed({
  deviceId: DeviceIdText,
  stationId: Type.String({ minLength: 1, maxLength: 128 }),
  protocol: StringEnum(['ocpp1.6', 'json'] as const),
  pileNo: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._-]+$' }),
  pileType: Type.Unsafe<1 | 2>({ type: 'integer', enum: [1, 2], description: '1 DC fast, 2 AC slow' }),
  powerKw: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'rated power, at most 3 decimals' }),
  ports: Type.Integer({ minimum: 1, maximum: 64 }),
  manufacturer: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export const DeviceRegistered = Type.Object({
  deviceId: Type.String(),
  pileId: Type.String({ description: "004's pile id <stationId>-<pileNo>" }),
  secret: Type.String({ description: 'the pile logs in with it; answered this once' }),
});
export const AdminDevice = Type.Object({
  deviceId: Type.String(),
  pileId: Type.String(),
  stationId: Type.String(),
  pileNo: Type.String(),
  protocol: Type.String(),
  pileType: Type.Integer(),
  powerKw: Type.Number(),
  ports: Type.Integer(),
  manufacturer: Nullable(Type.String()),
  connected: Type.Boolean(),
  replicaId: Nullable(Type.String()),
  endpoint: Nullable(Type.String()),
  connectedAt: Nullable(IsoTime),
  lastSeenAt: Nullable(IsoTime),
  faulted: Type.Boolean(),
  status: Type.Integer({ description: '0 offline, 1 idle, 2 in use, 3 fault' }),
  createdAt: IsoTime,
});
export const AdminDevicesQuery = Closed({ stationId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) });
export const CommandBody = Closed({
  command: StringEnum(OPERATOR_COMMANDS),
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'reset: Soft | Hard; availability: Operative | Inoperative' })),
  connectorId: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: 'unlock, availability (0: the whole pile), trigger' })),
  keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100, description: 'get-configuration' })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'change-configuration' })),
  value: Type.Optional(Type.String({ maxLength: 500, description: 'change-configuration' })),
  message: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'trigger: the message to send, e.g. StatusNotification' })),
});
export const PileAnswer = Type.Record(Type.String(), Type.Unknown(), { description: "the pile's answer as it sent it ({status, ...})" });

export function adminDevice(d: DeviceView, timeZone: string) {
  return {
    deviceId: d.deviceId, pileId: d.pileId, stationId: d.stationId, pileNo: d.pileNo, protocol: d.protocol, pileType: d.pileType,
    powerKw: kw(d.powerW), ports: d.ports, manufacturer: d.manufacturer ?? null, connected: d.connected,
    replicaId: d.replicaId ?? null, endpoint: d.endpoint ?? null, connectedAt: iso(d.connectedAt, timeZone),
    lastSeenAt: iso(d.lastSeenAt, timeZone), faulted: d.faulted, status: d.status, createdAt: iso(d.createdAt, timeZone) as string,
  };
}

export function deviceRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.get('/devices', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'the devices connected now', security, response: responses(Type.Array(ConnectedDevice)) },
    config: { resource: 'pile' },
  }, async (req) => {
    const { items } = await deps.call(req, 'device.list', { connectedOnly: true });
    return ok(items.filter((d) => d.connected).map((d) => ({ imei: d.deviceId, endpoint: d.endpoint ?? '', connectTime: iso(d.connectedAt, deps.timeZone) })));
  });

  api.get('/devices/:imei/status', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "one device's connection (2002 for a device not registered)", security, params: ImeiPath, response: responses(DeviceStatus) },
    config: { resource: 'pile' },
  }, async (req) => {
    const d = await deps.call(req, 'device.get', { deviceId: req.params.imei });
    return ok({ imei: d.deviceId, isConnected: d.connected, endpoint: d.connected ? (d.endpoint ?? null) : null });
  });

  api.post('/admin/devices', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'register a pile (its station must exist); the secret is answered this once', security, body: RegisterDeviceBody, response: responses(DeviceRegistered) },
    config: { resource: 'station' },
  }, async (req) => {
    const b = req.body;
    // kW with at most 3 decimals: the device keeps whole watts
    scaledInteger(b.powerKw, 3, 'powerKw', 'kW');
    const r = await deps.call(req, 'device.register', {
      deviceId: b.deviceId, stationId: b.stationId, protocol: b.protocol, pileNo: b.pileNo, pileType: b.pileType, powerKw: b.powerKw, ports: b.ports,
      ...(b.manufacturer !== undefined ? { manufacturer: b.manufacturer } : {}),
    });
    return ok({ deviceId: r.deviceId, pileId: r.pileId, secret: r.secret });
  });

  api.get('/admin/devices', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'every registered device (or one station\'s) with its connection', security, querystring: AdminDevicesQuery, response: responses(Type.Array(AdminDevice)) },
    config: { resource: 'pile' },
  }, async (req) => {
    const { items } = await deps.call(req, 'device.list', req.query.stationId !== undefined ? { stationId: req.query.stationId } : {});
    return ok(items.map((d) => adminDevice(d, deps.timeZone)));
  });

  api.delete('/admin/devices/:deviceId', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'remove a device: its connection is closed, it can no longer log in', security, params: DeviceIdPath, response: responses(AdminDevice) },
    config: { resource: 'pile' },
  }, async (req) => ok(adminDevice(await deps.call(req, 'device.remove', { deviceId: req.params.deviceId }), deps.timeZone)));

  api.post('/admin/devices/:deviceId/commands', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: "an operator command to the pile; data is the pile's answer (no answer in 10 s: 5002)",
      security,
      params: DeviceIdPath,
      body: CommandBody,
      response: responses(PileAnswer),
    },
    config: { resource: 'pile' },
  }, async (req) => {
    const r = await deps.call(req, 'device.command', { deviceId: req.params.deviceId, control: operatorControl(req.body), timeoutMs: OPERATOR_COMMAND_TIMEOUT_MS }, { timeoutMs: PILE_COMMAND_RPC_TIMEOUT_MS });
    return ok(r.data);
  });
}

// Document 004's piles and ports (004:313-562): a station's piles, one pile, a pile by its QR code, ports with
// their totals, one port live. Piles are device-bridge's registered devices (device.list / device.get) and a queue
// station's modelled piles; the per-port totals are the scheduler's (scheduler.portTotals). Views: ../piles.ts.
import { Type, type TSchema } from '@sinclair/typebox';
import { DomainError, isDomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { findPile, portTotals, totalsKey, visibleOrders } from '../lookup.js';
import { pileDetail004, pileListItem004, pileOfDevice, pileQr004, portDetail004, portListItem004, portOf, stationPiles, type PileModel } from '../piles.js';
import { parsePortId } from '../walkup.js';
import { Closed, responses } from '../schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ description: 'ISO 8601 with offset' });
const Status = Type.Integer({ description: '0 offline, 1 idle, 2 in use, 3 fault' });
const PortType = Type.Integer({ description: '1 GB/T (国标): every port of the platform' });

const PortBrief = {
  id: Type.String({ description: '<pileId>-<portNo>' }),
  portNo: Type.String(),
  portType: PortType,
  status: Status,
  isDisabled: Type.Boolean(),
};
const PortLiveFields = {
  voltage: Type.Number({ description: 'V' }),
  currentAmpere: Type.Number({ description: 'A' }),
  power: Type.Number({ description: 'kW' }),
  temperature: Type.Number({ description: '℃' }),
  electricity: Type.Number({ description: 'kWh of the session on the port (0 without one)' }),
};
const Totals = {
  totalChargingTimes: Type.Integer({ description: 'ended sessions on the port' }),
  totalChargingDuration: Type.Integer({ description: 'seconds' }),
  totalPowerConsumption: Type.Number({ description: 'kWh' }),
};

export const PileListItem = Type.Object({
  id: Type.String({ description: "004's pile id <stationId>-<pileNo>" }),
  stationId: Type.String(),
  pileNo: Type.String(),
  pileType: Type.Integer({ description: '1 DC fast, 2 AC slow' }),
  status: Status,
  powerRate: Type.Number({ description: 'kW' }),
  manufacturer: Type.String({ description: "'' when not registered" }),
  imei: Type.String({ description: "the device id ('' for a queue station's modelled pile)" }),
  totalPorts: Type.Integer(),
  floatingPower: Type.Number({ description: 'not known to the platform: 0' }),
  autoStopEnabled: Type.Boolean({ description: 'true: a pile reporting the car full ends the session' }),
  pluginWaitTime: Type.Integer({ description: 'not known to the platform: 0' }),
  removalWaitTime: Type.Integer({ description: 'not known to the platform: 0' }),
  supportsNewProtocol: Type.Boolean({ description: 'true for a JSON-protocol pile (it logs in with its IMEI)' }),
  protocolVersion: Type.String({ description: "ocpp1.6 | json ('' for a modelled pile)" }),
  softwareVersion: Type.String({ description: "not known to the platform: ''" }),
  hardwareVersion: Type.String({ description: "not known to the platform: ''" }),
  ccid: Type.String({ description: "not known to the platform: ''" }),
  voltage: Type.String({ description: "rated voltage, not known to the platform: ''" }),
  ampereValue: Type.String({ description: "rated current, not known to the platform: ''" }),
  onlineStatus: Type.Integer({ description: '0 offline, 1 online' }),
  signalStrength: Type.Integer(),
  temperature: Type.Number(),
  lastHeartbeatTime: Nullable(IsoTime),
  installationDate: Nullable(Type.String({ description: 'YYYY-MM-DD: when the device was registered' })),
  lastMaintenanceDate: Type.Null({ description: 'not kept by the platform' }),
  description: Type.String(),
  updateTime: IsoTime,
  availablePorts: Type.Integer({ description: 'ports idle, enabled and online' }),
  ports: Type.Array(Type.Object(PortBrief)),
});
/** What the pile detail and the scanned code begin with. */
const PileHead = {
  id: Type.String(),
  stationId: Type.String(),
  stationName: Type.String(),
  pileNo: Type.String(),
  pileType: Type.Integer(),
  status: Status,
  powerRate: Type.Number({ description: 'kW' }),
};
export const PileDetail = Type.Object({
  ...PileHead,
  manufacturer: Type.String(),
  totalPorts: Type.Integer(),
  onlineStatus: Type.Integer(),
  signalStrength: Type.Integer({ description: '0-100' }),
  temperature: Type.Number(),
  lastHeartbeatTime: Nullable(IsoTime),
  ports: Type.Array(Type.Object({ ...PortBrief, ...PortLiveFields })),
  updateTime: IsoTime,
});
export const PileQr = Type.Object({
  ...PileHead,
  deviceAddress: Nullable(Type.String({ description: 'the device id, for the ChargingPile control routes (null: a modelled pile)' })),
  ports: Type.Array(Type.Object(PortBrief)),
});
export const PortListItem = Type.Object({
  id: Type.String(),
  pileId: Type.String(),
  pileNo: Type.String(),
  portNo: Type.String(),
  portType: PortType,
  status: Status,
  currentOrderId: Nullable(Type.String({ description: "the order charging on the port: the caller's own only (an operator sees every one)" })),
  ...Totals,
});
export const PortDetail = Type.Object({
  id: Type.String(),
  pileId: Type.String(),
  pileNo: Type.String(),
  portNo: Type.String(),
  portType: PortType,
  status: Status,
  faultType: Type.Integer({ description: '0 none, 1 fuse blown, 2 relay stuck' }),
  isDisabled: Type.Boolean(),
  currentOrderId: Nullable(Type.String()),
  lastOrderId: Nullable(Type.String()),
  ...PortLiveFields,
  ...Totals,
  lastCheckTime: Nullable(IsoTime),
  updateTime: IsoTime,
});

export const StationPilesPath = Closed({ stationId: Id });
export const StationPilesQuery = Closed({ status: Type.Optional(Type.Integer({ minimum: 0, maximum: 3, description: '0 offline, 1 idle, 2 in use, 3 fault' })) });
export const IdPath = Closed({ id: Id });
export const CodePath = Closed({ code: Id });
export const PortsQuery = Closed({ pileId: Type.Optional(Id) });

export function pileRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  /** Every pile of every station (ports without a pileId). */
  const allPiles = async (req: Parameters<RouteDeps['call']>[0]): Promise<PileModel[]> => {
    const [devices, stations] = await Promise.all([deps.call(req, 'device.list', {}), deps.call(req, 'scheduler.stations', {})]);
    const names = new Map(stations.items.map((s) => [s.stationId, s] as const));
    const onStations = stations.items.flatMap((s) => stationPiles(s, devices.items));
    // a device whose station the scheduler does not list still has ports
    const orphans = devices.items.filter((d) => !names.has(d.stationId)).map((d) => pileOfDevice(d, d.stationId));
    return [...onStations, ...orphans];
  };

  /** One port by `<pileId>-<portNo>`: NOT_FOUND resource port (2003) for anything else. */
  const findPort = async (req: Parameters<RouteDeps['call']>[0], portId: string) => {
    const ref = parsePortId(portId);
    const missing = () => new DomainError('NOT_FOUND', `no port ${portId}`, { resource: 'port' });
    if (!ref) throw missing();
    let pile: PileModel;
    try {
      pile = await findPile(deps, req, { pileId: ref.pileId });
    } catch (err) {
      if (isDomainError(err) && err.code === 'NOT_FOUND') throw missing();
      throw err;
    }
    const port = portOf(pile, ref.portNo);
    if (!port) throw missing();
    return { pile, port };
  };

  api.get('/ChargingPile/station/:stationId', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "a station's piles with their ports (status: only piles in that state)", security, params: StationPilesPath, querystring: StationPilesQuery, response: responses(Type.Array(PileListItem)) },
    config: { resource: 'station' },
  }, async (req) => {
    const station = await deps.call(req, 'scheduler.getStation', { stationId: req.params.stationId });
    const devices = (await deps.call(req, 'device.list', { stationId: station.stationId })).items;
    const fmt = deps.fmt();
    const piles = stationPiles(station, devices).filter((p) => req.query.status === undefined || p.status === req.query.status);
    return ok(piles.map((p) => pileListItem004(p, fmt)));
  });

  api.get('/pile/:id', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'one pile with its ports live', security, params: IdPath, response: responses(PileDetail) },
    config: { resource: 'pile' },
  }, async (req) => ok(pileDetail004(await findPile(deps, req, { pileId: req.params.id }), deps.fmt())));

  api.get('/ChargingPile/qrcode/:code', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "a pile by its QR code's content: the pile id, the device id (IMEI) or the pile number", security, params: CodePath, response: responses(PileQr) },
    config: { resource: 'pile' },
  }, async (req) => ok(pileQr004(await findPile(deps, req, { code: req.params.code }))));

  api.get('/ChargingPort', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "ports with their totals: one pile's, or every pile's", security, querystring: PortsQuery, response: responses(Type.Array(PortListItem)) },
    config: { resource: 'pile' },
  }, async (req) => {
    const piles = req.query.pileId !== undefined ? [await findPile(deps, req, { pileId: req.query.pileId })] : await allPiles(req);
    const totals = await portTotals(deps, req, piles);
    const visible = await visibleOrders(deps, req, piles.flatMap((p) => p.ports.map((port) => port.orderId ?? totals.get(totalsKey(p.deviceId, port.portNo))?.currentOrderId)));
    return ok(piles.flatMap((p) => p.ports.map((port) => portListItem004(p, port, totals.get(totalsKey(p.deviceId, port.portNo)), visible))));
  });

  const portHandler = async (req: Parameters<RouteDeps['call']>[0] & { params: { id: string } }) => {
    const { pile, port } = await findPort(req, req.params.id);
    const totals = (await portTotals(deps, req, [pile])).get(totalsKey(pile.deviceId, port.portNo));
    const visible = await visibleOrders(deps, req, [port.orderId ?? totals?.currentOrderId, totals?.lastOrderId]);
    return ok(portDetail004(pile, port, totals, visible, deps.fmt()));
  };
  api.get('/port/:id', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'one port: live figures and totals', security, params: IdPath, response: responses(PortDetail) },
    config: { resource: 'port' },
  }, portHandler);
  api.get('/port/:id/status', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "one port's live status (the same fields as /api/port/{id})", security, params: IdPath, response: responses(PortDetail) },
    config: { resource: 'port' },
  }, portHandler);
}


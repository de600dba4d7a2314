// Document 004's piles and ports (004:313-562, 004:1144-1264), pure: a registered device (device-bridge's view) or a
// queue station's modelled pile -> one pile model -> 004's fields. What the platform does not know about a pile
// (firmware versions, CCID, rated voltage, maintenance dates) is answered with neutral values (docs/api/004.md).
import type { DeviceView, PortTotals, StationView } from '@voltq/contracts';
import { iso, kw, kwh, localDate, seconds, type FormatContext } from '../../core/units.js';
import { PILE_STATUS_004 } from './routes/stations.js';

type Ctx = Pick<FormatContext, 'timeZone'>;

export interface PortModel {
  portId: string;
  portNo: number;
  status: number;
  isDisabled: boolean;
  faultType: number;
  voltageV: number;
  currentA: number;
  powerW: number;
  temperatureC: number;
  sessionEnergyWms: number;
  orderId?: string;
  updatedAt?: number;
}

export interface PileModel {
  pileId: string;
  stationId: string;
  stationName: string;
  pileNo: string;
  pileType: 1 | 2;
  status: number;
  powerW: number;
  /** the device of a registered pile (004's imei and deviceAddress); absent on a queue station's modelled pile */
  deviceId?: string;
  protocol?: DeviceView['protocol'];
  manufacturer: string;
  connected: boolean;
  signalStrength: number;
  temperatureC: number;
  lastSeenAt?: number;
  createdAt: number;
  updatedAt: number;
  ports: PortModel[];
}

export function pileOfDevice(d: DeviceView, stationName: string): PileModel {
  const ports = d.portStates.map((p): PortModel => ({
    portId: p.portId, portNo: p.portNo, status: p.status, isDisabled: p.isDisabled, faultType: p.faultType,
    voltageV: p.voltageV, currentA: p.currentA, powerW: p.powerW, temperatureC: p.temperatureC,
    sessionEnergyWms: p.sessionEnergyWms,
    ...(p.orderId !== undefined ? { orderId: p.orderId } : {}),
    ...(p.updatedAt !== undefined ? { updatedAt: p.updatedAt } : {}),
  }));
  const latest = Math.max(d.createdAt, d.lastSeenAt ?? 0, d.connectedAt ?? 0, ...ports.map((p) => p.updatedAt ?? 0));
  return {
    pileId: d.pileId, stationId: d.stationId, stationName, pileNo: d.pileNo, pileType: d.pileType, status: d.status,
    powerW: d.powerW, deviceId: d.deviceId, protocol: d.protocol, manufacturer: d.manufacturer ?? '', connected: d.connected,
    signalStrength: d.signalStrength ?? 0, temperatureC: d.temperatureC ?? 0,
    ...(d.lastSeenAt !== undefined ? { lastSeenAt: d.lastSeenAt } : {}),
    createdAt: d.createdAt, updatedAt: latest, ports: ports.sort((a, b) => a.portNo - b.portNo),
  };
}

/** A queue station's pile without a device: one port, its state the pile's (the scheduler models it). */
export function pileOfQueueStation(s: StationView, p: StationView['piles'][number]): PileModel {
  const pileId = `${s.stationId}-${p.pileNo}`;
  const status = PILE_STATUS_004[p.state];
  return {
    pileId, stationId: s.stationId, stationName: s.name, pileNo: p.pileNo, pileType: p.mode === 'fast' ? 1 : 2, status,
    powerW: p.powerW, manufacturer: '', connected: p.state !== 'offline', signalStrength: 0, temperatureC: 0,
    createdAt: s.createdAt, updatedAt: s.updatedAt,
    ports: [{
      portId: `${pileId}-1`, portNo: 1, status, isDisabled: p.state === 'off', faultType: 0, voltageV: 0, currentA: 0,
      powerW: p.state === 'charging' ? p.powerW : 0, temperatureC: 0, sessionEnergyWms: 0,
    }],
  };
}

/** The piles of a station: its registered devices, and the queue piles no device stands for. */
export function stationPiles(s: StationView, devices: readonly DeviceView[]): PileModel[] {
  const fromDevices = devices.filter((d) => d.stationId === s.stationId).map((d) => pileOfDevice(d, s.name));
  const taken = new Set(fromDevices.map((p) => p.pileNo));
  const modelled = s.kind === 'queue' ? s.piles.filter((p) => !taken.has(p.pileNo)).map((p) => pileOfQueueStation(s, p)) : [];
  return [...fromDevices, ...modelled].sort((a, b) => a.pileNo.localeCompare(b.pileNo, 'en', { numeric: true }));
}

/** A port a new order can start on now (004's availablePorts). */
export const portAvailable = (pile: PileModel, port: PortModel) => pile.connected && port.status === 1 && !port.isDisabled;

const PORT_TYPE_GB = 1; // 国标: the platform's connectors are all GB/T

function portBrief(port: PortModel) {
  return { id: port.portId, portNo: String(port.portNo), portType: PORT_TYPE_GB, status: port.status, isDisabled: port.isDisabled };
}

function portLive(port: PortModel) {
  return {
    voltage: port.voltageV,
    currentAmpere: port.currentA,
    power: kw(port.powerW),
    temperature: port.temperatureC,
    electricity: kwh(port.sessionEnergyWms),
  };
}

/** `GET /api/ChargingPile/station/{stationId}` (004:328-370). */
export function pileListItem004(p: PileModel, ctx: Ctx) {
  return {
    id: p.pileId,
    stationId: p.stationId,
    pileNo: p.pileNo,
    pileType: p.pileType,
    status: p.status,
    powerRate: kw(p.powerW),
    manufacturer: p.manufacturer,
    imei: p.deviceId ?? '',
    totalPorts: p.ports.length,
    floatingPower: 0,
    autoStopEnabled: true,
    pluginWaitTime: 0,
    removalWaitTime: 0,
    supportsNewProtocol: p.protocol === 'json',
    protocolVersion: p.protocol ?? '',
    softwareVersion: '',
    hardwareVersion: '',
    ccid: '',
    voltage: '',
    ampereValue: '',
    onlineStatus: p.connected ? 1 : 0,
    signalStrength: p.signalStrength,
    temperature: p.temperatureC,
    lastHeartbeatTime: iso(p.lastSeenAt, ctx.timeZone),
    installationDate: p.deviceId !== undefined ? localDate(p.createdAt, ctx.timeZone) : null,
    lastMaintenanceDate: null,
    description: '',
    updateTime: iso(p.updatedAt, ctx.timeZone) as string,
    availablePorts: p.ports.filter((port) => portAvailable(p, port)).length,
    ports: p.ports.map(portBrief),
  };
}

/** What the pile detail and the scanned code begin with (004:384-392, 430-438). */
function pileHead(p: PileModel) {
  return {
    id: p.pileId,
    stationId: p.stationId,
    stationName: p.stationName,
    pileNo: p.pileNo,
    pileType: p.pileType,
    status: p.status,
    powerRate: kw(p.powerW),
  };
}

/** `GET /api/pile/{id}` (004:384-417). */
export function pileDetail004(p: PileModel, ctx: Ctx) {
  return {
    ...pileHead(p),
    manufacturer: p.manufacturer,
    totalPorts: p.ports.length,
    onlineStatus: p.connected ? 1 : 0,
    signalStrength: p.signalStrength,
    temperature: p.temperatureC,
    lastHeartbeatTime: iso(p.lastSeenAt, ctx.timeZone),
    ports: p.ports.map((port) => ({ ...portBrief(port), ...portLive(port) })),
    updateTime: iso(p.updatedAt, ctx.timeZone) as string,
  };
}

/** `GET /api/ChargingPile/qrcode/{code}` (004:430-452). */
export function pileQr004(p: PileModel) {
  return {
    ...pileHead(p),
    deviceAddress: p.deviceId ?? null,
    ports: p.ports.map(portBrief),
  };
}

/** Which order ids the caller may see (its own; an operator all): another user's is shown as null. */
export type Visible = (orderId: string | undefined) => string | null;

const totalsOf = (t: PortTotals | undefined) => ({
  totalChargingTimes: t?.sessions ?? 0,
  totalChargingDuration: seconds(t?.durationMs ?? 0),
  totalPowerConsumption: kwh(t?.energyWms ?? 0),
});

/** `GET /api/ChargingPort` (004:467-483). */
export function portListItem004(p: PileModel, port: PortModel, totals: PortTotals | undefined, visible: Visible) {
  return {
    id: port.portId,
    pileId: p.pileId,
    pileNo: p.pileNo,
    portNo: String(port.portNo),
    portType: PORT_TYPE_GB,
    status: port.status,
    currentOrderId: visible(port.orderId ?? totals?.currentOrderId),
    ...totalsOf(totals),
  };
}

/** `GET /api/port/{id}` and `/api/port/{id}/status` (004:497-522, 004:535-560: the same fields). */
export function portDetail004(p: PileModel, port: PortModel, totals: PortTotals | undefined, visible: Visible, ctx: Ctx) {
  const checkedAt = port.updatedAt ?? p.lastSeenAt;
  return {
    id: port.portId,
    pileId: p.pileId,
    pileNo: p.pileNo,
    portNo: String(port.portNo),
    portType: PORT_TYPE_GB,
    status: port.status,
    faultType: port.faultType,
    isDisabled: port.isDisabled,
    currentOrderId: visible(port.orderId ?? totals?.currentOrderId),
    lastOrderId: visible(totals?.lastOrderId),
    ...portLive(port),
    ...totalsOf(totals),
    lastCheckTime: iso(checkedAt, ctx.timeZone),
    updateTime: iso(Math.max(checkedAt ?? 0, p.updatedAt), ctx.timeZone) as string,
  };
}

/** `GET /api/ChargingPile/status` (004:1155-1174). */
export function pileControlStatus004(p: PileModel, ports: readonly PortModel[], visible: Visible) {
  return {
    deviceAddress: p.deviceId ?? p.pileId,
    status: p.status,
    ports: ports.map((port) => ({ portNo: String(port.portNo), status: port.status, ...portLive(port), currentOrderId: visible(port.orderId) })),
  };
}

/** `GET /api/ChargingPile/{deviceAddress}/status` (004:1248-1262). */
export function portControlStatus004(p: PileModel, port: PortModel, orderId: string | null, chargingMs: number, ctx: Ctx) {
  return {
    deviceAddress: p.deviceId ?? p.pileId,
    port: port.portNo,
    status: port.status,
    voltage: port.voltageV,
    current: port.currentA,
    power: kw(port.powerW),
    temperature: port.temperatureC,
    electricity: kwh(port.sessionEnergyWms),
    chargingTime: seconds(chargingMs),
    orderId,
    updateTime: iso(port.updatedAt ?? p.updatedAt, ctx.timeZone) as string,
  };
}

/** The port numbered `portNo` of a pile, or undefined. */
export const portOf = (p: PileModel, portNo: number) => p.ports.find((port) => port.portNo === portNo);

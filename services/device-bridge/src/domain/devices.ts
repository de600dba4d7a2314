// Device registry rules and live views, pure: rated power in exact watts, the defaults of devices registered
// before ports existed (seeded queue piles), and a DeviceView built from the stored device and its Redis live state.
import type { DeviceView, PortLive, PortStatusCode } from '@voltq/contracts';

export type DeviceProtocolKind = 'ocpp1.6' | 'json';

/** A device as the registry holds it (the MongoDB document, its fields defaulted). */
export interface DeviceRecord {
  deviceId: string;
  pileId: string;
  stationId: string;
  pileNo: string;
  protocol: DeviceProtocolKind;
  pileType: 1 | 2;
  powerW: number;
  ports: number;
  manufacturer?: string;
  enabled: boolean;
  createdAtMs: number;
}

/** kW with at most 3 decimals -> exact W; undefined for anything finer (or not a plain positive decimal). */
export function powerKwToW(powerKw: number): number | undefined {
  if (!Number.isFinite(powerKw) || powerKw <= 0) return undefined;
  // from the decimal text, not by multiplying a float: 1.005 kW is 1005 W, 7.0001 kW is refused
  const m = /^(\d+)(?:\.(\d{1,3}))?$/.exec(String(powerKw));
  if (!m) return undefined;
  return Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
}

/** 004's pile type of a seeded queue pile: F* fast DC (1), anything else slow AC (2). */
export function seededPileType(pileNo: string): 1 | 2 {
  return pileNo.startsWith('F') ? 1 : 2;
}

/** The stored document with the defaults of devices stored before the registry had these fields. */
export function deviceRecord(doc: {
  _id: string;
  stationId: string;
  pileNo: string;
  pileId?: string | null;
  protocol?: string | null;
  pileType?: number | null;
  powerW?: number | null;
  ports?: number | null;
  manufacturer?: string | null;
  enabled?: boolean | null;
  createdAt?: Date | null;
}): DeviceRecord {
  return {
    deviceId: doc._id,
    pileId: doc.pileId ?? doc._id,
    stationId: doc.stationId,
    pileNo: doc.pileNo,
    protocol: doc.protocol === 'ocpp1.6' ? 'ocpp1.6' : 'json',
    pileType: doc.pileType === 1 || doc.pileType === 2 ? doc.pileType : seededPileType(doc.pileNo),
    powerW: doc.powerW ?? 0,
    ports: doc.ports ?? 1,
    ...(doc.manufacturer ? { manufacturer: doc.manufacturer } : {}),
    enabled: doc.enabled !== false,
    createdAtMs: doc.createdAt ? doc.createdAt.getTime() : 0,
  };
}

// ---- live state: the telemetry hash (presence.ts writes it) -----------------------------------------------------

/** Field of port `portNo` in the pile's telemetry hash: `p<portNo>.<name>`. */
export const portField = (portNo: number, name: PortFieldName) => `p${portNo}.${name}`;
export type PortFieldName =
  | 'state' | 'statusAt' | 'meterWms' | 'meterAt' | 'powerW' | 'voltageV' | 'currentA' | 'temperatureC'
  | 'sessionId' | 'orderId' | 'cardId' | 'startWms' | 'stoppedSessionId';

export interface LiveState {
  /** replica holding the connection (the registry key), null when nobody does */
  owner: string | null;
  telemetry: Record<string, string>;
}

const num = (v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** 004's status of a connector state word: idle-like 1, in use 2, fault 3. */
export function portStatusOf(state: string | undefined): PortStatusCode {
  switch (state) {
    case 'charging':
    case 'suspended':
      return 2;
    case 'faulted':
      return 3;
    default:
      return 1; // idle, preparing, finishing, unavailable (disabled, not busy), nothing reported yet
  }
}

export function portLive(device: DeviceRecord, portNo: number, live: LiveState): PortLive {
  const t = live.telemetry;
  const f = (name: PortFieldName) => t[portField(portNo, name)];
  const connected = live.owner !== null;
  // a one-port pile reporting pile-level status/meter (queue piles): that is its port
  const single = device.ports === 1;
  const state = f('state') ?? (single ? t.state : undefined);
  const meterWms = num(f('meterWms')) ?? (single ? num(t.energyWms) : undefined);
  const startWms = num(f('startWms'));
  const sessionId = f('sessionId');
  const status: PortStatusCode = !connected ? 0 : t.faulted === '1' ? 3 : portStatusOf(state);
  const updatedAt = Math.max(num(f('meterAt')) ?? 0, num(f('statusAt')) ?? 0);
  return {
    portNo,
    portId: `${device.pileId}-${portNo}`,
    status,
    ...(state !== undefined ? { connectorState: state } : {}),
    isDisabled: state === 'unavailable',
    faultType: 0,
    voltageV: connected ? num(f('voltageV')) ?? 0 : 0,
    currentA: connected ? num(f('currentA')) ?? 0 : 0,
    powerW: connected && status === 2 ? Math.max(0, Math.round(num(f('powerW')) ?? (single ? num(t.powerW) ?? 0 : 0))) : 0,
    temperatureC: num(f('temperatureC')) ?? 0,
    sessionEnergyWms: sessionId && startWms !== undefined && meterWms !== undefined ? Math.max(0, meterWms - startWms) : 0,
    ...(meterWms !== undefined ? { meterWms } : {}),
    ...(sessionId ? { sessionId } : {}),
    ...(sessionId && f('orderId') ? { orderId: f('orderId')! } : {}),
    ...(updatedAt > 0 ? { updatedAt } : {}),
  };
}

/** The device and what its connection says now. `endpoint` names the door and replica, never the pile's address. */
export function deviceView(device: DeviceRecord, live: LiveState): DeviceView {
  const t = live.telemetry;
  const connected = live.owner !== null;
  const faulted = t.faulted === '1';
  const portStates = Array.from({ length: device.ports }, (_, i) => portLive(device, i + 1, live));
  const status: PortStatusCode = !connected ? 0 : faulted ? 3 : portStates.some((p) => p.status === 2) ? 2 : 1;
  const temps = portStates.map((p) => num(t[portField(p.portNo, 'temperatureC')])).filter((x): x is number => x !== undefined);
  const lastSeenAt = num(t.lastSeenAt) ?? num(t.lastHeartbeatMs);
  const connectedAt = num(t.loginAt);
  return {
    deviceId: device.deviceId,
    pileId: device.pileId,
    stationId: device.stationId,
    pileNo: device.pileNo,
    protocol: device.protocol,
    pileType: device.pileType,
    powerW: device.powerW,
    ports: device.ports,
    ...(device.manufacturer ? { manufacturer: device.manufacturer } : {}),
    connected,
    ...(connected ? { replicaId: live.owner!, endpoint: `${t.door === 'tcp' ? 'tcp' : t.door === 'ocpp' ? 'ocpp' : 'ws'}://${live.owner!}` } : {}),
    ...(connected && connectedAt !== undefined ? { connectedAt } : {}),
    ...(lastSeenAt !== undefined ? { lastSeenAt } : {}),
    faulted,
    status,
    ...(temps.length ? { temperatureC: Math.max(...temps) } : {}),
    portStates,
    createdAt: device.createdAtMs,
  };
}

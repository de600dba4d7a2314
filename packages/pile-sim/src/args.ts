// Command line of scripts/simulate-piles (pure, unit-tested).
import { parseArgs } from 'node:util';

export type SimDoor = 'ws' | 'tcp';

export interface WalkUpPlan {
  deviceId: string;
  secret: string;
  ports: number;
  powerKw: number;
  door: SimDoor;
}

/** an OCPP 1.6J charge point (--ocpp) */
export interface OcppPlan {
  deviceId: string;
  secret: string;
  connectors: number;
  powerKw: number;
}

export interface SimPlan {
  stationId: string;
  piles: { pileNo: string; pileId: string; door: SimDoor }[];
  /** registered walk-up piles (--walk-up), with the knobs they share */
  walkUp: WalkUpPlan[];
  /** OCPP charge points (--ocpp) on ocppUrl, sharing speed/meterIntervalMs/carKwh with the walk-up piles */
  ocpp: OcppPlan[];
  /** the OCPP endpoint without the charge point id, e.g. ws://127.0.0.1:8085/ocpp */
  ocppUrl: string;
  speed: number;
  meterIntervalMs: number;
  carKwh?: number;
  /** card starts: at what time after start (ms) a card is presented at a port (walk-up or OCPP connector) */
  cards: { deviceId: string; portNo: number; cardId: string; atMs: number }[];
  wsUrl: string;
  tcp: { host: string; port: number };
  /** at what time after start (ms) a pile reports a fault / a recovery */
  faults: { pileNo: string; atMs: number }[];
  recoveries: { pileNo: string; atMs: number }[];
  /** the same for OCPP connectors (`--fault CP1:2@30s`) */
  ocppFaults: { deviceId: string; connectorId: number; atMs: number }[];
  ocppRecoveries: { deviceId: string; connectorId: number; atMs: number }[];
  quiet: boolean;
}

export const USAGE = `usage: scripts/simulate-piles [--station default] [--piles F1,F2,T1,T2,T3] [--door ws|tcp|both|ocpp]
       [--url ws://127.0.0.1:8085/piles] [--tcp 127.0.0.1:9100] [--fault F1@30s ...] [--recover F1@90s ...] [--quiet]
       [--walk-up <deviceId>:<secret>[:<ports>[:<powerKw>]] ...] [--ports 2] [--power-kw 7] [--speed 1]
       [--meter-interval-ms 1000] [--car-kwh 60] [--card <deviceId>:<portNo>:<cardId>@<time> ...]
       [--ocpp <deviceId>:<secret>[:<connectors>[:<powerKw>]] ...] [--ocpp-url ws://127.0.0.1:8085/ocpp]
  --door both   alternates the piles over the two doors (F1 ws, F2 tcp, ...)
  --door ocpp   only OCPP 1.6J charge points (--ocpp, at least one; no --piles or --walk-up)
  --walk-up     a registered walk-up pile (its secret as device.register answered it); with --walk-up and no
                --piles only walk-up piles run. --ports/--power-kw are the defaults of its ports and power;
                --speed multiplies the energy per real second; --car-kwh: a car is full after that much
  --card        a card presented at a walk-up port or OCPP connector at that time (e.g. IMEI1:1:CARD-7@5s); on an
                OCPP charge point: Authorize, then StartTransaction when Accepted
  --ocpp        a registered OCPP charge point (identity and secret for HTTP Basic), on <ocpp-url>/<deviceId>:
                boots, heartbeats, reports status, answers remote start/stop and operator commands, sends
                MeterValues every --meter-interval-ms, and queues its transaction messages while offline
                (replayed in order after the reconnect). --ports/--power-kw are its defaults too.
                --fault/--recover CP1:2@30s fault/recover connector 2 of charge point CP1
  --ocpp-url    default: --url with /piles replaced by /ocpp
  env: DEVICE_BRIDGE_URL (default of --url), DEVICE_BRIDGE_OCPP_URL (default of --ocpp-url), PILE_TCP_PORT (port
       of --tcp), PILE_MASTER_KEY (secret derivation)`;

/** `30s`, `2m`, `500ms`, `1h`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration "${text}" (e.g. 30s, 2m, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

function parseAt(spec: string, known: Set<string>, flag: string): { pileNo: string; atMs: number } {
  const [pileNo, at, ...rest] = spec.split('@');
  if (!pileNo || at === undefined || rest.length) throw new Error(`${flag} ${spec}: expected <pileNo>@<time>, e.g. F1@30s`);
  if (!known.has(pileNo)) throw new Error(`${flag} ${spec}: pile ${pileNo} is not simulated (--piles)`);
  return { pileNo, atMs: parseDuration(at) };
}

/** `CP1:2@30s` names an OCPP connector; `F1@30s` a pile */
const isConnectorAt = (spec: string) => (spec.split('@')[0] ?? '').includes(':');

function parseConnectorAt(spec: string, known: Set<string>, flag: string): { deviceId: string; connectorId: number; atMs: number } {
  const [where, at, ...rest] = spec.split('@');
  const [deviceId, connectorText, ...more] = (where ?? '').split(':');
  const connectorId = Number(connectorText);
  if (!deviceId || at === undefined || rest.length || more.length || !Number.isInteger(connectorId) || connectorId <= 0) {
    throw new Error(`${flag} ${spec}: expected <deviceId>:<connectorId>@<time>, e.g. CP1:1@30s`);
  }
  if (!known.has(deviceId)) throw new Error(`${flag} ${spec}: charge point ${deviceId} is not simulated (--ocpp)`);
  return { deviceId, connectorId, atMs: parseDuration(at) };
}

export function parseSimArgs(argv: string[], env: Record<string, string | undefined> = {}): SimPlan {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      station: { type: 'string', default: 'default' },
      piles: { type: 'string' },
      'walk-up': { type: 'string', multiple: true, default: [] },
      ocpp: { type: 'string', multiple: true, default: [] },
      'ocpp-url': { type: 'string' },
      ports: { type: 'string', default: '2' },
      'power-kw': { type: 'string', default: '7' },
      speed: { type: 'string', default: '1' },
      'meter-interval-ms': { type: 'string', default: '1000' },
      'car-kwh': { type: 'string' },
      card: { type: 'string', multiple: true, default: [] },
      door: { type: 'string', default: 'both' },
      url: { type: 'string' },
      tcp: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      recover: { type: 'string', multiple: true, default: [] },
      quiet: { type: 'boolean', default: false },
    },
  });
  const stationId = values.station!;
  if (!/^[A-Za-z0-9_.-]+$/.test(stationId)) throw new Error(`--station ${stationId}: letters, digits, _ . - only`);
  const door = values.door!;
  if (door !== 'ws' && door !== 'tcp' && door !== 'both' && door !== 'ocpp') throw new Error(`--door ${door}: expected ws, tcp, both or ocpp`);
  const walkUpSpecs = values['walk-up']!;
  const ocppSpecs = values.ocpp!;
  if (door === 'ocpp') {
    if (ocppSpecs.length === 0) throw new Error('--door ocpp: at least one --ocpp <deviceId>:<secret>');
    if (values.piles !== undefined || walkUpSpecs.length) throw new Error('--door ocpp: --piles and --walk-up speak the JSON protocol (--door ws|tcp|both)');
  }
  const jsonDoor = door === 'ocpp' ? 'ws' : door;
  const pileNos = (values.piles ?? (walkUpSpecs.length || ocppSpecs.length ? '' : 'F1,F2,T1,T2,T3')).split(',').map((p) => p.trim()).filter(Boolean);
  if (pileNos.length === 0 && walkUpSpecs.length === 0 && ocppSpecs.length === 0) throw new Error('--piles: at least one pile');
  if (new Set(pileNos).size !== pileNos.length) throw new Error('--piles: a pile is listed twice');
  const piles = pileNos.map((pileNo, i) => ({
    pileNo,
    pileId: `${stationId}-${pileNo}`,
    door: (jsonDoor === 'both' ? (i % 2 === 0 ? 'ws' : 'tcp') : jsonDoor) as SimDoor,
  }));

  const wsUrl = values.url ?? env.DEVICE_BRIDGE_URL ?? 'ws://127.0.0.1:8085/piles';
  if (!/^wss?:\/\//.test(wsUrl)) throw new Error(`--url ${wsUrl}: expected ws://host:port/piles`);
  const tcpText = values.tcp ?? `127.0.0.1:${env.PILE_TCP_PORT || '9100'}`;
  const cut = tcpText.lastIndexOf(':');
  const port = Number(tcpText.slice(cut + 1));
  if (cut <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--tcp ${tcpText}: expected host:port`);

  const known = new Set(pileNos);
  const positive = (flag: string, text: string, integer: boolean) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${flag} ${text}: expected a positive ${integer ? 'integer' : 'number'}`);
    return n;
  };
  const defaultPorts = positive('ports', values.ports!, true);
  const defaultKw = positive('power-kw', values['power-kw']!, false);
  const walkUp = walkUpSpecs.map((spec, i): WalkUpPlan => {
    const [deviceId, secret, ports, powerKw, ...rest] = spec.split(':');
    if (!deviceId || !secret || rest.length) throw new Error(`--walk-up ${spec}: expected <deviceId>:<secret>[:<ports>[:<powerKw>]]`);
    return {
      deviceId,
      secret,
      ports: ports ? positive('walk-up ports', ports, true) : defaultPorts,
      powerKw: powerKw ? positive('walk-up powerKw', powerKw, false) : defaultKw,
      door: (jsonDoor === 'both' ? ((pileNos.length + i) % 2 === 0 ? 'ws' : 'tcp') : jsonDoor) as SimDoor,
    };
  });
  const ocpp = ocppSpecs.map((spec): OcppPlan => {
    const [deviceId, secret, connectors, powerKw, ...rest] = spec.split(':');
    if (!deviceId || !secret || rest.length) throw new Error(`--ocpp ${spec}: expected <deviceId>:<secret>[:<connectors>[:<powerKw>]]`);
    return {
      deviceId,
      secret,
      connectors: connectors ? positive('ocpp connectors', connectors, true) : defaultPorts,
      powerKw: powerKw ? positive('ocpp powerKw', powerKw, false) : defaultKw,
    };
  });
  const ocppIds = new Set(ocpp.map((o) => o.deviceId));
  if (ocppIds.size !== ocpp.length) throw new Error('--ocpp: a charge point is listed twice');
  const ocppUrl = values['ocpp-url'] ?? env.DEVICE_BRIDGE_OCPP_URL ?? wsUrl.replace(/\/piles\/?$/, '').replace(/\/+$/, '') + '/ocpp';
  if (!/^wss?:\/\//.test(ocppUrl)) throw new Error(`--ocpp-url ${ocppUrl}: expected ws://host:port/ocpp`);
  const walkUpIds = new Set([...walkUp.map((w) => w.deviceId), ...ocppIds]);
  const cards = values.card!.map((spec) => {
    const [where, at, ...rest] = spec.split('@');
    const [deviceId, portText, cardId, ...more] = (where ?? '').split(':');
    if (!deviceId || !portText || !cardId || at === undefined || rest.length || more.length) {
      throw new Error(`--card ${spec}: expected <deviceId>:<portNo>:<cardId>@<time>, e.g. IMEI1:1:CARD-7@5s`);
    }
    if (!walkUpIds.has(deviceId)) throw new Error(`--card ${spec}: ${deviceId} is not simulated (--walk-up or --ocpp)`);
    return { deviceId, portNo: positive('card port', portText, true), cardId, atMs: parseDuration(at) };
  });
  return {
    stationId,
    piles,
    walkUp,
    speed: positive('speed', values.speed!, false),
    meterIntervalMs: positive('meter-interval-ms', values['meter-interval-ms']!, true),
    ...(values['car-kwh'] !== undefined ? { carKwh: positive('car-kwh', values['car-kwh'], false) } : {}),
    cards,
    wsUrl,
    tcp: { host: tcpText.slice(0, cut), port },
    faults: values.fault!.filter((s) => !isConnectorAt(s)).map((s) => parseAt(s, known, '--fault')),
    recoveries: values.recover!.filter((s) => !isConnectorAt(s)).map((s) => parseAt(s, known, '--recover')),
    ocpp,
    ocppUrl,
    ocppFaults: values.fault!.filter(isConnectorAt).map((s) => parseConnectorAt(s, ocppIds, '--fault')),
    ocppRecoveries: values.recover!.filter(isConnectorAt).map((s) => parseConnectorAt(s, ocppIds, '--recover')),
    quiet: values.quiet!,
  };
}

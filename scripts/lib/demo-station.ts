// The demo walk-up station `scripts/start` seeds next to the default one, through the admin API as an operator
// would: the station, then its two piles of two ports each as registered devices. A device's secret is answered
// only once, so the secrets are kept in a file next to the data (mode 0600); when that file is lost the devices
// are registered again (deleted first) and get new secrets.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const DEMO_STATION = {
  stationId: 'demo-walkup',
  name: 'VoltQ 西土城快充站 (扫码充电)',
  address: '北京市海淀区西土城路12号',
  // about 300 m north of the default station
  latitude: 39.9639,
  longitude: 116.3569,
  kind: 'walk-up',
} as const;

export interface DemoDevice {
  deviceId: string;
  protocol: 'json' | 'ocpp1.6';
  pileId: string;
  pileNo: string;
  secret: string;
  ports: number;
  powerKw: number;
  pileType: 1 | 2;
}

/** The demo piles: a 60 kW DC pile and a 7 kW AC pile of two ports each on the JSON protocol, and a 22 kW AC
 *  OCPP 1.6J charge point with two connectors. */
export const DEMO_DEVICES: readonly Omit<DemoDevice, 'secret' | 'pileId'>[] = [
  { deviceId: '860000000000001', protocol: 'json', pileNo: 'W1', ports: 2, powerKw: 60, pileType: 1 },
  { deviceId: '860000000000002', protocol: 'json', pileNo: 'W2', ports: 2, powerKw: 7, pileType: 2 },
  { deviceId: 'VQ-OCPP-0001', protocol: 'ocpp1.6', pileNo: 'W3', ports: 2, powerKw: 22, pileType: 2 },
];

interface Answer {
  status: number;
  body: { code?: number; message?: string; data?: any } | null;
}

async function call(baseUrl: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: Answer['body'] = null;
  try {
    parsed = text ? (JSON.parse(text) as Answer['body']) : null;
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

function must(answer: Answer, what: string): any {
  if (answer.body?.code !== 0) throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.data;
}

/**
 * Creates the demo station and devices when missing and answers every device with its secret. `secretsFile`
 * keeps the secrets between runs (absent: in memory only, e.g. tests).
 */
export async function seedDemoStation(opts: {
  gatewayUrl: string;
  admin: { username: string; password: string };
  secretsFile?: string;
}): Promise<DemoDevice[]> {
  const { gatewayUrl } = opts;
  const token = must(await call(gatewayUrl, 'POST', '/api/admin/login', undefined, opts.admin), 'admin login').token as string;

  const stations = must(await call(gatewayUrl, 'GET', '/api/admin/stations', token), 'list stations') as { stationId: string }[] | { items: { stationId: string }[] };
  const list = Array.isArray(stations) ? stations : stations.items;
  if (!list.some((s) => s.stationId === DEMO_STATION.stationId)) {
    must(await call(gatewayUrl, 'POST', '/api/admin/stations', token, DEMO_STATION), 'create the demo station');
  }

  const kept: Record<string, { secret: string; pileId: string }> =
    opts.secretsFile && existsSync(opts.secretsFile) ? (JSON.parse(readFileSync(opts.secretsFile, 'utf8')) as Record<string, { secret: string; pileId: string }>) : {};
  const registered = must(await call(gatewayUrl, 'GET', '/api/admin/devices', token), 'list devices') as { deviceId: string }[] | { items: { deviceId: string }[] };
  const known = new Set((Array.isArray(registered) ? registered : registered.items).map((d) => d.deviceId));

  const out: DemoDevice[] = [];
  for (const device of DEMO_DEVICES) {
    const keptOne = kept[device.deviceId];
    if (known.has(device.deviceId) && keptOne) {
      out.push({ ...device, ...keptOne });
      continue;
    }
    // registered before, secret lost: register it again for a new secret
    if (known.has(device.deviceId)) must(await call(gatewayUrl, 'DELETE', `/api/admin/devices/${device.deviceId}`, token), `remove ${device.deviceId}`);
    const answer = must(
      await call(gatewayUrl, 'POST', '/api/admin/devices', token, {
        deviceId: device.deviceId,
        stationId: DEMO_STATION.stationId,
        protocol: device.protocol,
        pileNo: device.pileNo,
        pileType: device.pileType,
        powerKw: device.powerKw,
        ports: device.ports,
        manufacturer: 'VoltQ simulator',
      }),
      `register ${device.deviceId}`,
    ) as { deviceId: string; pileId: string; secret: string };
    kept[device.deviceId] = { secret: answer.secret, pileId: answer.pileId };
    out.push({ ...device, secret: answer.secret, pileId: answer.pileId });
  }
  if (opts.secretsFile) writeFileSync(opts.secretsFile, JSON.stringify(kept, null, 2) + '\n', { mode: 0o600 });
  return out;
}

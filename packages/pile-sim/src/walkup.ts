// Running registered walk-up piles from code (tests, scripts/lib/platform.ts) or the CLI: each logs in with the
// device id and secret its registration answered, on WebSocket (`url`) or TCP (`tcp`).
import { SimPile } from './client.js';
import { startFleet } from './fleet.js';

export interface WalkUpPileSpec {
  deviceId: string;
  secret: string;
  /** number of ports (default 1) */
  ports?: number;
  /** the power a car draws (default 7 kW) */
  powerKw?: number;
}

export interface RunWalkUpOptions {
  /** WebSocket door, e.g. `ws://127.0.0.1:8085/piles`; without it `tcp` is used */
  url?: string;
  tcp?: { host: string; port: number };
  piles: WalkUpPileSpec[];
  /** simulated energy per real second multiplied (default 1) */
  speed?: number;
  /** a `meter` per charging port this often (default 1000 ms) */
  meterIntervalMs?: number;
  /** a car is full after this many kWh (default: never) */
  carKwh?: number;
  /** resolve only once every pile is online (default true; at most readyTimeoutMs) */
  waitOnline?: boolean;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface WalkUpPiles {
  piles: SimPile[];
  /** by device id */
  get(deviceId: string): SimPile;
  /** logs every pile out */
  stop(): Promise<void>;
}

export const DEFAULT_WALK_UP_KW = 7;

/** Starts the piles; resolves when all are online (or throws after readyTimeoutMs, having stopped them). */
export async function runWalkUpPiles(opts: RunWalkUpOptions): Promise<WalkUpPiles> {
  if (!opts.url && !opts.tcp) throw new Error('runWalkUpPiles: url (WebSocket) or tcp');
  const piles = opts.piles.map((spec) => new SimPile({
    deviceId: spec.deviceId,
    secret: spec.secret,
    door: opts.url ? 'ws' : 'tcp',
    wsUrl: opts.url ?? 'ws://127.0.0.1:1/piles',
    tcp: opts.tcp ?? { host: '127.0.0.1', port: 1 },
    ports: spec.ports ?? 1,
    powerW: Math.round((spec.powerKw ?? DEFAULT_WALK_UP_KW) * 1000),
    ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
    ...(opts.meterIntervalMs !== undefined ? { meterIntervalMs: opts.meterIntervalMs } : {}),
    ...(opts.carKwh !== undefined ? { carKwh: opts.carKwh } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  }));
  const fleet = await startFleet(piles, { ...opts, what: 'walk-up pile', refused: 'login refused (unknown device or wrong secret)' });
  return { piles, ...fleet };
}

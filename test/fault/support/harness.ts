// One fault-test file's platform: a private redis-server and RabbitMQ node (stores.ts), the embedded MongoDB on a
// data dir, the six services as processes (scripts/lib/platform.ts, as scripts/start runs them, restarted when
// one dies on its own, as scripts/start does), and the default station's five simulated piles in this process,
// each recording the commands it was given and the sessions it started. close() kills and removes all of it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SERVICE_NAMES, startPlatform, type Platform, type ServiceName } from '../../../scripts/lib/platform.js';
import { DEV_PILE_MASTER_KEY, derivePileSecret, SimPile } from '@voltq/pile-sim';
import { isDying, ownOnExit, PrivateRabbit, PrivateRedis, removeUnlessKept, storesRoot } from './stores.js';
import { Api } from './api.js';

export const ADMIN = { username: 'admin', password: 'fault-admin-password-1' };
export const STATION = 'default';
export const PILES = ['F1', 'F2', 'T1', 'T2', 'T3'] as const;

/** What one simulated pile saw: every command, the sessions it started, what it is charging now. */
export class RecordingPile {
  readonly sim: SimPile;
  readonly commands: { action: string; sessionId?: string; atMs: number }[] = [];
  readonly startedSessions = new Set<string>();
  /** the order of the session the pile was last told to start (cleared by a stop) */
  private orderId: string | undefined;
  private sessionId: string | undefined;
  logins = 0;

  constructor(readonly pileNo: string, wsUrl: string, tcp: { host: string; port: number }, door: 'ws' | 'tcp') {
    const pileId = `${STATION}-${pileNo}`;
    this.sim = new SimPile({
      pileId,
      secret: derivePileSecret(DEV_PILE_MASTER_KEY, pileId),
      door,
      wsUrl,
      tcp,
      // a restarted bridge is found again within a couple of seconds
      backoffMinMs: 200,
      backoffMaxMs: 2000,
    });
    this.sim.on('command', (cmd: { type: string; sessionId?: string; orderId?: string }) => {
      this.commands.push({ action: cmd.type, ...(cmd.sessionId ? { sessionId: cmd.sessionId } : {}), atMs: Date.now() });
      if (cmd.type === 'start' && !this.sim.faulted) {
        if (cmd.sessionId) this.startedSessions.add(cmd.sessionId);
        this.orderId = cmd.orderId;
        this.sessionId = cmd.sessionId;
      }
      // a stop for a session that is over already (delivered late) leaves the running charge alone, as the pile does
      if (cmd.type === 'stop' && (!cmd.sessionId || cmd.sessionId === this.sessionId)) this.orderId = undefined;
    });
    this.sim.on('online', () => void this.logins++);
  }

  /** the order the pile is charging for now ('?' when it charges without one), else undefined */
  get chargingOrder(): string | undefined {
    return this.sim.charging ? (this.orderId ?? '?') : undefined;
  }
}

export interface FaultPlatform {
  label: string;
  namespace: string;
  redis: PrivateRedis;
  rabbit: PrivateRabbit;
  platform: Platform;
  piles: Map<string, RecordingPile>;
  api: Api;
  /** services that died on their own and were started again (name, when) */
  unexpectedExits: { name: ServiceName; exit: string; atMs: number }[];
  /** SIGKILLs a service and starts it again at once, as scripts/start does (`killed` is called right after the
   * kill); resolves once it is ready */
  killAndRespawn(name: ServiceName, killed?: () => void): Promise<void>;
  /** every started session any pile reported */
  startedSessions(): Set<string>;
  /** pileNo -> the order it charges for, for the piles charging now */
  chargingPiles(): Map<string, string>;
  /** the tail of a service's log (failure messages) */
  logTail(name: ServiceName): string;
  close(): Promise<void>;
}

export async function startFaultPlatform(label: string): Promise<FaultPlatform> {
  const root = storesRoot(label);
  const namespace = `hfault-${label}-${randomBytes(3).toString('hex')}`;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: Error) => console.error(`fault harness: cleanup: ${err.message}`));
    removeUnlessKept(root);
  };
  try {
    const [redis, rabbit] = await Promise.all([PrivateRedis.start(join(root, 'redis')), PrivateRabbit.start(join(root, 'rabbit'), label)]);
    closers.push(() => redis.remove(), () => rabbit.remove());

    const unexpectedExits: FaultPlatform['unexpectedExits'] = [];
    const ref: { platform?: Platform } = {};
    let closing = false;
    const respawning = new Set<ServiceName>();
    const mongoDir = join(root, 'mongo');
    mkdirSync(mongoDir, { recursive: true });
    const logDir = join(root, 'logs');
    const platform = await startPlatform({
      namespace,
      randomPorts: true,
      mongoDbPath: mongoDir,
      logDir,
      env: {
        AMQP_URL: rabbit.url,
        REDIS_URL: redis.url,
        VOLTQ_ADMIN_USER: ADMIN.username,
        VOLTQ_ADMIN_PASSWORD: ADMIN.password,
        LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
      },
      // a service that dies on its own is started again, as scripts/start does
      onUnexpectedExit: (name, exit) => {
        unexpectedExits.push({ name, exit, atMs: Date.now() });
        if (closing || isDying() || respawning.has(name) || !ref.platform) return;
        respawning.add(name);
        ref.platform.startService(name).catch(() => undefined).finally(() => respawning.delete(name));
      },
    });
    ref.platform = platform;
    ownOnExit(() => [...platform.processes.values()].flatMap((p) => (p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null ? [p.child.pid] : [])));
    closers.push(async () => {
      closing = true;
      await platform.stop();
    });

    const piles = new Map<string, RecordingPile>();
    const wsUrl = `ws://127.0.0.1:${platform.ports['device-bridge']}/piles`;
    PILES.forEach((pileNo, i) => piles.set(pileNo, new RecordingPile(pileNo, wsUrl, { host: '127.0.0.1', port: platform.pileTcpPort }, i % 2 === 0 ? 'ws' : 'tcp')));
    // the piles log out before the bridge stops
    closers.push(async () => void (await Promise.all([...piles.values()].map((p) => p.sim.stop()))));
    for (const p of piles.values()) p.sim.start();
    await until(() => [...piles.values()].every((p) => p.sim.online), 20_000, 'the simulated piles to log in');

    const api = new Api(platform.gatewayUrl);
    return {
      label,
      namespace,
      redis,
      rabbit,
      platform,
      piles,
      api,
      unexpectedExits,
      async killAndRespawn(name, killed) {
        respawning.add(name);
        try {
          await platform.killService(name, 'SIGKILL');
          killed?.();
          if (isDying()) return;
          await platform.startService(name);
        } finally {
          respawning.delete(name);
        }
      },
      startedSessions() {
        const all = new Set<string>();
        for (const p of piles.values()) for (const s of p.startedSessions) all.add(s);
        return all;
      },
      chargingPiles() {
        const out = new Map<string, string>();
        for (const [pileNo, p] of piles) if (p.chargingOrder) out.set(pileNo, p.chargingOrder);
        return out;
      },
      logTail(name) {
        return platform.processes.get(name)?.tail() ?? '';
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Milliseconds until every service's /readyz answers 200 (polled each 100 ms), or a list of those still unready. */
export async function readyWithin(platform: Platform, timeoutMs: number): Promise<{ ms: number; unready: string[] }> {
  const started = Date.now();
  const ready = new Set<ServiceName>();
  let last: Record<string, string> = {};
  while (Date.now() - started <= timeoutMs) {
    await Promise.all(SERVICE_NAMES.filter((n) => !ready.has(n)).map(async (name) => {
      try {
        const res = await fetch(`http://127.0.0.1:${platform.ports[name]}/readyz`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) ready.add(name);
        else last[name] = `${res.status} ${(await res.text()).slice(0, 200)}`;
      } catch (err) {
        last[name] = (err as Error).message;
      }
    }));
    if (ready.size === SERVICE_NAMES.length) return { ms: Date.now() - started, unready: [] };
    await new Promise((r) => setTimeout(r, 100));
  }
  last = Object.fromEntries(Object.entries(last).filter(([n]) => !ready.has(n as ServiceName)));
  return { ms: Date.now() - started, unready: Object.entries(last).map(([n, why]) => `${n}: ${why}`) };
}

export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Starts the whole platform as child processes: the embedded MongoDB (unless MONGODB_URI is set), the six
// services and optionally the pile simulator. One piece of code serves both `scripts/start` and the
// end-to-end tests, so what the tests start is exactly what an operator starts.
import { DEV_MERCHANT, startWechatSandbox, type WechatSandbox } from '@voltq/wechat-sandbox';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export { freePort } from './ports.js';
import { freePort } from './ports.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SERVICE_NAMES = ['auth', 'order', 'scheduler', 'billing', 'device-bridge', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Each service's HTTP port is the base plus its offset: by default gateway 8080 … device-bridge 8085. */
export const PORT_OFFSETS: Record<ServiceName, number> = {
  gateway: 0,
  auth: 1,
  order: 2,
  scheduler: 3,
  billing: 4,
  'device-bridge': 5,
};
export const DEFAULT_PORT_BASE = 8080;
export const DEFAULT_PILE_TCP_PORT = 9100;
/** The local WeChat sandbox's port with fixed ports (the gateway's + 11: 8091 by default). */
export const WECHAT_SANDBOX_PORT_OFFSET = 11;

export interface PlatformOptions {
  /** Prefix of every exchange, queue, Redis key and database of this run. */
  namespace: string;
  /** Pick free ports instead of the fixed ones (tests). */
  randomPorts?: boolean;
  /** Fixed ports: the gateway's, the others follow it (default 8080 … 8085), and the piles' TCP door (9100). */
  portBase?: number;
  pileTcpPort?: number;
  /** Run the children in their own process group, so a terminal's Ctrl-C reaches only the launcher, which then
   * stops them in order (services first, the database last). */
  ownProcessGroup?: boolean;
  /** Called when a service exits after it was ready, without being asked to; `scripts/start` restarts it. */
  onUnexpectedExit?: (name: ServiceName, exit: string) => void;
  /** Data directory of the embedded MongoDB; in memory when absent. */
  mongoDbPath?: string;
  /** Extra environment for every service (e.g. VOLTQ_ADMIN_PASSWORD). */
  env?: Record<string, string>;
  /** Per-service extra environment. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Where child output goes: a directory of `<name>.log` files (start), else kept in memory (tests keep the
   * last lines for failure messages). */
  logDir?: string;
  readyTimeoutMs?: number;
}

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  /** The last lines the process printed, for error messages. */
  tail(): string;
}

export interface Platform {
  namespace: string;
  mongoUri: string;
  ports: Record<ServiceName, number>;
  pileTcpPort: number;
  gatewayUrl: string;
  /** The local WeChat sandbox (jscode2session, Pay v2) the services use, unless WECHAT_API_BASE_URL was given. */
  wechatSandboxUrl: string | undefined;
  env: Record<string, string>;
  processes: Map<string, RunningProcess>;
  /** Starts (or restarts) one service and waits until its /readyz answers. */
  startService(name: ServiceName): Promise<RunningProcess>;
  /** SIGKILLs one service (crash tests). */
  killService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/** Refuses a port something else already listens on, naming who wanted it. */
async function assertPortFree(port: number, what: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `port ${port} (${what}) is already in use: is another VoltQ running? Stop it, or start this one on other ports with VOLTQ_PORT_BASE=9080 PILE_TCP_PORT=9200`
        : `cannot use port ${port} (${what}): ${(err as Error).message}`,
    );
  } finally {
    if (server.listening) {
      server.close();
      await once(server, 'close');
    }
  }
}

function spawnTsx(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { logDir?: string; detached?: boolean; pipeStdout?: boolean } = {},
): RunningProcess {
  const logFile = options.logDir ? join(options.logDir, `${name}.log`) : undefined;
  const fd = logFile ? openSync(logFile, 'a') : undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd === undefined || options.pipeStdout ? 'pipe' : fd, fd ?? 'pipe'],
    detached: options.detached ?? false,
  });
  if (fd !== undefined) closeSync(fd);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const tail = () => {
    if (!logFile) return lines.slice(-30).join('\n');
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return [...text.split('\n').filter(Boolean).slice(-30), ...lines.slice(-10)].join('\n') + `\n(full log: ${logFile})`;
  };
  return { name, child, tail };
}

async function waitReady(url: string, proc: RunningProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready:\n${proc.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      lastError = `HTTP ${res.status} ${await res.text()}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs} ms (${lastError}):\n${proc.tail()}`);
}

async function startMongo(dbPath: string | undefined, logDir: string | undefined, detached: boolean): Promise<{ uri: string; proc: RunningProcess }> {
  const port = await freePort();
  const args = ['--port', String(port), ...(dbPath ? ['--dbpath', dbPath] : [])];
  // stdout stays a pipe: the `ready <uri>` line is read from it.
  const proc = spawnTsx('embedded-mongo', join(repoRoot, 'packages/embedded-mongo/src/cli.ts'), args, {}, { logDir, detached, pipeStdout: true });
  const deadline = Date.now() + 30_000;
  let seen = '';
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      if (Date.now() > deadline) reject(new Error(`embedded MongoDB did not start:\n${proc.tail()}`));
    }, 500);
    proc.child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /ready (mongodb:\/\/\S+)/.exec(seen);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    });
    proc.child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`embedded MongoDB exited (${code}):\n${proc.tail()}`));
    });
  });
  return { uri, proc };
}

async function stopProcess(proc: RunningProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const logDir = options.logDir;
  if (logDir) mkdirSync(logDir, { recursive: true });
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const processes = new Map<string, RunningProcess>();
  const detached = options.ownProcessGroup ?? false;
  const base = options.portBase ?? DEFAULT_PORT_BASE;
  const ports = Object.fromEntries(SERVICE_NAMES.map((name) => [name, base + PORT_OFFSETS[name]])) as Record<ServiceName, number>;
  if (options.randomPorts) for (const name of SERVICE_NAMES) ports[name] = await freePort();
  // The device bridge's TCP door for piles (JSON lines).
  const pileTcpPort = options.randomPorts ? await freePort() : (options.pileTcpPort ?? DEFAULT_PILE_TCP_PORT);
  // Fail before starting anything rather than half-start next to another platform.
  for (const name of SERVICE_NAMES) await assertPortFree(ports[name], `${name} HTTP`);
  await assertPortFree(pileTcpPort, 'device-bridge pile TCP door');

  let mongoUri = process.env.MONGODB_URI ?? '';
  try {
    if (!mongoUri) {
      const mongo = await startMongo(options.mongoDbPath, logDir, detached);
      processes.set('embedded-mongo', mongo.proc);
      mongoUri = mongo.uri;
    }
  } catch (err) {
    await Promise.all([...processes.values()].map((p) => stopProcess(p)));
    throw err;
  }

  // No WeChat server is reachable here: the services talk to the local sandbox unless pointed elsewhere.
  let sandbox: WechatSandbox | undefined;
  const wechatGiven = options.env?.WECHAT_API_BASE_URL ?? process.env.WECHAT_API_BASE_URL;
  if (!wechatGiven) {
    try {
      sandbox = await startWechatSandbox({ port: options.randomPorts ? 0 : base + WECHAT_SANDBOX_PORT_OFFSET, merchants: [DEV_MERCHANT] });
    } catch (err) {
      await Promise.all([...processes.values()].map((p) => stopProcess(p)));
      throw err;
    }
  }
  const env: Record<string, string> = {
    VOLTQ_NS: options.namespace,
    MONGODB_URI: mongoUri,
    PILE_TCP_PORT: String(pileTcpPort),
    DEVICE_BRIDGE_URL: `ws://127.0.0.1:${ports['device-bridge']}/piles`,
    ...(sandbox
      ? {
          WECHAT_API_BASE_URL: sandbox.url,
          WECHAT_PAY_BASE_URL: sandbox.url,
          WECHAT_APP_ID: DEV_MERCHANT.appid,
          WECHAT_APP_SECRET: DEV_MERCHANT.appSecret,
          WECHAT_MCH_ID: DEV_MERCHANT.mchId,
          WECHAT_MCH_KEY: DEV_MERCHANT.key,
          // the sandbox delivers its pay notifies to the gateway, as WeChat would
          WECHAT_NOTIFY_URL: `http://127.0.0.1:${ports.gateway}/api/payment/wechat/notify`,
        }
      : {}),
    ...options.env,
  };

  // Services asked to stop (stop, killService, a restart) are not reported as unexpected exits.
  const stopping = new Set<RunningProcess>();
  let platformStopping = false;
  const stop = async (proc: RunningProcess, signal?: NodeJS.Signals) => {
    stopping.add(proc);
    await stopProcess(proc, signal);
  };

  const platform: Platform = {
    namespace: options.namespace,
    mongoUri,
    ports,
    pileTcpPort,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    wechatSandboxUrl: sandbox?.url,
    env,
    processes,
    async startService(name) {
      const previous = processes.get(name);
      if (previous) await stop(previous);
      const proc = spawnTsx(name, join(repoRoot, 'services', name, 'src/main.ts'), [], {
        ...env,
        HTTP_PORT: String(ports[name]),
        ...options.serviceEnv?.[name],
      }, { logDir, detached });
      processes.set(name, proc);
      await waitReady(`http://127.0.0.1:${ports[name]}/readyz`, proc, readyTimeoutMs);
      proc.child.once('exit', (code, signal) => {
        if (!stopping.has(proc) && !platformStopping) options.onUnexpectedExit?.(name, signal ?? `code ${code}`);
      });
      return proc;
    },
    async killService(name, signal = 'SIGKILL') {
      const proc = processes.get(name);
      if (proc) await stop(proc, signal);
    },
    async stop() {
      platformStopping = true;
      // Services first (they finish in-flight work on SIGTERM), the database last.
      const services = [...processes.values()].filter((p) => p.name !== 'embedded-mongo');
      await Promise.all(services.map((p) => stop(p)));
      const mongo = processes.get('embedded-mongo');
      if (mongo) await stop(mongo);
      await sandbox?.close();
    },
  };

  try {
    // Auth first: the gateway fetches its JWKS at start.
    await platform.startService('auth');
    await Promise.all(SERVICE_NAMES.filter((n) => n !== 'auth' && n !== 'gateway').map((n) => platform.startService(n)));
    await platform.startService('gateway');
  } catch (err) {
    await platform.stop();
    throw err;
  }
  return platform;
}

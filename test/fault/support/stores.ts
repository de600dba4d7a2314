// A private redis-server and a private RabbitMQ node for one fault-test file: their own ports, data directories,
// Erlang cookie and epmd, so stopping, restarting or wiping them never touches the machine's shared Redis
// (6379) and RabbitMQ (5672). Every process started here is remembered by pid and killed when the test
// process exits, also when it exits on a failure or a timeout.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../scripts/lib/platform.js';

/** Process groups (negative pids) and pids this test process started; killed on exit whatever happens. */
const owned = new Set<number>();
/** more pids to kill on exit, asked for at that moment (the platform's services, which it restarts) */
const ownedLater: (() => number[])[] = [];
let exitHookInstalled = false;
let dying = false;

/** true once this process is being stopped by a signal or exits: start nothing more */
export function isDying(): boolean {
  return dying;
}

/** temp dirs to delete on exit */
const ownedDirs = new Set<string>();

function killOwned(): void {
  for (const p of [...owned, ...ownedLater.flatMap((f) => f())]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of ownedDirs) removeUnlessKept(dir);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    dying = true;
    killOwned();
  });
  // a test file over its timeout gets SIGALRM from tap (then SIGKILL); a CI stop or Ctrl-C SIGTERM / SIGINT:
  // nothing is started again from then on, everything is killed, and the process ends (SIGALRM: tap ends it)
  for (const signal of ['SIGALRM', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      dying = true;
      killOwned();
      if (signal !== 'SIGALRM') process.exit(1);
    });
  }
}

function own(pid: number | undefined): void {
  if (pid === undefined) return;
  owned.add(pid);
  installExitHook();
}

/** Registers processes to kill when this test process exits, whatever the reason. */
export function ownOnExit(pids: () => number[]): void {
  ownedLater.push(pids);
  installExitHook();
}

function disown(pid: number | undefined): void {
  if (pid !== undefined) owned.delete(pid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    const dead = alive();
    if (dead) throw new Error(dead);
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function keepTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.slice(-20).join('\n');
}

async function killGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.pid === undefined) return;
  if (!exited(child)) {
    const gone = once(child, 'exit');
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, graceMs);
    await gone;
    clearTimeout(timer);
  }
  // helpers the leader left behind in its group (none expected)
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
  disown(-child.pid);
}

// ---------------------------------------------------------------- Redis

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private tail: () => string = () => '';
  readonly dir: string;

  private constructor(readonly port: number, private readonly root: string) {
    this.dir = join(root, 'data');
  }

  /** On `port` when it is free (16379 by default), else on a free port. */
  static async start(root: string, preferredPort = 16379): Promise<PrivateRedis> {
    const port = (await portIsFree(preferredPort)) ? preferredPort : await freePort();
    const redis = new PrivateRedis(port, root);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async up(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--dir', this.dir, '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', '',
    ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    own(-child.pid!);
    this.child = child;
    this.tail = keepTail(child);
    await waitForPort(this.port, 10_000, () => (exited(child) ? `redis-server exited:\n${this.tail()}` : undefined));
  }

  /** Restart keeping the data: a clean shutdown writes the AOF, the new server loads it from the same dir. */
  async restartKeepingData(downMs = 0): Promise<void> {
    await this.stop('SIGTERM');
    await sleep(downMs);
    await this.up();
  }

  /** Restart losing the data: killed without warning, its directory deleted, started empty. */
  async restartLosingData(downMs = 0): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    await sleep(downMs);
    await this.up();
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child) await killGroup(this.child, signal, 10_000);
    this.child = undefined;
  }

  async remove(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- RabbitMQ

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

/**
 * A RabbitMQ node of its own: run as the current user straight from Debian's /usr/lib/rabbitmq/bin (the
 * /usr/sbin wrappers switch to the `rabbitmq` user and its shared HOME), with HOME (hence its Erlang cookie),
 * mnesia and log dirs under a temp dir, no plugins, no config file, and an epmd on a port of its own that is
 * killed with it.
 */
export class PrivateRabbit {
  private child: ChildProcess | undefined;
  private epmd: ChildProcess | undefined;
  private tail: () => string = () => '';
  readonly env: Record<string, string>;

  private constructor(readonly port: number, readonly distPort: number, readonly epmdPort: number, readonly nodename: string, private readonly root: string) {
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    mkdirSync(join(root, 'mnesia'), { recursive: true });
    mkdirSync(join(root, 'log'), { recursive: true });
    writeFileSync(join(root, 'enabled_plugins'), '[].\n');
    this.env = {
      HOME: home,
      RABBITMQ_NODENAME: nodename,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_MNESIA_BASE: join(root, 'mnesia'),
      RABBITMQ_LOG_BASE: join(root, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(root, 'enabled_plugins'),
      // none of the machine's configuration: not its rabbitmq-env.conf, rabbitmq.conf or advanced.config
      RABBITMQ_CONF_ENV_FILE: join(root, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(root, 'rabbitmq'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(root, 'advanced.config'),
      RABBITMQ_PID_FILE: join(root, 'rabbit.pid'),
    };
  }

  /** On 16672 / 26672 with node voltqfault@localhost when free, else on free ports with a suffixed name. */
  static async start(root: string, label: string): Promise<PrivateRabbit> {
    const preferred = (await portIsFree(16672)) && (await portIsFree(26672)) && (await portIsFree(14369));
    const rabbit = preferred
      ? new PrivateRabbit(16672, 26672, 14369, 'voltqfault@localhost', root)
      : new PrivateRabbit(await freePort(), await freePort(), await freePort(), `voltqfault-${label}@localhost`, root);
    await rabbit.up();
    return rabbit;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  private ctl(...args: string[]): { status: number | null; output: string } {
    const res = spawnSync(join(RABBIT_BIN, 'rabbitmqctl'), ['-n', this.nodename, ...args], {
      env: { ...process.env, ...this.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
  }

  async up(): Promise<void> {
    if (!this.epmd || exited(this.epmd)) {
      // epmd in the foreground as our own child (the node would otherwise daemonise one out of our reach)
      const epmd = spawn('epmd', ['-port', String(this.epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore', detached: true });
      own(-epmd.pid!);
      this.epmd = epmd;
      await waitForPort(this.epmdPort, 10_000, () => (exited(epmd) ? `epmd exited (${epmd.exitCode ?? epmd.signalCode})` : undefined));
    }
    const child = spawn(join(RABBIT_BIN, 'rabbitmq-server'), [], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    own(-child.pid!);
    this.child = child;
    this.tail = keepTail(child);
    await waitForPort(this.port, 60_000, () => (exited(child) ? `rabbitmq-server exited (${child.exitCode ?? child.signalCode}):\n${this.tail()}` : undefined));
  }

  /** A clean broker stop (rabbitmqctl stop), as an operator restarting it would. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (!exited(child)) {
      const res = this.ctl('stop');
      if (res.status !== 0) await killGroup(child, 'SIGTERM', 10_000);
    }
    await killGroup(child, 'SIGTERM', 10_000);
    this.child = undefined;
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    await sleep(downMs);
    await this.up();
  }

  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    if (this.epmd) await killGroup(this.epmd, 'SIGTERM', 5000);
    rmSync(this.root, { recursive: true, force: true });
  }
}

async function portIsFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) {
    server.close();
    await once(server, 'close');
  }
  return free;
}

/** Removes a file's temp dir; FAULT_KEEP_DIRS=1 keeps it (the services' logs) for a look after a failure. */
export function removeUnlessKept(dir: string): void {
  if (process.env.FAULT_KEEP_DIRS !== '1') return rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  process.stderr.write(`fault dir kept: ${dir}\n`);
}

/** A fresh temp dir for one test file's stores. */
export function storesRoot(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `voltq-fault-${label}-`));
  ownedDirs.add(dir);
  installExitHook();
  return dir;
}

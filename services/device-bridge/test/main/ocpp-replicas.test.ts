// Issue 12, cross-replica OCPP commands: replica A in-process, replica B a real process (node --import tsx
// src/main.ts, so it can be killed with SIGKILL), on real RabbitMQ + Redis and the embedded MongoDB (namespaced per
// run). A simulated OCPP charger on B: commands on the shared queue that land on A are forwarded to B and answered
// with the charger's reply; kill -9 of B while a forwarded command waits for the charger fails that command with a
// clear error within its timeout (not at the caller's RPC deadline); the charger then connects to A and the next
// command works.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Bus, DomainError, isDomainError, runService } from '@voltq/kit';
import { SimChargePoint } from '@voltq/pile-sim';
import { serveCardOwner, startBridgeHarness } from '../support/bridge-harness.js';
import { deviceBridgeService } from '../../src/main.js';
import { freePort } from '../support/ports.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const run = randomBytes(3).toString('hex');
const replicaA = `replica-a-${run}`;
const replicaB = `replica-b-${run}`;
const h = await startBridgeHarness('dbr', [replicaA, replicaB]);
t.teardown(() => h.close());

await serveCardOwner(h);

// every forward A makes to B's shard goes through kit's Bus.call in this process (B is another process): counted
const forwardsToB: number[] = [];
const call = Bus.prototype.call;
Bus.prototype.call = function (this: Bus, method, params, opts) {
  if (method === 'device.command' && opts?.shard === replicaB) forwardsToB.push(Date.now());
  return call.call(this, method, params, opts) as never;
} as typeof Bus.prototype.call;
t.teardown(() => void (Bus.prototype.call = call));

const common = { PILE_HEARTBEAT_INTERVAL_MS: '1000', OCPP_PING_INTERVAL_MS: '500', PILE_MASTER_KEY: 'test-master-key-0123' };

// A in-process
const a = h.add(await runService({
  ...deviceBridgeService,
  exit: false,
  env: h.env({ ...common, PILE_TCP_PORT: String(await freePort()), REPLICA_ID: replicaA }),
}));
const ocppA = `${a.address.replace(/^http/, 'ws')}/ocpp`;

// B a real process: the namespaced run's environment, its own ports
const httpB = await freePort();
const ocppB = `ws://127.0.0.1:${httpB}/ocpp`;
const output: string[] = [];
const b: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'services/device-bridge/src/main.ts'], {
  cwd: repoRoot,
  env: { ...process.env, ...h.env({ ...common, HTTP_PORT: String(httpB), PILE_TCP_PORT: String(await freePort()), REPLICA_ID: replicaB, LOG_LEVEL: 'warn' }) },
  stdio: ['ignore', 'pipe', 'pipe'],
});
for (const s of [b.stdout!, b.stderr!]) s.on('data', (c: Buffer) => void output.push(c.toString('utf8')));
t.teardown(async () => {
  if (b.exitCode === null && b.signalCode === null) {
    b.kill('SIGKILL');
    await once(b, 'exit');
  }
});
{
  const end = Date.now() + 30_000;
  for (;;) {
    if (b.exitCode !== null) throw new Error(`replica B exited before it was ready:\n${output.join('')}`);
    const ok = await fetch(`http://127.0.0.1:${httpB}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > end) throw new Error(`replica B not ready:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 8000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const command = (control: unknown, extra: Record<string, unknown> = {}) =>
  h.bus.call('device.command', { deviceId: 'CP-R', control, ...extra } as never, { timeoutMs: 15_000 });
const heldBy = async (replicaId: string) => {
  const view = await h.bus.call('device.get', { deviceId: 'CP-R' });
  return view.connected && view.replicaId === replicaId;
};
/** the next command on the shared queue, and whether A forwarded it (it landed on A) */
const viaQueue = async (control: unknown, extra: Record<string, unknown> = {}) => {
  const before = forwardsToB.length;
  const answer = await command(control, extra);
  return { answer, forwarded: forwardsToB.length > before };
};

const { secret } = await h.bus.call('device.register', { deviceId: 'CP-R', stationId: 'park', protocol: 'ocpp1.6', pileNo: 'R1', pileType: 2, powerKw: 22, ports: 3 } as never);
const sims: SimChargePoint[] = [];
t.teardown(async () => void (await Promise.allSettled(sims.map((s) => s.stop()))));
const charger = (url: string) => {
  const sim = new SimChargePoint({ url, deviceId: 'CP-R', secret, connectors: 3, callTimeoutMs: 3000, backoffMinMs: 200, backoffMaxMs: 1000 });
  sims.push(sim);
  const calls: { method: string; params: unknown }[] = [];
  sim.on('call', (c: { method: string; params: unknown }) => calls.push(c));
  sim.start();
  return { sim, calls };
};

const onB = charger(ocppB);
await until('the charger is online on replica B', async () => onB.sim.online && (await heldBy(replicaB)), 10_000);

t.test('a command landing on replica A reaches the charger on replica B and is answered with its reply', async (t) => {
  // reset: the charger reboots after answering (back on B); try until one landed on A
  let landed = false;
  for (let i = 0; i < 4 && !landed; i++) {
    const calls = onB.calls.length;
    const { answer, forwarded } = await viaQueue({ command: 'reset', type: 'Soft' });
    t.match(answer, { deviceId: 'CP-R', accepted: true, data: { status: 'Accepted' } });
    t.match(onB.calls.slice(calls), [{ method: 'Reset', params: { type: 'Soft' } }], 'the charger got the reset');
    landed = forwarded;
    await until('the charger is back on B after its reboot', async () => onB.sim.online && (await heldBy(replicaB)), 10_000);
  }
  t.ok(landed, 'a reset landed on A and was forwarded to B');

  // RemoteStartTransaction: each try on a free connector of its own
  landed = false;
  for (let portNo = 1; portNo <= 3 && !landed; portNo++) {
    const calls = onB.calls.length;
    const { answer, forwarded } = await viaQueue({ command: 'start', portNo, sessionId: `sess-r${portNo}`, orderId: `order-r${portNo}` });
    t.match(answer, { deviceId: 'CP-R', accepted: true, data: { status: 'Accepted' } });
    t.match(onB.calls.slice(calls), [{ method: 'RemoteStartTransaction', params: { connectorId: portNo, idTag: String } }]);
    landed = forwarded;
    if (landed) await until('the charger started the session', () => onB.sim.transactionId(portNo) !== undefined);
  }
  t.ok(landed, 'a remote start landed on A and was forwarded to B');
});

t.test('kill -9 of replica B during a forwarded command: a clear error within its timeout; on A the next command works', async (t) => {
  // the charger takes GetConfiguration and never answers it
  const rpc = (onB.sim as unknown as { rpc: { handle(method: string, fn: () => Promise<never>): void } }).rpc;
  rpc.handle('GetConfiguration', () => {
    onB.calls.push({ method: 'GetConfiguration', params: undefined });
    return new Promise<never>(() => undefined);
  });
  const timeoutMs = 3000;

  let failure: unknown;
  let elapsedMs = 0;
  for (let i = 0; i < 3 && failure === undefined; i++) {
    const before = forwardsToB.length;
    const calls = onB.calls.length;
    const began = Date.now();
    const pending = command({ command: 'get-configuration', keys: ['HeartbeatInterval'] }, { timeoutMs }).then(
      () => new Error('answered'), (err: unknown) => err);
    await until('the charger got the GetConfiguration', () => onB.calls.length > calls, 4000);
    if (forwardsToB.length === before) {
      // landed on B itself: nothing of A's in it; let it time out and try again
      t.match(await pending, { code: 'TIMEOUT', details: { reason: 'PILE_TIMEOUT' } }, 'answered by B: PILE_TIMEOUT');
      continue;
    }
    b.kill('SIGKILL');
    await once(b, 'exit');
    failure = await pending;
    elapsedMs = Date.now() - began;
  }
  t.ok(isDomainError(failure), `a DomainError: ${String(failure)}`);
  const { code, details } = failure as DomainError;
  t.ok(
    (code === 'TIMEOUT' && details?.reason === 'PILE_TIMEOUT') || (code === 'PILE_STATE' && details?.reason === 'PILE_OFFLINE') || code === 'UNAVAILABLE',
    `a clear error (${code} ${String(details?.reason)})`,
  );
  t.ok(elapsedMs < timeoutMs + 2000 + 1500, `within the command's timeout and the forwarding margin (${elapsedMs} ms), not the caller's 15 s`);

  // the charger gives up on B and is pointed at A: the same identity connects there
  await onB.sim.stop();
  const onA = charger(ocppA);
  await until('the charger is online on replica A', async () => onA.sim.online && (await heldBy(replicaA)), 10_000);
  const conf = await command({ command: 'get-configuration', keys: ['HeartbeatInterval'] }, { timeoutMs });
  t.match(conf, { deviceId: 'CP-R', accepted: true, data: { configurationKey: [{ key: 'HeartbeatInterval', value: String }] } });
  const start = await command({ command: 'start', portNo: 3, sessionId: 'sess-after', orderId: 'order-after' }, { timeoutMs });
  t.match(start, { accepted: true, data: { status: 'Accepted' } });
  t.match(onA.calls.map((c) => c.method), ['GetConfiguration', 'RemoteStartTransaction']);
});

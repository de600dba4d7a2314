// Lifecycle: health/readiness/metrics endpoints, extra routes, config errors, SIGTERM finishing in-flight work.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Bus } from '../src/bus/bus.js';
import { runService } from '../src/service.js';
import { serviceConfigSchema } from '../src/config.js';
import { workQueueName } from '../src/bus/names.js';
import { removeNamespace } from '../../../test/support/cleanup.js';
import { AMQP_URL, REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { testLog, waitFor } from './helpers.js';

const ns = testNamespace('kt');
const redis = new Redis(REDIS_URL);
const queues = [workQueueName(ns, 'fixture', 'slow')];
const fixture = fileURLToPath(new URL('./fixtures/service-main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

t.teardown(async () => {
  await removeNamespace(ns, queues);
  redis.disconnect();
});

function startFixture(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env: { ...process.env, VOLTQ_NS: ns, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

t.test('a bad variable stops the process with a message naming it', async (t) => {
  const p = startFixture({ HTTP_PORT: 'abc', SLOW_MS: '-3' });
  t.equal(await p.exited, 1);
  t.match(p.err(), /fixture: Invalid configuration: .*HTTP_PORT.*"abc"/);
  t.match(p.err(), /SLOW_MS/);
  t.notMatch(p.out(), /READY/);
});

t.test('endpoints: healthz, readyz with dependency checks, metrics, extra routes', async (t) => {
  const schema = serviceConfigSchema('probe');
  let extraReady = true;
  const h = await runService({
    name: 'probe',
    configSchema: schema,
    env: { VOLTQ_NS: ns, HTTP_PORT: '0', LOG_LEVEL: 'silent' },
    uses: { mongo: false },
    exit: false,
    async start(ctx) {
      ctx.http.get('/hello', async () => ({ hello: ctx.config.serviceName }));
      ctx.addReadinessCheck('extra', () => extraReady);
    },
  });
  const get = async (path: string) => {
    const res = await fetch(`${h.address}${path}`);
    return { status: res.status, text: await res.text() };
  };
  t.same(JSON.parse((await get('/healthz')).text), { status: 'ok' });
  t.equal((await get('/readyz')).status, 200);
  t.same(JSON.parse((await get('/hello')).text), { hello: 'probe' });
  extraReady = false;
  const notReady = await get('/readyz');
  t.equal(notReady.status, 503);
  t.same(JSON.parse(notReady.text).failing, ['extra']);
  extraReady = true;
  await h.ctx.bus.publish('pile.recovered', { stationId: 's', pileNo: 'M1', recoveredAt: 1 });
  const metrics = await get('/metrics');
  t.match(metrics.text, /voltq_messages_total\{kind="publish",type="pile.recovered",outcome="ok",service="probe"\} 1/);
  t.match(metrics.text, /process_cpu_user_seconds_total/);
  t.ok(h.ctx.clock.now() > 0);
  await h.shutdown();
  t.ok(h.ctx.isShuttingDown());
  await t.rejects(fetch(`${h.address}/healthz`), 'the server is closed after shutdown');
});

t.test('SIGTERM: readiness off, in-flight message finished and acked, exit 0', async (t) => {
  const p = startFixture({ SLOW_MS: '800' });
  await waitFor(() => p.out().includes('READY'), 20_000, 'fixture start');
  const address = /READY (\S+)/.exec(p.out())![1]!;
  t.equal((await fetch(`${address}/readyz`)).status, 200);
  const bus = new Bus({ url: AMQP_URL, ns, service: 'tester', log: testLog() });
  await bus.start();
  await bus.publish('pile.recovered', { stationId: 's', pileNo: 'G1', recoveredAt: 1 });
  await waitFor(async () => (await redis.exists(`${ns}:started:G1`)) === 1, 5000, 'handler start');
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, 'exit code 0');
  t.equal(await redis.exists(`${ns}:done:G1`), 1, 'the in-flight handler finished');
  const conn = await connect(AMQP_URL);
  const ch = await conn.createChannel();
  const { messageCount } = await ch.checkQueue(queues[0]!);
  t.equal(messageCount, 0, 'and was acknowledged (nothing left to redeliver)');
  await conn.close();
  await bus.close();
});

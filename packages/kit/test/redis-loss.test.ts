// Redis losing its data (every key of the run's namespace deleted, as FLUSHALL or a restart without persistence
// would do): the generation tells, rebuild steps run (and run again after a failure), the outbox relay recreates
// its stream and group instead of failing with NOGROUP, and a clock restores its durably kept setting.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';
import { freePort } from '../../../scripts/lib/ports.js';
import { Bus } from '../src/bus/bus.js';
import { createClock } from '../src/clock.js';
import { RedisOutbox } from '../src/outbox-redis.js';
import { createRedis, RedisGeneration } from '../src/redis.js';
import { workQueueName } from '../src/bus/names.js';
import { removeNamespace, removeRedisNamespace } from '../../../test/support/cleanup.js';
import { AMQP_URL, REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { testLog, waitFor } from './helpers.js';

const ns = testNamespace('kloss');
const log = testLog();
const redis = new Redis(REDIS_URL);
const queues: string[] = [];

t.teardown(async () => {
  await removeNamespace(ns, queues);
  redis.disconnect();
});

t.test('generation: a loss is noticed, the rebuild steps run in order, a failed one runs again', async (t) => {
  const a = new RedisGeneration({ redis, ns, log, checkMs: 3_600_000 });
  const b = new RedisGeneration({ redis, ns, log, checkMs: 3_600_000 });
  await a.start();
  await b.start();
  t.equal(a.value(), b.value(), 'the second process adopts the generation the first one set');
  const steps: string[] = [];
  let failOnce = true;
  a.onLoss('one', () => void steps.push('one'));
  a.onLoss('two', () => {
    steps.push('two');
    if (failOnce) {
      failOnce = false;
      throw new Error('mongo down');
    }
  });
  t.equal(await a.check(), true);
  t.ok(a.rebuilt());

  const before = a.value();
  await removeRedisNamespace(ns);
  t.equal(await a.check(), false, 'the loss is seen at the next check');
  t.not(a.value(), before, 'a new generation');
  await a.settled();
  t.notOk(a.rebuilt(), 'a failed step keeps the service unready');
  t.equal(await a.check(), true);
  await a.settled();
  t.ok(a.rebuilt(), 'the next check ran the steps again and they succeeded');
  t.same(steps, ['one', 'two', 'one', 'two']);
  t.equal(await b.check(), false, 'another process notices it too');
  t.equal(b.value(), a.value(), 'and takes the same new generation');
  a.stop();
  b.stop();
});

t.test('outbox relay: after its stream and group vanished it recreates them and publishes again', async (t) => {
  const queue = workQueueName(ns, 'ob', 'sink');
  queues.push(queue);
  const bus = new Bus({ url: AMQP_URL, ns, service: 'ob', log, redis });
  await bus.start();
  const got: string[] = [];
  await bus.consume({ queue: 'sink', types: ['pile.faulted'], handler: async (m) => void got.push(m.payload.pileNo) });
  const outbox = new RedisOutbox({ redis, ns, name: 'loss', bus, log, blockMs: 100 });
  await outbox.start();
  await outbox.append(redis.multi(), bus.envelope('pile.faulted', { stationId: 's', pileNo: 'F1', faultedAt: 1 })).exec();
  await waitFor(() => got.includes('F1'), 5000, 'before the loss');

  await removeRedisNamespace(ns);
  await new Promise((r) => setTimeout(r, 300)); // the relay reads the missing stream meanwhile (NOGROUP)
  await outbox.append(redis.multi(), bus.envelope('pile.faulted', { stationId: 's', pileNo: 'F2', faultedAt: 2 })).exec();
  await waitFor(() => got.includes('F2'), 5000, 'an event written after the loss is published');
  t.same(got, ['F1', 'F2']);
  await outbox.stop();
  await bus.close();
});

t.test('clock: restore() puts a kept setting back into an emptied Redis, and never over a newer one', async (t) => {
  const a = await createClock(redis, ns, { log });
  const target = Date.UTC(2026, 11, 4, 0, 0, 0);
  const kept = await a.set({ mode: 'manual', timeMs: target });
  await removeRedisNamespace(ns);
  const late = await createClock(redis, ns, { log });
  t.equal(late.state().mode, 'real', 'what a process starting after the loss reads before the restore');
  await a.restore(kept);
  await waitFor(() => late.now() === target, 2000, 'the restore is announced');
  const newer = await a.set({ mode: 'manual', timeMs: target + 60_000 });
  t.same(await a.restore(kept), newer, 'an older setting does not overwrite a newer one');
  t.equal(late.now(), target + 60_000);
  await Promise.all([a.close(), late.close()]);
});

/** A Redis of the test's own, without persistence (the shared one is never restarted). */
async function privateRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('the private redis-server did not start');
}

t.test('a Redis restarted without persistence: the reconnect notices the loss, the relay publishes again', async (t) => {
  const port = await freePort();
  let server = await privateRedis(port);
  t.teardown(() => void server.kill('SIGKILL'));
  const r = createRedis(`redis://127.0.0.1:${port}`, { log });
  t.teardown(() => r.disconnect());
  await once(r, 'ready');
  const gen = new RedisGeneration({ redis: r, ns, log, checkMs: 3_600_000 }); // only the reconnect can notice
  await gen.start();
  t.teardown(() => gen.stop());
  const rebuilt: string[] = [];
  gen.onLoss('note', () => void rebuilt.push('rebuilt'));

  const queue = workQueueName(ns, 'ob2', 'sink');
  queues.push(queue);
  const bus = new Bus({ url: AMQP_URL, ns, service: 'ob2', log, redis });
  await bus.start();
  t.teardown(() => bus.close());
  const got: string[] = [];
  await bus.consume({ queue: 'sink', types: ['pile.faulted'], handler: async (m) => void got.push(m.payload.pileNo) });
  const outbox = new RedisOutbox({ redis: r, ns, name: 'restart', bus, log, blockMs: 100 });
  await outbox.start();
  t.teardown(() => outbox.stop());
  await outbox.append(r.multi(), bus.envelope('pile.faulted', { stationId: 's', pileNo: 'T1', faultedAt: 1 })).exec();
  await waitFor(() => got.includes('T1'), 5000, 'before the restart');

  server.kill('SIGKILL');
  await once(server, 'exit');
  t.notOk(await gen.check(), 'while Redis is down the generation is not confirmed (and the probe does not hang)');
  server = await privateRedis(port);
  await waitFor(() => gen.losses === 1 && gen.rebuilt(), 10_000, 'the loss noticed at the reconnect');
  t.same(rebuilt, ['rebuilt']);
  await outbox.append(r.multi(), bus.envelope('pile.faulted', { stationId: 's', pileNo: 'T2', faultedAt: 2 })).exec();
  await waitFor(() => got.includes('T2'), 10_000, 'an event written after the restart is published');
  t.same(got, ['T1', 'T2']);
});

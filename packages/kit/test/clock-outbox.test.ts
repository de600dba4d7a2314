// The shared clock across replicas and the Redis outbox relay, against the real Redis and broker.
import t from 'tap';
import { Redis } from 'ioredis';
import { Bus } from '../src/bus/bus.js';
import { createClock } from '../src/clock.js';
import { OUTBOX_LUA, RedisOutbox, outboxLuaArgs } from '../src/outbox-redis.js';
import { workQueueName } from '../src/bus/names.js';
import { removeNamespace } from '../../../test/support/cleanup.js';
import { AMQP_URL, REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { testLog, waitFor } from './helpers.js';

const ns = testNamespace('kt');
const log = testLog();
const redis = new Redis(REDIS_URL);
const queues: string[] = [];

t.teardown(async () => {
  await removeNamespace(ns, queues);
  redis.disconnect();
});

t.test('clock: a change on one replica reaches the others at once; a new replica starts from Redis', async (t) => {
  const a = await createClock(redis, ns, { log });
  const b = await createClock(redis, ns, { log });
  t.equal(a.state().mode, 'real', 'real by default');
  t.ok(Math.abs(a.now() - Date.now()) < 50);
  const changes: number[] = [];
  b.onChange((s) => changes.push(s.originClockMs));
  const target = Date.UTC(2025, 0, 6, 2, 0, 0); // 10:00 in Shanghai
  await a.set({ mode: 'manual', timeMs: target });
  await waitFor(() => b.now() === target, 2000, 'notification');
  t.equal(b.iso(), '2025-01-06T10:00:00.000+08:00');
  t.same(changes, [target]);
  await a.set({ mode: 'scaled', speed: 100 });
  await waitFor(() => b.state().mode === 'scaled', 2000, 'scaled');
  await new Promise((r) => setTimeout(r, 100));
  const advanced = b.now() - target;
  t.ok(advanced >= 9000 && advanced < 40_000, `100x: ~100 ms real moved the clock ${advanced} ms`);

  await a.set({ mode: 'manual', timeMs: target + 3_600_000 });
  const c = await createClock(redis, ns, { log });
  t.equal(c.now(), target + 3_600_000, 'a late starter reads the state on start');
  await Promise.all([a.close(), b.close(), c.close()]);
});

t.test('redis outbox: state + event in one MULTI or Lua; relayed with confirms, acked and deleted', async (t) => {
  const queue = workQueueName(ns, 'ob', 'sink');
  queues.push(queue);
  const bus = new Bus({ url: AMQP_URL, ns, service: 'ob', log, redis });
  await bus.start();
  const got: string[] = [];
  await bus.consume({ queue: 'sink', types: ['pile.faulted'], handler: async (m) => void got.push(m.payload.pileNo) });

  const outbox = new RedisOutbox({ redis, ns, name: 'sched', bus, log, blockMs: 100 });
  // written before the relay starts: must not be skipped
  const e1 = bus.envelope('pile.faulted', { stationId: 's', pileNo: 'F1', faultedAt: 1 });
  await outbox.append(redis.multi().hset(`${ns}:state`, 'F1', 'fault'), e1).exec();
  await outbox.start();

  // inside a Lua script, with the state write
  redis.defineCommand('faultPile', {
    numberOfKeys: 2,
    lua: `${OUTBOX_LUA}
      redis.call('HSET', KEYS[1], ARGV[1], 'fault')
      voltq_outbox_add(KEYS[2], ARGV, 2)
      return 1`,
  });
  const e2 = bus.envelope('pile.faulted', { stationId: 's', pileNo: 'F2', faultedAt: 2 });
  const e3 = bus.envelope('pile.faulted', { stationId: 's', pileNo: 'T1', faultedAt: 3 });
  await (redis as any).faultPile(`${ns}:state`, outbox.streamKey, 'F2', ...outboxLuaArgs([{ env: e2 }, { env: e3 }]));

  await waitFor(() => got.length === 3, 3000, 'relayed events');
  t.same(got.sort(), ['F1', 'F2', 'T1']);
  await waitFor(async () => (await outbox.backlog()) === 0, 2000, 'stream emptied');
  t.same(await redis.hgetall(`${ns}:state`), { F1: 'fault', F2: 'fault' }, 'the state writes happened with them');
  await outbox.stop();

  // a relay that died after reading (entries pending on it) is taken over by another one
  const dead = new RedisOutbox({ redis, ns, name: 'sched', bus, log, consumer: 'dead-one', blockMs: 100 });
  const e4 = bus.envelope('pile.faulted', { stationId: 's', pileNo: 'T2', faultedAt: 4 });
  await dead.append(redis.multi(), e4).exec();
  await redis.xreadgroup('GROUP', 'relay', 'dead-one', 'COUNT', 10, 'STREAMS', dead.streamKey, '>'); // reads, never publishes
  const heir = new RedisOutbox({ redis, ns, name: 'sched', bus, log, consumer: 'heir', claimIdleMs: 200, blockMs: 100 });
  await heir.start();
  await waitFor(() => got.includes('T2'), 4000, 'claimed entry relayed');
  await waitFor(async () => (await heir.backlog()) === 0, 2000, 'stream emptied');

  // an entry that can never be published is kept in the dead stream with its reason
  await redis.xadd(heir.streamKey, '*', 'env', '{"broken": true}', 'exchange', 'events', 'routingKey', '');
  await waitFor(async () => (await redis.xlen(heir.deadKey)) === 1, 3000, 'dead entry');
  const [[, fields]] = (await redis.xrange(heir.deadKey, '-', '+')) as [string, string[]][] as [[string, string[]]];
  t.match(fields.join(' '), /error invalid/);
  await heir.stop();
  await bus.close();
});

import t from 'tap';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Bus, type ReturnedEnvelope } from '../src/bus/bus.js';
import { createLocalClock } from '../src/clock.js';
import { DomainError } from '../src/errors.js';
import { createMetrics } from '../src/metrics.js';
import { dlqName, rpcQueueName, seenKey, workQueueName } from '../src/bus/names.js';
import { removeNamespace } from '../../../test/support/cleanup.js';
import { AMQP_URL, REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { drainQueue, testLog, waitFor } from './helpers.js';

const ns = testNamespace('kt');
const service = 'svc';
const log = testLog();
const redis = new Redis(REDIS_URL);
const clock = createLocalClock({ mode: 'manual', timeMs: Date.UTC(2025, 0, 1, 0, 0, 0) });
const metrics = createMetrics(service, { defaultMetrics: false });
const bus = new Bus({ url: AMQP_URL, ns, service, log, redis, clock, metrics, rpcTimeoutMs: 2000 });
const queues: string[] = [];
const q = (purpose: string) => {
  const name = workQueueName(ns, service, purpose);
  queues.push(name);
  return name;
};

t.before(async () => {
  await bus.start();
});
t.teardown(async () => {
  await bus.close();
  await clock.close();
  await removeNamespace(ns, queues);
  redis.disconnect();
});

const recovered = (pileNo: string) => ({ stationId: 'default', pileNo, recoveredAt: clock.now() });

t.test('publish and consume: validated envelope with clock time and correlation id', async (t) => {
  q('roundtrip');
  const got: unknown[] = [];
  const h = await bus.consume({
    queue: 'roundtrip',
    types: ['pile.recovered'],
    handler: async (msg, ctx) => {
      got.push({ msg, correlationId: ctx.correlationId, attempt: ctx.attempt });
    },
  });
  const env = await bus.publish('pile.recovered', recovered('F1'), { correlationId: 'corr-1' });
  t.equal(env.occurredAt, '2025-01-01T08:00:00.000+08:00', 'occurredAt is the clock time with offset');
  await waitFor(() => got.length === 1, 3000, 'delivery');
  t.same(got[0], { msg: env, correlationId: 'corr-1', attempt: 1 });
  await t.rejects(
    bus.publish('pile.recovered', { stationId: 'default', pileNo: 'F1' } as never),
    { code: 'VALIDATION' },
    'an invalid payload is refused before publishing',
  );
  await h.cancel();
});

t.test('an invalid incoming message goes straight to the DLQ with the validation error', async (t) => {
  const name = q('invalid');
  let handled = 0;
  const h = await bus.consume({ queue: 'invalid', types: ['pile.recovered'], handler: async () => void handled++ });
  const conn = await connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  const bad = { id: 'bad-1', type: 'pile.recovered', occurredAt: 'x', correlationId: 'c', payload: { pileNo: 7 } };
  ch.publish(bus.exchanges.events, 'pile.recovered', Buffer.from(JSON.stringify(bad)));
  ch.publish(bus.exchanges.events, 'pile.recovered', Buffer.from('not json'));
  await ch.waitForConfirms();
  await conn.close();
  let dead: Awaited<ReturnType<typeof drainQueue>> = [];
  await waitFor(async () => (dead = dead.concat(await drainQueue(dlqName(name)))).length >= 2, 3000, 'dead letters');
  t.equal(handled, 0, 'the handler never saw them');
  t.match(String(dead[0]!.headers['x-voltq-error']), /invalid message: pile\.recovered payload: \/stationId: Expected required property/);
  t.match(String(dead[1]!.headers['x-voltq-error']), /not JSON/);
  t.same(dead[0]!.content, bad, 'the original body is kept');
  await h.cancel();
});

t.test('a failing handler is retried up to the delivery limit, then dead-lettered with its error', async (t) => {
  const name = q('failing');
  const attempts: number[] = [];
  const h = await bus.consume({
    queue: 'failing',
    types: ['pile.recovered'],
    deliveryLimit: 3,
    handler: async (_msg, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error('store exploded');
    },
  });
  const env = await bus.publish('pile.recovered', recovered('T2'));
  let dead: Awaited<ReturnType<typeof drainQueue>> = [];
  await waitFor(async () => (dead = await drainQueue(dlqName(name))).length === 1, 5000, 'dead letter');
  t.same(attempts, [1, 2, 3]);
  t.equal(dead[0]!.headers['x-voltq-error'], 'store exploded');
  t.equal(dead[0]!.headers['x-voltq-attempts'], 3);
  t.same(dead[0]!.content, env);
  await h.cancel();
});

t.test('a message seen before is acknowledged without running the handler again', async (t) => {
  q('dedupe');
  let handled = 0;
  const h = await bus.consume({ queue: 'dedupe', types: ['pile.recovered'], handler: async () => void handled++ });
  const env = bus.envelope('pile.recovered', recovered('F2'));
  await bus.publishEnvelope(env);
  // a copy that comes once the first is done (the concurrent case is the claim test below)
  await waitFor(() => handled === 1, 3000, 'first delivery');
  await bus.publishEnvelope(env); // a relay that crashed before XACK publishes again
  await waitFor(async () => (await metricValue('duplicate')) >= 1, 3000, 'duplicate');
  t.equal(handled, 1);
  await h.cancel();
});

t.test('two concurrent deliveries of one message id run the handler once (the id is claimed atomically)', async (t) => {
  q('claim');
  let entered = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const handler = async () => {
    entered++;
    await gate; // the first delivery is still being handled when the copy arrives
  };
  // two consumers of one queue, as two replicas of a service would be
  const a = await bus.consume({ queue: 'claim', types: ['pile.recovered'], handler });
  const b = await bus.consume({ queue: 'claim', types: ['pile.recovered'], handler });
  const heldBefore = await metricValue('claim-held');
  const duplicatesBefore = await metricValue('duplicate');
  const env = bus.envelope('pile.recovered', recovered('T3'));
  await bus.publishEnvelope(env);
  await waitFor(() => entered === 1, 3000, 'first delivery in its handler');
  await bus.publishEnvelope(env); // the same id again while the first is in flight
  // the copy is delivered and waits on the claim (before: it ran the handler a second time)
  await waitFor(async () => entered === 2 || (await metricValue('claim-held')) > heldBefore, 3000, 'copy delivered');
  open();
  await waitFor(async () => entered === 2 || (await metricValue('duplicate')) > duplicatesBefore, 8000, 'copy settled');
  t.equal(entered, 1, 'the handler ran once');
  await a.cancel();
  await b.cancel();
});

t.test('a failed handler releases its claim, so the redelivery runs', async (t) => {
  q('release');
  const attempts: number[] = [];
  const h = await bus.consume({
    queue: 'release',
    types: ['pile.recovered'],
    claimTtlMs: 600_000, // far longer than the test: only the release lets the redelivery in
    handler: async (_msg, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('first attempt fails');
    },
  });
  await bus.publish('pile.recovered', recovered('T4'));
  await waitFor(() => attempts.length === 2, 4000, 'redelivery handled');
  t.same(attempts, [1, 2]);
  await h.cancel();
});

t.test('a claim left by a consumer killed mid-handler runs out, and the redelivery runs at its first try', async (t) => {
  // kill -9 of the order service mid-handler left its claim in Redis; the restarted service's delivery requeued
  // every 5 s while the 60 s claim held, each requeue counted against the delivery limit, and the event went to
  // the DLQ unhandled (an order stuck in CHARGING with its bill issued)
  const queue = q('dead-holder');
  const attempts: number[] = [];
  const env = bus.envelope('pile.recovered', recovered('T5'));
  const claimTtlMs = 6000;
  await redis.set(seenKey(ns, queue, env.id), 'claim:of-a-dead-process', 'PX', claimTtlMs);
  const h = await bus.consume({ queue: 'dead-holder', types: ['pile.recovered'], claimTtlMs, handler: async (_msg, ctx) => void attempts.push(ctx.attempt) });
  const started = Date.now();
  await bus.publishEnvelope(env);
  await waitFor(() => attempts.length === 1, claimTtlMs + 4000, 'handled once the dead claim ran out');
  t.same(attempts, [1], 'handled at the first delivery, not requeued');
  t.ok(Date.now() - started >= claimTtlMs - 500, 'not before the dead claim ran out');
  await h.cancel();
});

t.test('a handler slower than the claim TTL keeps its claim: a copy of the message does not run it twice', async (t) => {
  q('slow-holder');
  let entered = 0;
  const env = bus.envelope('pile.recovered', recovered('T6'));
  const h = await bus.consume({
    queue: 'slow-holder',
    types: ['pile.recovered'],
    claimTtlMs: 400,
    prefetch: 2,
    handler: async () => {
      entered++;
      await new Promise((r) => setTimeout(r, 1500));
    },
  });
  await bus.publishEnvelope(env);
  await waitFor(() => entered === 1, 3000, 'first delivery in its handler');
  await bus.publishEnvelope(env); // the same id while the first runs for three claim TTLs
  const duplicatesBefore = await metricValue('duplicate');
  await waitFor(async () => entered === 2 || (await metricValue('duplicate')) > duplicatesBefore, 6000, 'copy settled');
  t.equal(entered, 1, 'the handler ran once');
  await h.cancel();
});

async function metricValue(outcome: string): Promise<number> {
  const m = await metrics.messages.get();
  return m.values.filter((v) => v.labels.outcome === outcome).reduce((a, v) => a + v.value, 0);
}

t.test('commands route by routing key to the queue bound for it', async (t) => {
  q('commands-r1');
  const got: string[] = [];
  const h = await bus.consume({
    queue: 'commands-r1',
    types: ['pile.command'],
    exchange: 'commands',
    bindings: ['pile.command.r1'],
    handler: async (msg) => void got.push(msg.payload.commandId),
  });
  await bus.send('pile.command', { commandId: 'c-r2', pileId: 'p2', action: 'start' }, { routingKey: 'pile.command.r2' });
  await bus.send('pile.command', { commandId: 'c-r1', pileId: 'p1', action: 'stop' }, { routingKey: 'pile.command.r1' });
  await waitFor(() => got.length === 1, 3000, 'command');
  await new Promise((r) => setTimeout(r, 100));
  t.same(got, ['c-r1'], 'only the command for replica r1 arrives');
  await h.cancel();
});

t.test('a command no queue takes is returned to the publisher, not lost', async (t) => {
  q('commands-r7');
  const returned: ReturnedEnvelope[] = [];
  const off = bus.onReturned((r) => void returned.push(r));
  const got: string[] = [];
  const h = await bus.consume({
    queue: 'commands-r7',
    types: ['pile.command'],
    exchange: 'commands',
    bindings: ['pile.command.r7'],
    transient: true,
    handler: async (msg) => void got.push(msg.payload.commandId),
  });
  // a replica that died: its exclusive queue is gone, nothing is bound for its routing key any more
  const lost = await bus.send('pile.command', { commandId: 'c-gone', pileId: 'p9', action: 'start' }, { routingKey: 'pile.command.dead-replica' });
  await bus.send('pile.command', { commandId: 'c-r7', pileId: 'p7', action: 'start' }, { routingKey: 'pile.command.r7' });
  await waitFor(() => got.length === 1, 3000, 'routed command');
  t.equal(returned.length, 1, 'exactly the unroutable command came back');
  t.same(returned[0]!.env, lost, 'with its whole envelope');
  t.equal(returned[0]!.exchange, 'commands');
  t.equal(returned[0]!.routingKey, 'pile.command.dead-replica');
  t.match(returned[0]!.replyText, /NO_ROUTE/);
  t.same(got, ['c-r7']);
  // an event with no subscriber is not a loss: events are not mandatory
  await bus.publish('pile.recovered', recovered('nobody-listens'), { routingKey: 'pile.recovered.none' });
  t.equal(returned.length, 1, 'events are not returned');
  // explicitly mandatory prebuilt envelopes (outbox relays) come back as well
  const env = bus.envelope('pile.recovered', recovered('P9'));
  await bus.publishEnvelope(env, { routingKey: 'pile.recovered.none', mandatory: true });
  t.equal(returned.length, 2);
  t.equal(returned[1]!.env?.id, env.id);
  off();
  await h.cancel();
});

t.test('a transient per-replica queue gets the events and disappears with its consumer', async (t) => {
  const name = q('push-r1');
  q('transient');
  const got: string[] = [];
  const h = await bus.consume({ queue: 'push-r1', types: ['pile.recovered'], transient: true, handler: async (m) => void got.push(m.payload.pileNo) });
  await bus.publish('pile.recovered', recovered('P1'));
  await waitFor(() => got.length === 1, 3000, 'delivery');
  await h.cancel();
  const conn = await connect(AMQP_URL);
  conn.on('error', () => undefined);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  await t.rejects(ch.checkQueue(name), /NOT_FOUND/, 'the queue is gone');
  await conn.close();
});

t.test('RPC: results, domain errors, internal errors, validation, missing server, deadlines', async (t) => {
  queues.push(rpcQueueName(ns, 'scheduler.clockGet'), rpcQueueName(ns, 'billing.getBill'), rpcQueueName(ns, 'billing.listBills'));
  const seen: string[] = [];
  const clockGet = await bus.serve('scheduler.clockGet', async (_p, ctx) => {
    seen.push(ctx.correlationId);
    return { mode: 'manual', timeMs: 42, speed: 1 };
  });
  let slowCalls = 0;
  const getBill = await bus.serve(
    'billing.getBill',
    async (p) => {
      if (p.billId === 'missing') throw new DomainError('NOT_FOUND', 'no such bill', { resource: 'bill', diagnostic: { billId: p.billId } });
      if (p.billId === 'boom') throw new Error('password=hunter2 at db.internal:27017');
      if (p.billId === 'bad-result') return { billId: 'x' } as never;
      slowCalls++;
      await new Promise((r) => setTimeout(r, 300));
      throw new DomainError('CONFLICT', 'slow');
    },
    { prefetch: 1 },
  );

  t.same(await bus.call('scheduler.clockGet', {}, { correlationId: 'rpc-c1' }), { mode: 'manual', timeMs: 42, speed: 1 });
  t.same(seen, ['rpc-c1'], 'the correlation id travels');

  const nf = await bus.call('billing.getBill', { billId: 'missing' }).catch((e: unknown) => e);
  t.ok(nf instanceof DomainError);
  t.match(nf, { code: 'NOT_FOUND', message: 'no such bill', details: { resource: 'bill', diagnostic: { billId: 'missing' } } });

  const internal = await bus.call('billing.getBill', { billId: 'boom' }).catch((e: unknown) => e);
  t.match(internal, { code: 'INTERNAL', message: 'internal error' }, 'internals do not leak');
  t.notMatch(JSON.stringify(internal), /hunter2/);

  await t.rejects(bus.call('billing.getBill', { billId: 'bad-result' }), { code: 'INTERNAL' }, 'a result that breaks the contract');
  await t.rejects(bus.call('billing.getBill', { billId: 5 } as never), { code: 'VALIDATION' }, 'bad params never leave the caller');
  const started = Date.now();
  await t.rejects(bus.call('billing.listBills', { pageNum: 1, pageSize: 5 }), { code: 'UNAVAILABLE' }, 'no server queue');
  t.ok(Date.now() - started < 1000, 'no server is reported at once, not after the deadline');

  // deadline: the server (prefetch 1) is busy with a slow call; the second call times out in its queue and is
  // dropped by the server instead of being handled late
  const slow = bus.call('billing.getBill', { billId: 'slow-1' }, { timeoutMs: 2000 }).catch((e: unknown) => e);
  await waitFor(() => slowCalls === 1, 2000, 'slow call');
  const t0 = Date.now();
  const late = await bus.call('billing.getBill', { billId: 'slow-2' }, { timeoutMs: 100 }).catch((e: unknown) => e);
  const took = Date.now() - t0;
  t.match(late, { code: 'TIMEOUT' });
  t.ok(took >= 95 && took < 400, `timed out at its deadline (${took} ms)`);
  t.match(await slow, { code: 'CONFLICT' });
  await new Promise((r) => setTimeout(r, 350));
  t.equal(slowCalls, 1, 'the expired request was not handled');

  await clockGet.cancel();
  await getBill.cancel();
});

t.test('graceful stop finishes the in-flight handler and acknowledges it', async (t) => {
  q('graceful');
  const other = new Bus({ url: AMQP_URL, ns, service, log, redis, clock });
  await other.start();
  let finished = 0;
  let started = 0;
  await other.consume({
    queue: 'graceful',
    types: ['pile.recovered'],
    handler: async () => {
      started++;
      await new Promise((r) => setTimeout(r, 300));
      finished++;
    },
  });
  await bus.publish('pile.recovered', recovered('F3'));
  await waitFor(() => started === 1, 3000, 'handler start');
  t.equal(other.inFlight, 1);
  await other.close();
  t.equal(finished, 1, 'close waited for the handler');
  t.notOk(other.check(), 'not ready after close');
  // nothing left to redeliver: a new consumer gets nothing
  let again = 0;
  const h = await bus.consume({ queue: 'graceful', types: ['pile.recovered'], dedupe: false, handler: async () => void again++ });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(again, 0, 'the message was acked, not redelivered');
  await h.cancel();
});

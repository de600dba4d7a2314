// The broker connection drops (a TCP proxy of our own is cut): the bus reconnects and resumes consumers and RPC
// servers; a message whose ack was lost is redelivered and processed once; publishing waits for the connection.
import t from 'tap';
import { Redis } from 'ioredis';
import { Bus } from '../src/bus/bus.js';
import { createMetrics } from '../src/metrics.js';
import { rpcQueueName, workQueueName } from '../src/bus/names.js';
import { removeNamespace } from '../../../test/support/cleanup.js';
import { AMQP_URL, REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { TcpProxy, testLog, waitFor } from './helpers.js';

const ns = testNamespace('kt');
const service = 'rc';
const log = testLog();
const redis = new Redis(REDIS_URL);
const proxy = new TcpProxy();
const queues = [workQueueName(ns, service, 'work'), rpcQueueName(ns, 'scheduler.clockGet')];
const reconnect = { initialDelayMs: 50, maxDelayMs: 400 };
let flaky: Bus; // through the proxy
let steady: Bus; // direct
const flakyMetrics = createMetrics(service, { defaultMetrics: false });

t.before(async () => {
  await proxy.start();
  flaky = new Bus({ url: proxy.url(), ns, service, log, redis, metrics: flakyMetrics, reconnect, publishWaitMs: 3000, heartbeatS: 5 });
  steady = new Bus({ url: AMQP_URL, ns, service, log, redis, rpcTimeoutMs: 1500 });
  await flaky.start();
  await steady.start();
});
t.teardown(async () => {
  await flaky.close();
  await steady.close();
  await proxy.close();
  await removeNamespace(ns, queues);
  redis.disconnect();
});

const payload = (pileNo: string) => ({ stationId: 's', pileNo, recoveredAt: 1 });

t.test('a message whose ack is lost in a dropped connection is redelivered and processed once', async (t) => {
  const processed: string[] = [];
  let cutOnce = true;
  await flaky.consume({
    queue: 'work',
    types: ['pile.recovered'],
    handler: async (msg) => {
      await redis.rpush(`${ns}:processed`, msg.payload.pileNo); // the "write"
      processed.push(msg.payload.pileNo);
      if (cutOnce) {
        cutOnce = false;
        proxy.cut(); // the connection dies before the ack can be sent
        await waitFor(() => !flaky.connected, 2000, 'disconnect');
      }
    },
  });
  await steady.publish('pile.recovered', payload('F1'));
  await waitFor(async () => (await dupCount()) === 1, 5000, 'redelivery acknowledged as duplicate');
  t.ok(flaky.connected, 'reconnected');
  t.same(await redis.lrange(`${ns}:processed`, 0, -1), ['F1'], 'the write happened once');
  t.same(processed, ['F1']);

  // the consumer is back: new messages flow
  await steady.publish('pile.recovered', payload('F2'));
  await waitFor(() => processed.length === 2, 3000, 'delivery after reconnect');
  t.same(processed, ['F1', 'F2']);
});

async function dupCount(): Promise<number> {
  const m = await flakyMetrics.messages.get();
  return m.values.filter((v) => v.labels.outcome === 'duplicate').reduce((a, v) => a + v.value, 0);
}

t.test('RPC server resumes after reconnect; a call in flight when the link drops fails UNAVAILABLE', async (t) => {
  let release: () => void = () => undefined;
  let calls = 0;
  await flaky.serve('scheduler.clockGet', async () => {
    calls++;
    if (calls === 1) await new Promise<void>((r) => (release = r));
    return { mode: 'real', timeMs: 7, speed: 1 };
  });
  // the flaky side is the caller this time: its reply channel dies with the connection
  const pending = flaky.call('scheduler.clockGet', {}, { timeoutMs: 3000 }).catch((e: unknown) => e);
  await waitFor(() => calls === 1, 2000, 'first call');
  proxy.cut();
  t.match(await pending, { code: 'UNAVAILABLE' }, 'fails fast instead of waiting for the deadline');
  release();
  await waitFor(() => flaky.connected, 3000, 'reconnect');
  t.same(await steady.call('scheduler.clockGet', {}), { mode: 'real', timeMs: 7, speed: 1 }, 'served again after reconnect');
  t.same(await flaky.call('scheduler.clockGet', {}), { mode: 'real', timeMs: 7, speed: 1 }, 'and callable from the reconnected side');
});

t.test('publishing while disconnected waits for the connection, and gives up with UNAVAILABLE after the bound', async (t) => {
  const got: string[] = [];
  const h = await steady.consume({ queue: 'work', types: ['pile.recovered'], handler: async (m) => void got.push(m.payload.pileNo) });
  proxy.pause(); // drop and refuse
  await waitFor(() => !flaky.connected, 2000, 'disconnect');
  const started = Date.now();
  const p = flaky.publish('pile.recovered', payload('W1'));
  setTimeout(() => proxy.resume(), 300);
  await p;
  t.ok(Date.now() - started >= 250, 'waited for the reconnection');
  await waitFor(() => got.includes('W1'), 3000, 'delivery of the delayed publish');

  const short = new Bus({ url: proxy.url(), ns, service, log, reconnect, publishWaitMs: 300 });
  await short.start();
  proxy.pause();
  await waitFor(() => !short.connected, 2000, 'disconnect');
  const t0 = Date.now();
  await t.rejects(short.publish('pile.recovered', payload('W2')), { code: 'UNAVAILABLE' });
  t.ok(Date.now() - t0 < 1000, 'rejected after about publishWaitMs');
  proxy.resume();
  await short.close();
  await h.cancel();
});

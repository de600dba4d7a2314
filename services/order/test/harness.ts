// The order service in-process on a fresh namespace (real RabbitMQ + Redis, embedded MongoDB), a test bus that
// plays the scheduler and billing, and a cleanup that removes what the run created.
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Bus, createLogger, exchangeNames, runService, type ServiceHandle } from '@voltq/kit';
import { AMQP_URL, REDIS_URL, serviceEnv, startTestMongo, testNamespace } from '../../../test/support/env.js';
import { orderService } from '../src/service.js';

export interface Harness {
  ns: string;
  service: ServiceHandle;
  bus: Bus;
  close(): Promise<void>;
}

const RPC = [
  'order.request', 'order.get', 'order.list', 'order.modify', 'order.cancel', 'order.current',
  'scheduler.submit', 'scheduler.modify', 'scheduler.cancel', 'scheduler.position',
];

export async function startHarness(): Promise<Harness> {
  const ns = testNamespace('order');
  const mongo = await startTestMongo();
  const service = await runService({ ...orderService, env: serviceEnv(ns, mongo.uri), exit: false });
  const log = createLogger({ service: 'order-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const bus = new Bus({ url: AMQP_URL, ns, service: 'order-test', log, rpcTimeoutMs: 10_000 });
  await bus.start();

  const close = async () => {
    await service.shutdown();
    await bus.close();
    await mongo.stop();
    const conn = await connect(AMQP_URL);
    for (const q of [...RPC.map((m) => `${ns}.rpc.${m}`), `${ns}.order.events`, `${ns}.order.events.dlq`, `${ns}.order.transient.dlq`, `${ns}.order-test.transient.dlq`]) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    const ch = await conn.createChannel();
    for (const ex of Object.values(exchangeNames(ns))) await ch.deleteExchange(ex).catch(() => undefined);
    await ch.close().catch(() => undefined);
    await conn.close();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  };

  return { ns, service, bus, close };
}

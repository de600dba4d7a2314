// The billing service in-process on a fresh namespace (real RabbitMQ + Redis, embedded MongoDB), a test bus that
// records the events it cares about, and a cleanup that removes what the run created.
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Bus, createLogger, exchangeNames, runService, type Envelope, type MessageType, type ServiceHandle } from '@voltq/kit';
import { AMQP_URL, REDIS_URL, serviceEnv, startTestMongo, testNamespace } from '../../../test/support/env.js';
import { billingService } from '../src/service.js';

export interface Harness {
  ns: string;
  service: ServiceHandle;
  bus: Bus;
  events: Envelope[];
  waitFor<K extends MessageType>(type: K, match?: (e: Envelope<K>) => boolean, timeoutMs?: number): Promise<Envelope<K>>;
  close(): Promise<void>;
}

const QUEUES = (ns: string) => [
  `${ns}.billing.session-ended`,
  `${ns}.billing.session-ended.dlq`,
  `${ns}.rpc.billing.getBill`,
  `${ns}.rpc.billing.listBills`,
  `${ns}.rpc.billing.sessionBill`,
  `${ns}.billing.transient.dlq`,
  `${ns}.billing-test.transient.dlq`,
];

export async function startHarness(watch: MessageType[]): Promise<Harness> {
  const ns = testNamespace('bill');
  const mongo = await startTestMongo();
  const service = await runService({ ...billingService, env: serviceEnv(ns, mongo.uri), exit: false });
  const log = createLogger({ service: 'billing-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const bus = new Bus({ url: AMQP_URL, ns, service: 'billing-test', log, rpcTimeoutMs: 10_000 });
  await bus.start();
  const events: Envelope[] = [];
  await bus.consume({ queue: 'watch', types: watch, transient: true, dedupe: false, handler: async (m) => void events.push(m as Envelope) });

  const waitFor = async <K extends MessageType>(type: K, match: (e: Envelope<K>) => boolean = () => true, timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find((e) => e.type === type && match(e as Envelope<K>));
      if (found) return found as Envelope<K>;
      if (Date.now() > until) throw new Error(`no ${type} event within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const close = async () => {
    await service.shutdown();
    await bus.close();
    await mongo.stop();
    const conn = await connect(AMQP_URL);
    for (const q of QUEUES(ns)) {
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

  return { ns, service, bus, events, waitFor, close };
}

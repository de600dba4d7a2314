// The scheduler in-process on a fresh namespace (real Redis + RabbitMQ, embedded MongoDB), a test bus that
// records every event, and a cleanup that removes what the run created.
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Bus, createLogger, exchangeNames, runService, type Envelope, type MessageType, type ServiceHandle } from '@voltq/kit';
import { AMQP_URL, REDIS_URL, serviceEnv, startTestMongo, testNamespace, type TestMongo } from '../../../test/support/env.js';
import { configSchema, startScheduler, type SchedulerConfig } from '../src/service.js';

export const WATCHED: MessageType[] = [
  'order.queued', 'order.dispatched', 'order.modified', 'order.cancelled', 'order.requeued', 'order.finished',
  'session.started', 'session.ended', 'pile.status-changed', 'pile.faulted', 'pile.recovered',
];

const RPC_METHODS = [
  'scheduler.station.default', 'scheduler.submit', 'scheduler.modify', 'scheduler.cancel', 'scheduler.configure',
  'scheduler.pileStatus', 'scheduler.position', 'scheduler.board', 'scheduler.clockSet', 'scheduler.clockAdvance',
  'scheduler.clockGet',
];

export interface Harness {
  ns: string;
  service: ServiceHandle<SchedulerConfig>;
  bus: Bus;
  redis: Redis;
  events: Envelope[];
  /** another scheduler replica on the same namespace (shut down by close() unless the test did) */
  startReplica(): Promise<ServiceHandle<SchedulerConfig>>;
  /** resolves with the first recorded event matching, waiting up to timeoutMs */
  waitFor<K extends MessageType>(type: K, match?: (e: Envelope<K>) => boolean, timeoutMs?: number): Promise<Envelope<K>>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const ns = testNamespace('sched');
  const mongo: TestMongo = await startTestMongo();
  const replicas: ServiceHandle<SchedulerConfig>[] = [];
  const startReplica = async () => {
    const r = await runService({
      name: 'scheduler',
      configSchema,
      start: startScheduler,
      env: serviceEnv(ns, mongo.uri, { STATION_POLL_MS: '300' }),
      exit: false,
    });
    replicas.push(r);
    return r;
  };
  const service = await startReplica();
  const log = createLogger({ service: 'scheduler-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const redis = new Redis(REDIS_URL);
  const bus = new Bus({ url: AMQP_URL, ns, service: 'scheduler-test', log, rpcTimeoutMs: 10_000 });
  await bus.start();
  const events: Envelope[] = [];
  await bus.consume({
    queue: 'watch',
    types: WATCHED,
    transient: true,
    dedupe: false,
    handler: async (msg) => void events.push(msg as Envelope),
  });

  const waitFor = async <K extends MessageType>(type: K, match: (e: Envelope<K>) => boolean = () => true, timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find((e) => e.type === type && match(e as Envelope<K>));
      if (found) return found as Envelope<K>;
      if (Date.now() > until) throw new Error(`no ${type} event within ${timeoutMs} ms; saw ${events.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const close = async () => {
    for (const r of replicas) await r.shutdown();
    await bus.close();
    await mongo.stop();
    // the run's queues, exchanges and keys
    const conn = await connect(AMQP_URL);
    const queues = [
      ...RPC_METHODS.map((m) => `${ns}.rpc.${m}`),
      `${ns}.scheduler.device-events`, `${ns}.scheduler.device-events.dlq`,
      `${ns}.scheduler-test.transient.dlq`, `${ns}.scheduler.transient.dlq`,
    ];
    for (const q of queues) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    const ch = await conn.createChannel();
    for (const ex of Object.values(exchangeNames(ns))) await ch.deleteExchange(ex).catch(() => undefined);
    await ch.close().catch(() => undefined);
    await conn.close();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  };

  return { ns, service, bus, redis, events, startReplica, waitFor, close };
}

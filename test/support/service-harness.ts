// Services in-process on a fresh namespace (real RabbitMQ + Redis, embedded MongoDB), a test bus beside them that
// can record events and wait for one, and a close() that stops everything and removes what the run created.
// Each service's own test harness adds what is particular to it (which services, which events, extra handles).
// kit is imported by path: the repository root (where this folder sits) does not depend on the workspace packages.
import { connect } from 'amqplib';
import { Bus, createLogger, rpcQueueName, type BusOptions, type Envelope, type MessageType, type RpcMethod } from '@voltq/kit';
import { removeNamespace } from './cleanup.js';
import { AMQP_URL, serviceEnv, startTestMongo, testNamespace, type TestMongo } from './env.js';

export interface ServiceHarnessOptions {
  /** namespace label: the run's namespace is `<label>-<random>` */
  label: string;
  /** the test bus's service name (its queues are `<ns>.<busName>.…`) */
  busName: string;
  rpcTimeoutMs?: number;
  /** where the test bus's occurredAt comes from (default the machine's time) */
  clock?: BusOptions['clock'];
  /**
   * Queues the run creates, below the namespace (`billing.session-ended`, `rpc.billing.getBill`): deleted with
   * their DLQs even where the broker cannot be listed. The test bus's transient DLQ is added here.
   */
  queues?: string[];
}

export interface Stoppable {
  shutdown(): Promise<void>;
}

export interface ServiceHarness {
  ns: string;
  mongo: TestMongo;
  bus: Bus;
  /** events recorded since record() */
  events: Envelope[];
  /** the environment a service under test reads, on this namespace and MongoDB */
  env(extra?: Record<string, string>): Record<string, string>;
  /** keeps a started service (or replica) for close(), which shuts them down last started first */
  add<H extends Stoppable>(handle: H): H;
  /** records every event of these types on the test bus (a transient queue of its own) */
  record(types: MessageType[]): Promise<void>;
  /** resolves with the first recorded event of `type` matching, waiting up to timeoutMs */
  waitFor<K extends MessageType>(type: K, match?: (e: Envelope<K>) => boolean, timeoutMs?: number): Promise<Envelope<K>>;
  /** resolves once every method's RPC queue exists (for a service whose start does not wait for its servers) */
  untilServed(methods: RpcMethod[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServiceHarness(opts: ServiceHarnessOptions): Promise<ServiceHarness> {
  const ns = testNamespace(opts.label);
  const mongo = await startTestMongo();
  const log = createLogger({ service: opts.busName, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const bus = new Bus({
    url: AMQP_URL,
    ns,
    service: opts.busName,
    log,
    ...(opts.rpcTimeoutMs !== undefined ? { rpcTimeoutMs: opts.rpcTimeoutMs } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  await bus.start();
  const handles: Stoppable[] = [];
  const events: Envelope[] = [];

  const waitFor = async <K extends MessageType>(type: K, match: (e: Envelope<K>) => boolean = () => true, timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find((e) => e.type === type && match(e as Envelope<K>));
      if (found) return found as Envelope<K>;
      if (Date.now() > until) throw new Error(`no ${type} event within ${timeoutMs} ms; saw ${events.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const untilServed = async (methods: RpcMethod[], timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    const conn = await connect(AMQP_URL);
    try {
      for (const method of methods) {
        for (;;) {
          // a passive check of a missing queue closes its channel: one channel per try
          const ch = await conn.createChannel();
          ch.on('error', () => undefined);
          const found = await ch.checkQueue(rpcQueueName(ns, method)).then(() => true, () => false);
          await ch.close().catch(() => undefined);
          if (found) break;
          if (Date.now() > until) throw new Error(`no server for ${method} within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } finally {
      await conn.close().catch(() => undefined);
    }
  };

  const close = async () => {
    try {
      for (const h of [...handles].reverse()) await h.shutdown();
    } finally {
      // a service that failed to stop must not leave the run's queues and keys behind
      await bus.close();
      await mongo.stop();
      await removeNamespace(ns, [...(opts.queues ?? []), `${opts.busName}.transient`].map((q) => `${ns}.${q}`));
    }
  };

  return {
    ns,
    mongo,
    bus,
    events,
    env: (extra = {}) => serviceEnv(ns, mongo.uri, extra),
    add: (handle) => {
      handles.push(handle);
      return handle;
    },
    record: async (types) => {
      await bus.consume({ queue: 'watch', types, transient: true, dedupe: false, handler: async (m) => void events.push(m as Envelope) });
    },
    waitFor,
    untilServed,
    close,
  };
}

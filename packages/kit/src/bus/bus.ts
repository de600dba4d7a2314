// The bus: events, commands and RPC over one recovering AMQP connection, validated against @voltq/contracts.
import { randomUUID } from 'node:crypto';
import type { ChannelModel } from 'amqplib';
import type { Redis } from 'ioredis';
import type { Envelope, MessagePayload, MessageType, RpcMethod, RpcParams, RpcResult } from '@voltq/contracts';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Attachment, ConsumerHandle } from './attachment.js';
import { AmqpConnection } from './connection.js';
import { WorkConsumer, type ConsumeOptions } from './consume.js';
import { exchangeNames, rpcQueueName, workQueueName, type ExchangeKind } from './names.js';
import { Publisher, type ReturnedMessage } from './publish.js';
import { RpcClient, RpcServer, type CallOptions, type RpcHandler, type ServeOptions } from './rpc.js';
import { envelopeProblems, payloadProblems } from './validate.js';

export interface BusOptions {
  url: string;
  ns: string;
  service: string;
  log: Logger;
  /** dedupe store for consumers; without it consumers rely on domain idempotency alone */
  redis?: Redis;
  /** occurredAt comes from here (the shared clock) */
  clock?: Pick<Clock, 'now' | 'iso'>;
  metrics?: Metrics;
  rpcTimeoutMs?: number;
  /** how long a publish waits for a lost connection to come back before UNAVAILABLE; default 10000 */
  publishWaitMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; initialMaxRetries?: number };
  heartbeatS?: number;
}

export interface PublishOptions {
  correlationId?: string;
  id?: string;
  routingKey?: string;
  exchange?: ExchangeKind;
  /** the broker hands the message back when no queue takes it (default: true on the commands exchange) */
  mandatory?: boolean;
}

/** A mandatory message no queue took, handed back by the broker (see `Bus.onReturned`). */
export interface ReturnedEnvelope {
  /** the envelope as published; undefined when the body could not be read back */
  env: Envelope | undefined;
  exchange: ExchangeKind | string;
  routingKey: string;
  replyText: string;
}

export class Bus {
  readonly exchanges: { events: string; commands: string; dlx: string };
  private readonly conn: AmqpConnection;
  private readonly publisher: Publisher;
  private readonly rpcClient: RpcClient;
  private readonly attachments = new Set<Attachment>();
  private readonly log: Logger;
  private readonly returnListeners = new Set<(r: ReturnedEnvelope) => void>();
  private stopping = false;

  constructor(private readonly opts: BusOptions) {
    this.exchanges = exchangeNames(opts.ns);
    this.log = opts.log.child({ component: 'bus' });
    this.conn = new AmqpConnection({
      url: opts.url,
      log: this.log,
      setup: (model) => this.setup(model),
      initialDelayMs: opts.reconnect?.initialDelayMs,
      maxDelayMs: opts.reconnect?.maxDelayMs,
      initialMaxRetries: opts.reconnect?.initialMaxRetries,
      heartbeatS: opts.heartbeatS,
    });
    this.publisher = new Publisher(this.conn, this.log);
    this.rpcClient = new RpcClient(this.conn, this.log, opts.metrics);
    this.conn.on('down', () => this.rpcClient.failAll('connection lost'));
    this.publisher.onReturned = (m) => this.returned(m);
  }

  /**
   * Listens to mandatory messages the broker handed back (no queue bound for their routing key): every command
   * (exchange `commands`) is published mandatory, so a command whose queue is gone reaches this listener instead
   * of being dropped. Returns the unsubscribe function.
   */
  onReturned(listener: (r: ReturnedEnvelope) => void): () => void {
    this.returnListeners.add(listener);
    return () => this.returnListeners.delete(listener);
  }

  private returned(m: ReturnedMessage): void {
    let env: Envelope | undefined;
    try {
      env = JSON.parse(m.content.toString()) as Envelope;
    } catch {
      env = undefined;
    }
    const kind = m.exchange === this.exchanges.commands ? 'commands' : m.exchange === this.exchanges.events ? 'events' : m.exchange;
    this.opts.metrics?.messages.inc({ kind: 'publish', type: env?.type ?? 'unknown', outcome: 'returned' });
    if (this.returnListeners.size === 0) {
      this.log.error({ routingKey: m.routingKey, type: env?.type, id: env?.id }, 'returned message has no listener: it is lost');
    }
    for (const l of this.returnListeners) {
      try {
        l({ env, exchange: kind, routingKey: m.routingKey, replyText: m.replyText });
      } catch (err) {
        this.log.error({ err, type: env?.type }, 'returned-message listener failed');
      }
    }
  }

  get ns(): string {
    return this.opts.ns;
  }
  get service(): string {
    return this.opts.service;
  }
  get connected(): boolean {
    return this.conn.connected;
  }
  /** readiness */
  check(): boolean {
    return this.conn.connected && !this.stopping;
  }

  /** Connect (retrying) and declare the topology. */
  async start(): Promise<void> {
    await this.conn.start();
  }

  private async setup(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    try {
      await ch.assertExchange(this.exchanges.events, 'topic', { durable: true });
      await ch.assertExchange(this.exchanges.commands, 'topic', { durable: true });
      await ch.assertExchange(this.exchanges.dlx, 'direct', { durable: true });
    } finally {
      await ch.close().catch(() => undefined);
    }
    await this.publisher.attach(model);
    await this.rpcClient.attach(model);
    // consumers registered while we were attaching are picked up by the next round
    for (;;) {
      const before = this.attachments.size;
      for (const a of [...this.attachments]) await a.ensure(model);
      if (this.attachments.size === before) break;
    }
  }

  // ---------- publishing ----------

  /** A new envelope for `type` (validated), stamped with the clock. */
  envelope<K extends MessageType>(type: K, payload: MessagePayload<K>, opts: { correlationId?: string; id?: string } = {}): Envelope<K> {
    const problem = payloadProblems(type, payload);
    if (problem) throw new DomainError('VALIDATION', `invalid ${type} payload: ${problem}`);
    const id = opts.id ?? randomUUID();
    const nowMs = this.opts.clock?.now() ?? Date.now();
    const occurredAt = this.opts.clock?.iso(nowMs) ?? new Date(nowMs).toISOString();
    return { id, type, occurredAt, correlationId: opts.correlationId ?? id, payload } as Envelope<K>;
  }

  /** Publish an event (default) or command; resolves once the broker confirmed it (a returned mandatory message
   * resolves too: it went to the `onReturned` listeners). */
  async publish<K extends MessageType>(type: K, payload: MessagePayload<K>, opts: PublishOptions = {}): Promise<Envelope<K>> {
    const env = this.envelope(type, payload, opts);
    await this.publishEnvelope(env, opts);
    return env;
  }

  /** A command to `${ns}.commands`, e.g. `send('pile.command', cmd, { routingKey: 'pile.command.r1' })`. */
  send<K extends MessageType>(type: K, payload: MessagePayload<K>, opts: Omit<PublishOptions, 'exchange'> = {}): Promise<Envelope<K>> {
    return this.publish(type, payload, { ...opts, exchange: 'commands' });
  }

  /** Publish a prebuilt envelope (outbox relays); validated again here. Commands are mandatory unless told. */
  async publishEnvelope(
    env: Envelope | Record<string, unknown>,
    opts: { exchange?: ExchangeKind; routingKey?: string; mandatory?: boolean } = {},
  ): Promise<void> {
    const problem = envelopeProblems(env) ?? payloadProblems(String(env.type), env.payload);
    if (problem) throw new DomainError('VALIDATION', `invalid ${String(env.type)} message: ${problem}`);
    const e = env as Envelope;
    if (this.stopping && !this.conn.connected) throw new DomainError('UNAVAILABLE', 'bus is closed');
    const exchange = this.exchanges[opts.exchange ?? 'events'];
    const mandatory = opts.mandatory ?? opts.exchange === 'commands';
    try {
      const outcome = await this.publisher.publish(
        exchange,
        opts.routingKey ?? e.type,
        Buffer.from(JSON.stringify(e)),
        {
          persistent: true,
          messageId: e.id,
          type: e.type,
          correlationId: e.correlationId,
          timestamp: Math.floor(Date.now() / 1000),
          contentType: 'application/json',
          appId: this.opts.service,
          ...(mandatory ? { mandatory: true } : {}),
        },
        this.opts.publishWaitMs ?? 10_000,
      );
      if (outcome === 'routed') this.opts.metrics?.messages.inc({ kind: 'publish', type: e.type, outcome: 'ok' });
    } catch (err) {
      this.opts.metrics?.messages.inc({ kind: 'publish', type: e.type, outcome: 'error' });
      throw err;
    }
  }

  // ---------- consuming ----------

  private async register(a: Attachment): Promise<ConsumerHandle> {
    if (this.stopping) throw new DomainError('UNAVAILABLE', 'bus is stopping');
    this.attachments.add(a);
    const model = this.conn.model;
    if (model) {
      try {
        await a.ensure(model);
      } catch (err) {
        this.attachments.delete(a);
        throw err;
      }
    }
    return {
      queue: a.queue,
      cancel: async () => {
        this.attachments.delete(a);
        await a.cancel();
      },
    };
  }

  /** A work-queue consumer `${ns}.<service>.<queue>`; resolves when it is consuming (or will on connect). */
  consume<K extends MessageType>(opts: ConsumeOptions<K>): Promise<ConsumerHandle> {
    const queue = workQueueName(this.opts.ns, this.opts.service, opts.queue);
    const consumer = new WorkConsumer<K>(
      {
        conn: this.conn,
        log: this.log,
        redis: this.opts.redis,
        publisher: this.publisher,
        metrics: this.opts.metrics,
        ns: this.opts.ns,
        exchanges: this.exchanges,
        transientDlq: workQueueName(this.opts.ns, this.opts.service, 'transient'),
        publishWaitMs: this.opts.publishWaitMs ?? 10_000,
      },
      queue,
      opts,
    );
    return this.register(consumer);
  }

  /** Serve an RPC method on `${ns}.rpc.<method>` (or `.<shard>`). */
  serve<M extends RpcMethod>(method: M, handler: RpcHandler<M>, opts: ServeOptions = {}): Promise<ConsumerHandle> {
    const queue = rpcQueueName(this.opts.ns, method, opts.shard);
    return this.register(new RpcServer(this.conn, this.log, queue, method, handler, opts, this.opts.metrics));
  }

  /** Call an RPC method; rejects with the server's DomainError, TIMEOUT, UNAVAILABLE or VALIDATION. */
  call<M extends RpcMethod>(method: M, params: RpcParams<M>, opts: CallOptions = {}): Promise<RpcResult<M>> {
    const timeoutMs = opts.timeoutMs ?? this.opts.rpcTimeoutMs ?? 5000;
    return this.rpcClient.call(method, params, rpcQueueName(this.opts.ns, method, opts.shard), timeoutMs, opts.correlationId ?? randomUUID());
  }

  /** Messages being handled right now, over all consumers and RPC servers. */
  get inFlight(): number {
    let n = 0;
    for (const a of this.attachments) n += a.inFlight;
    return n;
  }

  /** Cancel every consumer and RPC server and wait for their in-flight handlers. */
  async stopConsuming(): Promise<void> {
    const all = [...this.attachments];
    this.attachments.clear();
    await Promise.allSettled(all.map((a) => a.cancel()));
  }

  /** Graceful: stop consuming, finish in-flight work and publishes, close the connection. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.stopConsuming();
    await this.publisher.drain();
    await this.rpcClient.close();
    await this.publisher.close();
    await this.conn.close();
  }
}

// Work-queue consumer: quorum queue with a delivery limit and a dead-letter queue; dedupe by envelope id in Redis;
// ack after the handler resolved; on a throw nack -> redelivery, and after the limit -> DLQ with the error.
//
// Dedupe is one atomic claim per envelope id (`${ns}:seen:<queue>:<id>`): `SET key claim:<token> NX PX <claimTtlMs>`
// before the handler runs, so of two deliveries of one id (a relay re-publishing, two replicas) exactly one runs.
// On success the key becomes `1` for a week ("done"); on failure the claim is released (only if still ours) so the
// redelivery can run. A running handler renews its claim every third of the TTL, so a claim outlives its holder by
// at most one TTL (kill -9). A delivery that finds another consumer's claim waits for it to settle (done: ack as a
// duplicate; released or expired: claim it and run) for up to one TTL and a little more, so the redelivery after
// a crash runs at the first try: every requeue counts against the queue's delivery limit, and requeueing while a
// dead holder's claim ran out would send a message nobody handled to the DLQ.
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Redis } from 'ioredis';
import type { Envelope, MessageType } from '@voltq/contracts';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Attachment } from './attachment.js';
import type { AmqpConnection } from './connection.js';
import { ERROR_HEADER, dlqName, seenKey, type ExchangeKind } from './names.js';
import type { Publisher } from './publish.js';
import { envelopeProblems, payloadProblems } from './validate.js';

export interface HandlerContext {
  log: Logger;
  correlationId: string;
  /** 1 on the first delivery */
  attempt: number;
  redelivered: boolean;
}

export interface ConsumeOptions<K extends MessageType> {
  /** purpose; the queue is `${ns}.<service>.<queue>` */
  queue: string;
  types: K[];
  exchange?: ExchangeKind;
  /** routing keys to bind; default: `types` */
  bindings?: string[];
  prefetch?: number;
  /** attempts before the DLQ; default 5 */
  deliveryLimit?: number;
  singleActiveConsumer?: boolean;
  /** per-replica queue: classic, exclusive, deleted with the connection */
  transient?: boolean;
  /** Redis dedupe by envelope id; default true */
  dedupe?: boolean;
  /** how long an in-flight claim on an envelope id holds without renewal (a crashed holder's); default 5 s */
  claimTtlMs?: number;
  handler: (msg: Envelope<K>, ctx: HandlerContext) => Promise<void>;
}

export interface ConsumerDeps {
  conn: AmqpConnection;
  log: Logger;
  redis: Redis | undefined;
  publisher: Publisher;
  metrics: Metrics | undefined;
  ns: string;
  exchanges: { events: string; commands: string; dlx: string };
  /** where dead letters of transient queues go (one DLQ per service) */
  transientDlq: string;
  publishWaitMs: number;
}

const SEEN_TTL_S = 7 * 24 * 3600;
/** the value of a handled id (also what keys written before claims existed hold) */
const DONE = '1';
const DEFAULT_CLAIM_TTL_MS = 5_000;
/** beyond one claim TTL, how long a delivery waits for another consumer's claim on the same id before requeueing */
const CLAIM_WAIT_MARGIN_MS = 1_000;
/** deletes the key only while it still holds our claim */
const RELEASE_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/** extends the key's TTL only while it still holds our claim */
const RENEW_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

type Claim = { outcome: 'claimed'; value: string } | { outcome: 'done' } | { outcome: 'busy' };

export class WorkConsumer<K extends MessageType> extends Attachment {
  private readonly limit: number;
  private readonly dlRoutingKey: string;
  private readonly dlq: string;
  private readonly localAttempts = new Map<string, number>();

  constructor(
    private readonly deps: ConsumerDeps,
    queue: string,
    private readonly opts: ConsumeOptions<K>,
  ) {
    super(deps.conn, deps.log, queue, opts.prefetch ?? 10);
    this.limit = Math.max(1, opts.deliveryLimit ?? 5);
    this.dlRoutingKey = opts.transient ? deps.transientDlq : queue;
    this.dlq = dlqName(this.dlRoutingKey);
  }

  protected async declare(ch: Channel): Promise<void> {
    const { exchanges } = this.deps;
    await ch.assertQueue(this.dlq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(this.dlq, exchanges.dlx, this.dlRoutingKey);
    const deadLetter = { 'x-dead-letter-exchange': exchanges.dlx, 'x-dead-letter-routing-key': this.dlRoutingKey };
    if (this.opts.transient) {
      await ch.assertQueue(this.queue, { durable: false, exclusive: true, autoDelete: true, arguments: deadLetter });
    } else {
      await ch.assertQueue(this.queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          // safety net for poison messages that crash the process before we can count them ourselves
          'x-delivery-limit': this.limit,
          ...deadLetter,
          ...(this.opts.singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
        },
      });
    }
    const exchange = exchanges[this.opts.exchange ?? 'events'];
    for (const key of this.opts.bindings ?? this.opts.types) await ch.bindQueue(this.queue, exchange, key);
  }

  private count(type: string, outcome: string): void {
    this.deps.metrics?.messages.inc({ kind: 'consume', type, outcome });
  }

  private attemptOf(msg: ConsumeMessage, id: string | undefined): number {
    const header = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
    const broker = (Number.isFinite(header) ? header : 0) + 1;
    if (!this.opts.transient || !id) return broker;
    // classic queues do not count deliveries: count locally
    const local = (this.localAttempts.get(id) ?? (msg.fields.redelivered ? 1 : 0)) + 1;
    this.localAttempts.set(id, local);
    return Math.max(broker, local);
  }

  protected async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    let env: Envelope<K> | undefined;
    let problem: string | undefined;
    try {
      const parsed: unknown = JSON.parse(msg.content.toString('utf8'));
      problem = envelopeProblems(parsed);
      if (!problem) {
        const e = parsed as Envelope<K>;
        if (!(this.opts.types as string[]).includes(e.type)) problem = `unexpected message type ${e.type}`;
        else problem = payloadProblems(e.type, e.payload);
        if (problem) problem = `${e.type} payload: ${problem}`;
        env = e;
      }
    } catch (err) {
      problem = `not JSON: ${(err as Error).message}`;
    }
    const type = env?.type ?? String(msg.properties.type ?? 'unknown');
    if (problem) {
      this.log.error({ queue: this.queue, messageId: msg.properties.messageId, problem }, 'invalid message sent to the DLQ');
      this.count(type, 'invalid');
      await this.deadLetter(ch, msg, `invalid message: ${problem}`, 1);
      return;
    }
    const e = env as Envelope<K>;
    const attempt = this.attemptOf(msg, e.id);
    const log = this.log.child({ correlationId: e.correlationId, messageId: e.id, type: e.type, queue: this.queue });
    const key = seenKey(this.deps.ns, this.queue, e.id);
    const redis = this.opts.dedupe === false ? undefined : this.deps.redis;
    let claim: string | undefined;
    if (redis) {
      let got: Claim;
      try {
        got = await this.claim(redis, key, () => this.count(e.type, 'claim-held'));
      } catch (err) {
        // cannot tell: try later rather than risk a double
        log.warn({ err: (err as Error).message }, 'dedupe claim failed, requeueing');
        await new Promise((r) => setTimeout(r, 500));
        this.settle(ch, msg, 'requeue');
        return;
      }
      if (got.outcome === 'done') {
        log.debug('duplicate delivery acknowledged without handling');
        this.count(e.type, 'duplicate');
        this.localAttempts.delete(e.id);
        this.settle(ch, msg, 'ack');
        return;
      }
      if (got.outcome === 'busy') {
        log.info('another consumer is still handling this message id, requeueing');
        this.count(e.type, 'busy');
        this.settle(ch, msg, 'requeue');
        return;
      }
      claim = got.value;
    }
    const release = async () => {
      if (!redis || claim === undefined) return;
      await redis.eval(RELEASE_SCRIPT, 1, key, claim).catch((err: Error) => {
        log.warn({ err: err.message }, 'could not release the dedupe claim (it expires by itself)');
      });
    };
    const renewal = redis && claim !== undefined ? this.keepClaim(redis, key, claim) : undefined;
    const timer = this.deps.metrics?.handlerSeconds.startTimer({ kind: 'consume', type: e.type });
    try {
      await this.opts.handler(e, { log, correlationId: e.correlationId, attempt, redelivered: msg.fields.redelivered });
    } catch (err) {
      clearInterval(renewal);
      timer?.();
      const message = err instanceof Error ? err.message : String(err);
      await release();
      if (attempt >= this.limit) {
        log.error({ err, attempt }, 'handler failed for the last time, message sent to the DLQ');
        this.count(e.type, 'dead-letter');
        this.localAttempts.delete(e.id);
        await this.deadLetter(ch, msg, message, attempt);
      } else {
        log.warn({ err: message, attempt }, 'handler failed, message will be redelivered');
        this.count(e.type, 'retry');
        // a short pause so a transient failure (store restarting) is not retried in a hot loop
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        this.settle(ch, msg, 'requeue');
      }
      return;
    }
    clearInterval(renewal);
    timer?.();
    if (redis) {
      // done, even when our claim expired meanwhile (a slow handler): the work is done now
      await redis.set(key, DONE, 'EX', SEEN_TTL_S).catch((err: Error) => {
        log.warn({ err: err.message }, 'could not mark message as seen (domain idempotency still applies)');
      });
    }
    this.localAttempts.delete(e.id);
    this.count(e.type, 'ok');
    this.settle(ch, msg, 'ack');
  }

  /** Renews our claim every third of its TTL while the handler runs (a failed renewal is retried at the next). */
  private keepClaim(redis: Redis, key: string, claim: string): NodeJS.Timeout {
    const ttl = this.claimTtlMs();
    const timer = setInterval(() => void redis.eval(RENEW_SCRIPT, 1, key, claim, ttl).catch(() => undefined), Math.max(1, Math.floor(ttl / 3)));
    timer.unref();
    return timer;
  }

  private claimTtlMs(): number {
    return Math.max(1, this.opts.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS);
  }

  /**
   * Claims the id for this delivery. Another consumer's claim is waited for (bounded): done -> `done`; released
   * or expired -> claimed here; still held -> `busy`.
   */
  private async claim(redis: Redis, key: string, onHeld: () => void): Promise<Claim> {
    const value = `claim:${randomUUID()}`;
    const ttl = this.claimTtlMs();
    const until = Date.now() + ttl + CLAIM_WAIT_MARGIN_MS;
    let told = false;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      if ((await redis.set(key, value, 'PX', ttl, 'NX')) === 'OK') return { outcome: 'claimed', value };
      const held = await redis.get(key);
      if (held === DONE) return { outcome: 'done' };
      if (held === null) continue; // released or expired just now: claim again at once
      if (!told) {
        told = true;
        onHeld();
      }
      if (Date.now() >= until) return { outcome: 'busy' };
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  /** Publish the original message with the error to the DLQ (confirmed), then ack it here. */
  private async deadLetter(ch: Channel, msg: ConsumeMessage, error: string, attempts: number): Promise<void> {
    const headers = {
      ...(msg.properties.headers ?? {}),
      [ERROR_HEADER]: error.slice(0, 2000),
      'x-voltq-queue': this.queue,
      'x-voltq-attempts': attempts,
      'x-voltq-failed-at': new Date().toISOString(),
    };
    try {
      await this.deps.publisher.publish(
        this.deps.exchanges.dlx,
        this.dlRoutingKey,
        msg.content,
        {
          persistent: true,
          headers,
          messageId: msg.properties.messageId,
          type: msg.properties.type,
          correlationId: msg.properties.correlationId,
          contentType: msg.properties.contentType,
          timestamp: msg.properties.timestamp,
        },
        this.deps.publishWaitMs,
      );
      this.settle(ch, msg, 'ack');
    } catch (err) {
      this.log.error({ err: (err as Error).message, queue: this.queue }, 'could not dead-letter, requeueing');
      this.settle(ch, msg, 'requeue');
    }
  }
}

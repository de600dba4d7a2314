// RPC over direct reply-to. Server: one queue per method (optionally per shard), drops requests past their
// deadline, answers DomainErrors as such and anything else as INTERNAL. Client: per-call deadline -> TIMEOUT,
// no server queue -> UNAVAILABLE (mandatory publish returned), lost connection -> UNAVAILABLE.
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import type { RpcMethod, RpcParams, RpcReply, RpcRequest, RpcResult } from '@voltq/contracts';
import { DomainError, isDomainError, isErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Attachment } from './attachment.js';
import type { AmqpConnection } from './connection.js';
import { REPLY_TO } from './names.js';
import { ReopeningChannel } from './reopening-channel.js';
import { prepareParams, replyProblems, requestProblems, resultProblems } from './validate.js';

export interface RpcContext {
  log: Logger;
  correlationId: string;
  /** real epoch ms after which the caller no longer waits */
  deadline: number;
}

export type RpcHandler<M extends RpcMethod> = (params: RpcParams<M>, ctx: RpcContext) => Promise<RpcResult<M>>;

export interface ServeOptions {
  prefetch?: number;
  /** serve `${ns}.rpc.<method>.<shard>` (e.g. one station) instead of the shared queue */
  shard?: string;
  singleActiveConsumer?: boolean;
}

export class RpcServer<M extends RpcMethod> extends Attachment {
  constructor(
    conn: AmqpConnection,
    log: Logger,
    queue: string,
    private readonly method: M,
    private readonly handler: RpcHandler<M>,
    private readonly opts: ServeOptions,
    private readonly metrics: Metrics | undefined,
  ) {
    super(conn, log, queue, opts.prefetch ?? 20);
  }

  protected async declare(ch: Channel): Promise<void> {
    // not durable: requests carry a deadline and a per-message TTL, nothing there outlives a broker restart usefully
    await ch.assertQueue(this.queue, {
      durable: false,
      autoDelete: false,
      arguments: this.opts.singleActiveConsumer ? { 'x-single-active-consumer': true } : {},
    });
  }

  private count(outcome: string): void {
    this.metrics?.messages.inc({ kind: 'rpc-server', type: this.method, outcome });
  }

  protected async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const replyTo = msg.properties.replyTo as string | undefined;
    let req: RpcRequest;
    try {
      const parsed: unknown = JSON.parse(msg.content.toString('utf8'));
      const problem = requestProblems(parsed);
      if (problem) throw new Error(problem);
      req = parsed as RpcRequest;
    } catch (err) {
      this.count('invalid');
      this.log.warn({ err: (err as Error).message, method: this.method }, 'malformed RPC request');
      if (replyTo) this.reply(ch, replyTo, msg.properties.correlationId, { ok: false, error: { code: 'VALIDATION', message: 'malformed RPC request' } });
      this.settle(ch, msg, 'ack');
      return;
    }
    const log = this.log.child({ correlationId: req.correlationId, rpc: this.method, requestId: req.id });
    if (Date.now() > req.deadline) {
      this.count('expired');
      log.warn('RPC request past its deadline dropped');
      this.settle(ch, msg, 'ack');
      return;
    }
    const timer = this.metrics?.handlerSeconds.startTimer({ kind: 'rpc-server', type: this.method });
    let reply: RpcReply;
    const prepared = prepareParams(this.method, req.params);
    if (prepared.error) {
      reply = { ok: false, error: { code: 'VALIDATION', message: `invalid params: ${prepared.error}` } };
      this.count('invalid');
    } else {
      try {
        const result = await this.handler(prepared.value as RpcParams<M>, { log, correlationId: req.correlationId, deadline: req.deadline });
        const problem = resultProblems(this.method, result);
        if (problem) {
          log.error({ problem }, 'RPC handler returned a result that breaks its contract');
          reply = { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
          this.count('error');
        } else {
          reply = { ok: true, result };
          this.count('ok');
        }
      } catch (err) {
        if (isDomainError(err)) {
          reply = { ok: false, error: err.toJSON() };
          this.count(err.code);
        } else {
          log.error({ err }, 'RPC handler failed');
          reply = { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
          this.count('error');
        }
      }
    }
    timer?.();
    if (replyTo) this.reply(ch, replyTo, req.id, reply);
    this.settle(ch, msg, 'ack');
  }

  private reply(ch: Channel, replyTo: string, correlationId: string | undefined, reply: RpcReply): void {
    try {
      ch.publish('', replyTo, Buffer.from(JSON.stringify(reply)), { correlationId, contentType: 'application/json' });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not send RPC reply (channel closed)');
    }
  }
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  ch: Channel;
}

export interface CallOptions {
  timeoutMs?: number;
  correlationId?: string;
  shard?: string;
}

export class RpcClient {
  private readonly channel: ReopeningChannel<Channel>;
  private readonly pending = new Map<string, Pending>();

  constructor(
    conn: AmqpConnection,
    log: Logger,
    private readonly metrics: Metrics | undefined,
  ) {
    this.channel = new ReopeningChannel(conn, log, {
      name: 'RPC client channel',
      create: (model) => model.createChannel(),
      setup: async (ch) => {
        ch.on('return', (msg: Message) => {
          const id = msg.properties.correlationId as string | undefined;
          const p = id ? this.pending.get(id) : undefined;
          if (id && p) this.fail(id, new DomainError('UNAVAILABLE', `no server for ${p.method}`));
        });
        await ch.consume(REPLY_TO, (msg) => msg && this.onReply(msg), { noAck: true });
      },
      onClose: (ch) => {
        // replies to this channel can no longer arrive
        for (const [id, p] of this.pending) {
          if (p.ch === ch) this.fail(id, new DomainError('UNAVAILABLE', `connection lost while calling ${p.method}`));
        }
      },
    });
  }

  attach(model: ChannelModel): Promise<void> {
    return this.channel.attach(model);
  }

  private fail(id: string, err: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }

  private onReply(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId as string | undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!id || !p) return; // late reply after a timeout
    this.pending.delete(id);
    clearTimeout(p.timer);
    let reply: RpcReply;
    try {
      const parsed: unknown = JSON.parse(msg.content.toString('utf8'));
      const problem = replyProblems(parsed);
      if (problem) throw new Error(problem);
      reply = parsed as RpcReply;
    } catch (err) {
      p.reject(new DomainError('INTERNAL', `malformed reply from ${p.method}`, { diagnostic: { problem: (err as Error).message } }));
      return;
    }
    if (reply.ok) {
      const problem = resultProblems(p.method, reply.result);
      if (problem) p.reject(new DomainError('INTERNAL', `reply from ${p.method} breaks its contract`, { diagnostic: { problem } }));
      else p.resolve(reply.result);
      return;
    }
    const { code, message, details } = reply.error;
    p.reject(isErrorCode(code) ? new DomainError(code, message, details) : new DomainError('INTERNAL', message, { diagnostic: { code, details } }));
  }

  async call<M extends RpcMethod>(method: M, params: RpcParams<M>, queue: string, timeoutMs: number, correlationId: string): Promise<RpcResult<M>> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    const done = (outcome: string) => this.metrics?.rpcSeconds.observe({ method, outcome }, (Date.now() - started) / 1000);
    const prepared = prepareParams(method, params);
    if (prepared.error) {
      done('VALIDATION');
      throw new DomainError('VALIDATION', `invalid params for ${method}: ${prepared.error}`);
    }
    const id = randomUUID();
    const request: RpcRequest = { id, method, correlationId, deadline, params: prepared.value };
    try {
      const ch = await this.channel.get(timeoutMs).catch((err: unknown) => {
        throw isDomainError(err) ? err : new DomainError('UNAVAILABLE', 'message broker unavailable');
      });
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new DomainError('TIMEOUT', `${method} timed out after ${timeoutMs} ms`);
      const result = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => this.fail(id, new DomainError('TIMEOUT', `${method} timed out after ${timeoutMs} ms`)), remaining);
        this.pending.set(id, { method, resolve, reject, timer, ch });
        try {
          ch.publish('', queue, Buffer.from(JSON.stringify(request)), {
            replyTo: REPLY_TO,
            correlationId: id,
            messageId: id,
            type: method,
            contentType: 'application/json',
            mandatory: true, // no queue -> returned -> UNAVAILABLE at once instead of a timeout
            expiration: String(Math.max(1, remaining)),
            headers: { 'x-correlation-id': correlationId },
          });
        } catch (err) {
          this.fail(id, new DomainError('UNAVAILABLE', `could not send ${method}: ${(err as Error).message}`));
        }
      });
      done('ok');
      return result as RpcResult<M>;
    } catch (err) {
      done(isDomainError(err) ? err.code : 'error');
      throw err;
    }
  }

  failAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.fail(id, new DomainError('UNAVAILABLE', reason));
  }

  close(): Promise<void> {
    this.failAll('bus is closed');
    return this.channel.close();
  }
}

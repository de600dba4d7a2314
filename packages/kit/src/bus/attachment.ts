// Something consuming from a queue (work consumer, RPC server) that must come back after a reconnect:
// its own channel, declared topology and consumer, re-created on every new connection and when its channel dies.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { AmqpConnection } from './connection.js';

export interface ConsumerHandle {
  /** the full queue name */
  readonly queue: string;
  /** stop receiving, wait for in-flight handlers, close the channel */
  cancel(): Promise<void>;
}

export abstract class Attachment implements ConsumerHandle {
  private model: ChannelModel | undefined;
  private attaching: { model: ChannelModel; promise: Promise<void> } | undefined;
  private ch: Channel | undefined;
  private consumerTag: string | undefined;
  private cancelled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    protected readonly conn: AmqpConnection,
    protected readonly log: Logger,
    readonly queue: string,
    private readonly prefetch: number,
  ) {}

  /** Declare queues/bindings on `ch`. */
  protected abstract declare(ch: Channel): Promise<void>;
  /** Handle one delivery; must ack/nack on `ch` itself. */
  protected abstract handle(ch: Channel, msg: ConsumeMessage): Promise<void>;

  get inFlight(): number {
    return this.inflight.size;
  }

  /** Attach to `model` unless already attached to it. */
  ensure(model: ChannelModel): Promise<void> {
    if (this.cancelled || this.model === model) return Promise.resolve();
    if (this.attaching?.model === model) return this.attaching.promise;
    const promise = this.attachTo(model).finally(() => {
      if (this.attaching?.model === model) this.attaching = undefined;
    });
    this.attaching = { model, promise };
    return promise;
  }

  private async attachTo(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.log.warn({ err: err.message, queue: this.queue }, 'consumer channel error'));
    ch.on('close', () => {
      if (this.ch !== ch) return;
      this.ch = undefined;
      this.model = undefined;
      this.consumerTag = undefined;
      // the connection is fine but this channel died (channel error, queue deleted): come back shortly
      this.scheduleRetry(model);
    });
    let consumerTag: string;
    try {
      await ch.prefetch(this.prefetch);
      await this.declare(ch);
      consumerTag = await this.startConsuming(ch);
    } catch (err) {
      await ch.close().catch(() => undefined);
      throw err;
    }
    if (this.cancelled) {
      await ch.close().catch(() => undefined);
      return;
    }
    this.ch = ch;
    this.model = model;
    this.consumerTag = consumerTag;
  }

  private async startConsuming(ch: Channel): Promise<string> {
    const { consumerTag } = await ch.consume(
      this.queue,
      (msg) => {
        if (msg === null) {
          // the broker cancelled us (queue deleted or failed over): re-declare on a new channel
          this.log.warn({ queue: this.queue }, 'consumer cancelled by the broker');
          void ch.close().catch(() => undefined);
          return;
        }
        const p = this.handle(ch, msg).catch((err: unknown) => {
          this.log.error({ err, queue: this.queue }, 'delivery handling failed');
        });
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      },
      { noAck: false },
    );
    return consumerTag;
  }

  private scheduleRetry(model: ChannelModel): void {
    if (this.cancelled || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const current = this.conn.model;
      if (this.cancelled || !current || current !== model) return; // a new connection re-attaches everything
      this.ensure(current).catch((err: unknown) => {
        this.log.error({ err, queue: this.queue }, 're-attaching consumer failed');
        this.scheduleRetry(current);
      });
    }, 1000);
    this.retryTimer.unref();
  }

  /** Safe ack/nack: the channel may be gone after a reconnect (the broker then redelivers). */
  protected settle(ch: Channel, msg: ConsumeMessage, how: 'ack' | 'requeue' | 'drop'): void {
    try {
      if (how === 'ack') ch.ack(msg);
      else ch.nack(msg, false, how === 'requeue');
    } catch (err) {
      this.log.warn({ err: (err as Error).message, queue: this.queue }, 'could not settle message (channel closed)');
    }
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    clearTimeout(this.retryTimer);
    await this.attaching?.promise.catch(() => undefined);
    const ch = this.ch;
    if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => undefined);
    await Promise.allSettled([...this.inflight]);
    this.ch = undefined;
    this.model = undefined;
    await ch?.close().catch(() => undefined);
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }
}

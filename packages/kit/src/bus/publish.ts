// Publishing with confirms on one ConfirmChannel per connection. A publish that cannot be confirmed (no
// connection, channel closed, broker nack) is retried until its deadline, then rejected with UNAVAILABLE:
// at-least-once, never a silent drop (consumers dedupe by envelope id).
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AmqpConnection } from './connection.js';

export class Publisher {
  private ch: ConfirmChannel | undefined;
  private opening: Promise<ConfirmChannel> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly conn: AmqpConnection,
    private readonly log: Logger,
  ) {}

  /** Called from connection setup: a fresh confirm channel for the new connection. */
  async attach(model: ChannelModel): Promise<void> {
    this.ch = undefined;
    this.opening = undefined;
    this.ch = await this.open(model);
  }

  private async open(model: ChannelModel): Promise<ConfirmChannel> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'publish channel error'));
    ch.on('close', () => {
      if (this.ch === ch) this.ch = undefined;
    });
    return ch;
  }

  private async channel(timeoutMs: number): Promise<ConfirmChannel> {
    if (this.ch) return this.ch;
    const model = await this.conn.waitConnected(timeoutMs);
    if (this.ch) return this.ch;
    // connection up but the channel died (e.g. a channel-level error): open another one, once
    this.opening ??= this.open(model).finally(() => {
      this.opening = undefined;
    });
    this.ch = await this.opening;
    return this.ch;
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, waitMs: number): Promise<void> {
    const p = this.publishUntil(exchange, routingKey, content, options, Date.now() + waitMs);
    this.inflight.add(p);
    void p.catch(() => undefined).finally(() => this.inflight.delete(p));
    return p;
  }

  private async publishUntil(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
  ): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const ch = await this.channel(remaining);
        await new Promise<void>((resolve, reject) => {
          ch.publish(exchange, routingKey, content, options, (err: unknown) => (err ? reject(err) : resolve()));
        });
        return;
      } catch (err) {
        if (err instanceof DomainError) throw err; // waitConnected gave up: already UNAVAILABLE
        lastError = err;
        this.log.debug({ err: (err as Error)?.message, attempt, exchange, routingKey }, 'publish not confirmed, retrying');
        await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
      }
    }
    throw new DomainError('UNAVAILABLE', 'message could not be published', {
      reason: (lastError as Error | undefined)?.message,
    });
  }

  /** Waits for publishes under way (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    const ch = this.ch;
    this.ch = undefined;
    await ch?.close().catch(() => undefined);
  }
}

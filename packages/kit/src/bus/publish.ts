// Publishing with confirms on one ConfirmChannel per connection. A publish that cannot be confirmed (no
// connection, channel closed, broker nack) is retried until its deadline, then rejected with UNAVAILABLE:
// at-least-once, never a silent drop (consumers dedupe by envelope id).
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AmqpConnection } from './connection.js';
import { ReopeningChannel } from './reopening-channel.js';

export class Publisher {
  private readonly channel: ReopeningChannel<ConfirmChannel>;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(conn: AmqpConnection, private readonly log: Logger) {
    this.channel = new ReopeningChannel(conn, log, { name: 'publish channel', create: (model) => model.createConfirmChannel() });
  }

  /** Called from connection setup: a fresh confirm channel for the new connection. */
  attach(model: ChannelModel): Promise<void> {
    return this.channel.attach(model);
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
        const ch = await this.channel.get(remaining);
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

  close(): Promise<void> {
    return this.channel.close();
  }
}

// Publishing with confirms on one ConfirmChannel per connection. A publish that cannot be confirmed (no
// connection, channel closed, broker nack) is retried until its deadline, then rejected with UNAVAILABLE:
// at-least-once, never a silent drop (consumers dedupe by envelope id). A mandatory publish that no queue takes
// is handed back by the broker (basic.return, before its confirm): the publish then resolves 'returned' and the
// message goes to the `onReturned` listener, so an unroutable command is never lost without a word.
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AmqpConnection } from './connection.js';
import { ReopeningChannel } from './reopening-channel.js';

/** Header tagging each mandatory publish, so a returned message is matched to its publish. */
export const PUBLISH_TAG_HEADER = 'x-voltq-publish-tag';

export type PublishOutcome = 'routed' | 'returned';

export interface ReturnedMessage {
  exchange: string;
  routingKey: string;
  replyCode: number;
  replyText: string;
  content: Buffer;
  properties: ConsumeMessage['properties'];
}

export class Publisher {
  private readonly channel: ReopeningChannel<ConfirmChannel>;
  private readonly inflight = new Set<Promise<unknown>>();
  /** tags of mandatory publishes awaiting their confirm -> returned yet */
  private readonly returned = new Map<string, boolean>();
  private nextTag = 0;
  private readonly tagPrefix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}-`;

  constructor(conn: AmqpConnection, private readonly log: Logger) {
    this.channel = new ReopeningChannel(conn, log, {
      name: 'publish channel',
      create: (model) => model.createConfirmChannel(),
      setup: (ch) => {
        ch.on('return', (msg: ConsumeMessage & { fields: { replyCode?: number; replyText?: string } }) => this.onReturn(msg));
      },
    });
  }

  /** Called for every returned mandatory message (after its publish resolved 'returned'). */
  onReturned: ((msg: ReturnedMessage) => void) | undefined;

  private onReturn(msg: ConsumeMessage & { fields: { replyCode?: number; replyText?: string } }): void {
    const tag = msg.properties.headers?.[PUBLISH_TAG_HEADER];
    if (typeof tag === 'string' && this.returned.has(tag)) this.returned.set(tag, true);
    const returned: ReturnedMessage = {
      exchange: msg.fields.exchange,
      routingKey: msg.fields.routingKey,
      replyCode: msg.fields.replyCode ?? 0,
      replyText: msg.fields.replyText ?? '',
      content: msg.content,
      properties: msg.properties,
    };
    this.log.warn({ exchange: returned.exchange, routingKey: returned.routingKey, replyText: returned.replyText,
      messageId: msg.properties.messageId }, 'mandatory message returned by the broker: no queue takes it');
    try {
      this.onReturned?.(returned);
    } catch (err) {
      this.log.error({ err }, 'returned-message handler failed');
    }
  }

  /** Called from connection setup: a fresh confirm channel for the new connection. */
  attach(model: ChannelModel): Promise<void> {
    return this.channel.attach(model);
  }

  /** Resolves 'routed' once confirmed, or 'returned' when a mandatory message reached no queue. */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, waitMs: number): Promise<PublishOutcome> {
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
  ): Promise<PublishOutcome> {
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const tag = options.mandatory ? `${this.tagPrefix}${++this.nextTag}` : undefined;
      const opts = tag ? { ...options, headers: { ...options.headers, [PUBLISH_TAG_HEADER]: tag } } : options;
      if (tag) this.returned.set(tag, false);
      try {
        const ch = await this.channel.get(remaining);
        await new Promise<void>((resolve, reject) => {
          ch.publish(exchange, routingKey, content, opts, (err: unknown) => (err ? reject(err) : resolve()));
        });
        // the broker sends basic.return before the confirm of the same message
        return tag && this.returned.get(tag) ? 'returned' : 'routed';
      } catch (err) {
        if (err instanceof DomainError) throw err; // waitConnected gave up: already UNAVAILABLE
        lastError = err;
        this.log.debug({ err: (err as Error)?.message, attempt, exchange, routingKey }, 'publish not confirmed, retrying');
        await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
      } finally {
        if (tag) this.returned.delete(tag);
      }
    }
    throw new DomainError('UNAVAILABLE', 'message could not be published', {
      diagnostic: { error: (lastError as Error | undefined)?.message },
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

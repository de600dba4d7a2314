// The one channel a sender (the publisher, the RPC client) works on: opened afresh on each new connection, and
// opened again, once for all callers waiting, when it died while the connection stayed up (a channel-level error).
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import type { AmqpConnection } from './connection.js';

export interface ReopeningChannelOptions<C extends Channel> {
  /** what the log calls it, e.g. 'publish channel' */
  name: string;
  create(model: ChannelModel): Promise<C>;
  /** more listeners or consumers on a channel just opened */
  setup?(ch: C): Promise<void> | void;
  /** after `ch` closed (it is no longer the current channel by then) */
  onClose?(ch: C): void;
}

export class ReopeningChannel<C extends Channel> {
  private ch: C | undefined;
  private opening: Promise<C> | undefined;

  constructor(
    private readonly conn: AmqpConnection,
    private readonly log: Logger,
    private readonly opts: ReopeningChannelOptions<C>,
  ) {}

  /** Called from connection setup: a fresh channel for the new connection. */
  async attach(model: ChannelModel): Promise<void> {
    this.ch = undefined;
    this.opening = undefined;
    this.ch = await this.open(model);
  }

  private async open(model: ChannelModel): Promise<C> {
    const ch = await this.opts.create(model);
    ch.on('error', (err: Error) => this.log.warn({ err: err.message }, `${this.opts.name} error`));
    ch.on('close', () => {
      if (this.ch === ch) this.ch = undefined;
      this.opts.onClose?.(ch);
    });
    await this.opts.setup?.(ch);
    return ch;
  }

  /** The current channel, waiting up to `timeoutMs` for a connection (UNAVAILABLE after that). */
  async get(timeoutMs: number): Promise<C> {
    if (this.ch) return this.ch;
    const model = await this.conn.waitConnected(timeoutMs);
    if (this.ch) return this.ch;
    this.opening ??= this.open(model).finally(() => {
      this.opening = undefined;
    });
    this.ch = await this.opening;
    return this.ch;
  }

  async close(): Promise<void> {
    const ch = this.ch;
    this.ch = undefined;
    await ch?.close().catch(() => undefined);
  }
}

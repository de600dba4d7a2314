// MongoDB outbox: a document carries `outbox: OutboxEntry[]` written in the same single-document write as the
// change it announces; the relay publishes pending entries with confirms and $pull's each after its confirm.
// It runs after each write (kick) and on an interval (crash recovery). At-least-once; consumers dedupe by id.
import type { Envelope } from '@voltq/contracts';
import mongoose from 'mongoose';
import type { Bus } from './bus/bus.js';
import type { ExchangeKind } from './bus/names.js';
import { isDomainError } from './errors.js';
import type { Logger } from './logger.js';

export interface OutboxEntry {
  id: string;
  env: Envelope;
  exchange?: ExchangeKind;
  routingKey?: string;
}

/** Schema path for the outbox array: `new Schema({ ..., outbox: outboxField })`. */
export const outboxField = { type: [mongoose.Schema.Types.Mixed], default: [] };

export function outboxEntry(env: Envelope, route: { exchange?: ExchangeKind; routingKey?: string } = {}): OutboxEntry {
  const entry: OutboxEntry = { id: env.id, env };
  if (route.exchange) entry.exchange = route.exchange;
  if (route.routingKey) entry.routingKey = route.routingKey;
  return entry;
}

export interface MongoOutboxRelayOptions {
  model: mongoose.Model<any>;
  bus: Pick<Bus, 'publishEnvelope'>;
  log?: Logger;
  /** crash-recovery sweep interval; default 2000 */
  intervalMs?: number;
  batch?: number;
}

export class MongoOutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: MongoOutboxRelayOptions) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs ?? 2000);
    this.timer.unref();
    this.kick();
  }

  /** Relay now (coalesced: a kick during a run schedules one more run). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sweep()
      .catch((err: unknown) => this.opts.log?.warn({ err: (err as Error).message }, 'mongo outbox relay failed, will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One pass over every document with pending entries; resolves when done (tests, shutdown). */
  async flush(): Promise<void> {
    await this.running;
    await this.sweep();
  }

  private async sweep(): Promise<void> {
    const { model, bus } = this.opts;
    for (;;) {
      const docs = (await model
        .find({ 'outbox.0': { $exists: true } })
        .select({ outbox: 1 })
        .limit(this.opts.batch ?? 100)
        .lean()) as unknown as { _id: unknown; outbox: OutboxEntry[] }[];
      if (docs.length === 0) return;
      for (const doc of docs) {
        for (const entry of doc.outbox) {
          try {
            await bus.publishEnvelope(entry.env, { exchange: entry.exchange, routingKey: entry.routingKey });
          } catch (err) {
            if (!(isDomainError(err) && err.code === 'VALIDATION')) throw err;
            // never publishable: keep it on the document under `outboxDead` instead of retrying forever
            this.opts.log?.error({ id: entry.id, err: err.message }, 'outbox entry cannot be published; moved to outboxDead');
            await model.updateOne({ _id: doc._id }, { $push: { outboxDead: { ...entry, error: err.message } } }, { strict: false });
          }
          await model.updateOne({ _id: doc._id }, { $pull: { outbox: { id: entry.id } } });
        }
      }
      if (docs.length < (this.opts.batch ?? 100)) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}

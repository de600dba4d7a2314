// Persistence of the order aggregate: read, apply a pure change, write back conditionally on `rev` (retrying on
// a concurrent writer), so two handlers of the same order never lose each other's change.
import { definedFields, DomainError, findPage, isDuplicateKey, MongoCounters, nextDailyNumber, type DailyNumberSource, type RpcParams } from '@voltq/kit';
import type { OrderState } from '@voltq/contracts';
import { LIVE_STATES, type OrderDoc } from '../domain/order.js';
import type { OrderModel, StoredOrder } from './model.js';

const MAX_ATTEMPTS = 20;

function plain(stored: StoredOrder & { _id?: unknown }): { doc: OrderDoc; rev: number } {
  const { _id, rev, ...doc } = stored;
  void _id;
  return { doc: doc as OrderDoc, rev };
}

export class OrderRepository {
  private readonly orderNos: DailyNumberSource;

  constructor(private readonly Order: OrderModel) {
    // never Redis: a loss of Redis must not reissue a number; a day's counter starts above the highest stored one
    this.orderNos = { counters: new MongoCounters(Order.db, 'order_counters'), counter: 'order-no', model: Order, field: 'orderNo', prefix: '' };
  }

  /** The next order number for the day of `nowMs`, e.g. `20250101000042`: date + 6-digit daily sequence. */
  async nextOrderNo(nowMs: number): Promise<string> {
    return nextDailyNumber(this.orderNos, nowMs);
  }

  async get(orderId: string): Promise<OrderDoc | undefined> {
    const found = await this.Order.findOne({ orderId }).lean<StoredOrder>();
    return found ? plain(found).doc : undefined;
  }

  /**
   * Applies `change` to the current document (undefined when not stored yet) and writes the result; `change`
   * returns undefined for "nothing to write". Returns the document as stored afterwards.
   */
  async mutate(orderId: string, change: (current: OrderDoc | undefined) => OrderDoc | undefined): Promise<OrderDoc | undefined> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const found = await this.Order.findOne({ orderId }).lean<StoredOrder>();
      const current = found ? plain(found) : undefined;
      const next = change(current?.doc);
      if (!next) return current?.doc;
      if (!current) {
        try {
          await this.Order.create({ ...next, rev: 1 });
          return next;
        } catch (err) {
          if (isDuplicateKey(err)) continue; // created concurrently: apply on top of it
          throw err;
        }
      }
      const unset: Record<string, 1> = {};
      for (const key of Object.keys(current.doc)) if (!(key in next)) unset[key] = 1;
      const update: Record<string, unknown> = { $set: { ...next, rev: current.rev + 1 } };
      if (Object.keys(unset).length > 0) update.$unset = unset;
      const res = await this.Order.updateOne({ orderId, rev: current.rev }, update);
      if (res.matchedCount === 1) return next;
    }
    throw new DomainError('CONFLICT', `order ${orderId} is being changed concurrently; try again`);
  }

  async list(filter: RpcParams<'order.list'>): Promise<{ items: OrderDoc[]; total: number }> {
    const q = definedFields(filter, ['userId', 'stationId']);
    if (filter.states && filter.states.length > 0) q.state = { $in: filter.states };
    if (filter.fromMs !== undefined || filter.toMs !== undefined) {
      const range: Record<string, number> = {};
      if (filter.fromMs !== undefined) range.$gte = filter.fromMs;
      if (filter.toMs !== undefined) range.$lt = filter.toMs;
      q.createdAt = range;
    }
    const { items, total } = await findPage(this.Order, q, filter, { createdAt: -1, orderId: -1 });
    return { items: items.map((f) => plain(f).doc), total };
  }

  /** The user's live order for a car (`carId` undefined: the live order made without a car), newest first. */
  async liveOf(userId: string, carId: string | undefined): Promise<OrderDoc | undefined> {
    const found = await this.Order.findOne({ userId, carId: carId ?? { $exists: false }, state: { $in: LIVE_STATES } })
      .sort({ createdAt: -1, orderId: -1 })
      .lean<StoredOrder>();
    return found ? plain(found).doc : undefined;
  }

  /** The user's newest order in one of the given states. */
  async latestIn(userId: string, states: OrderState[]): Promise<OrderDoc | undefined> {
    const found = await this.Order.findOne({ userId, state: { $in: states } })
      .sort({ createdAt: -1, orderId: -1 })
      .lean<StoredOrder>();
    return found ? plain(found).doc : undefined;
  }
}

// Order identities: orderId (opaque, unique everywhere) and orderNo (what a user reads: station-local date + a
// daily sequence). The sequence is a MongoDB counter (kit MongoCounters), never Redis: a loss of Redis must not
// reissue a number; a day's counter starts above the highest orderNo already stored for that day.
import { createHash, randomUUID } from 'node:crypto';
import { formatIso, type MongoCounters } from '@voltq/kit';
import type { OrderModel, StoredOrder } from './model.js';

export function newOrderId(): string {
  return randomUUID();
}

/**
 * The order id a client's idempotency key names: the same (userId, key) always gives the same id (UUID-shaped,
 * version 8 = custom, from SHA-256), so the unique orderId index holds one order per key and a retry that reaches
 * the scheduler finds its own request there.
 */
export function orderIdFor(userId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`voltq-order\0${userId}\0${idempotencyKey}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** `20250101` for an instant, in the station's zone. */
export function localDate(ms: number, timeZone?: string): string {
  return formatIso(ms, timeZone).slice(0, 10).replaceAll('-', '');
}

/** e.g. `20250101000042`: date + 6-digit daily sequence. */
export async function nextOrderNo(ids: OrderNoSource, nowMs: number): Promise<string> {
  const day = localDate(nowMs);
  const seq = await ids.counters.next(`order-no:${day}`, () => highestStoredSeq(ids.orders, day));
  return `${day}${String(seq).padStart(6, '0')}`;
}

export interface OrderNoSource {
  counters: MongoCounters;
  /** the orders collection (the seed of a new day's counter) */
  orders: OrderModel;
}

async function highestStoredSeq(orders: OrderNoSource['orders'], day: string): Promise<number> {
  const top = await orders.findOne({ orderNo: { $regex: `^${day}\\d{6,}$` } }, { orderNo: 1 }).sort({ orderNo: -1 }).lean<StoredOrder>();
  return top?.orderNo ? Number(top.orderNo.slice(day.length)) : 0;
}

// Order identities: orderId (opaque, unique everywhere). The orderNo users read (station-local date + a daily
// sequence) comes from a MongoDB counter: store/repository.ts.
import { createHash, randomUUID } from 'node:crypto';

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

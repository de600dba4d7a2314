// MongoDB `orders`: one document per order, written only through the repository's conditional updates. The fields
// an order shows come from the contracts (OrderView, OrderSessionView, Bill, TierSplit); the ones only the store
// keeps (request keys, claims, event ids, rev) are listed here.
import { Type } from '@sinclair/typebox';
import { Schema, type Connection, type Model } from 'mongoose';
import { Bill, OrderSessionView, OrderView } from '@voltq/contracts';
import { mongooseFields } from '@voltq/kit';
import type { OrderDoc } from '../domain/order.js';

/** sub-documents: typed fields, no _id, only their key required */
const sub = (fields: Parameters<typeof mongooseFields>[0], key: string) =>
  new Schema(mongooseFields(fields, { [key]: { required: true } }, { required: false }), { _id: false });

const sessionSchema = sub(OrderSessionView, 'sessionId');
const billSchema = sub(
  Type.Pick(Bill, ['billId', 'sessionId', 'endedAt', 'energyWms', 'energyFeeFen', 'serviceFeeFen', 'totalFen', 'tiers', 'paidFen', 'owedFen']),
  'billId',
);
const claimSchema = sub(
  Type.Object({
    state: Type.String(),
    atMs: Type.Number(),
    rank: Type.Number(),
    seq: Type.Number(),
    pileNo: Type.String(),
    sessionId: Type.String(),
  }),
  'state',
);

/** The stored order plus `rev`, the optimistic-concurrency counter every update is conditional on. */
export type StoredOrder = OrderDoc & { rev: number };

const SHOWN = [
  'orderId', 'orderNo', 'userId', 'carId', 'stationId', 'mode', 'energyWms', 'queueNo', 'state', 'pileNo', 'sessionId',
  'stoppedSessionId', 'endedAt', 'requeues', 'createdAt', 'updatedAt',
  // walk-up orders
  'kind', 'deviceId', 'pileId', 'portNo', 'origin', 'chargingMode', 'limitFeeFen', 'limitDurationMs', 'limitEnergyWms',
  'paymentMethod', 'paymentId', 'stopReasonCode',
] as const;

const orderSchema = new Schema<StoredOrder>(
  mongooseFields(Type.Pick(OrderView, SHOWN), {
    orderId: { required: true, unique: true },
    userId: { required: true },
    stationId: { required: true },
    state: { required: true },
    createdAt: { required: true },
    updatedAt: { required: true },
    // the client's Idempotency-Key (orderId is derived from it and userId, so orderId's unique index covers it)
    idempotencyKey: { type: String },
    requestFingerprint: { type: String },
    requestAtMs: { type: Number, required: true },
    requestRank: { type: Number, required: true },
    requestSeq: { type: Number },
    // the largest per-order event sequence (orderSeq) applied: an event at or below it is stale
    lastSeq: { type: Number },
    // what each state-moving event said; the state is derived from them (see domain/order.ts)
    claims: { type: [claimSchema], default: [] },
    cancelReason: { type: String },
    sessions: { type: [sessionSchema], default: [] },
    requeues: { default: undefined },
    bills: { type: [billSchema], default: [] },
    // ids of the events applied: a redelivered event is recognised and changes nothing
    eventIds: { type: [String], default: [] },
    rev: { type: Number, required: true, default: 0 },
  }, { required: false }),
  { collection: 'orders', versionKey: false, minimize: true },
);
// history queries: a user's orders newest first, optionally by state
orderSchema.index({ userId: 1, createdAt: -1 });
orderSchema.index({ userId: 1, state: 1 });

export type OrderModel = Model<StoredOrder>;

export function orderModel(conn: Connection): OrderModel {
  return (conn.models.Order as OrderModel | undefined) ?? conn.model<StoredOrder>('Order', orderSchema);
}

// MongoDB `orders`: one document per order, written only through the repository's conditional updates.
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import type { OrderDoc } from './domain/order.js';

const tierSchema = new Schema({ tier: String, energyWms: Number, energyFeeFen: Number }, { _id: false });

const sessionSchema = new Schema(
  {
    sessionId: { type: String, required: true },
    pileNo: String,
    powerW: Number,
    startedAt: Number,
    endedAt: Number,
    energyWms: Number,
    reason: String,
    billId: String,
  },
  { _id: false },
);

const billSchema = new Schema(
  {
    billId: { type: String, required: true },
    sessionId: String,
    endedAt: Number,
    energyWms: Number,
    energyFeeFen: Number,
    serviceFeeFen: Number,
    totalFen: Number,
    tiers: { type: [tierSchema], default: [] },
  },
  { _id: false },
);

const claimSchema = new Schema(
  { state: { type: String, required: true }, atMs: Number, rank: Number, seq: Number, pileNo: String, sessionId: String },
  { _id: false },
);

/** The stored order plus `rev`, the optimistic-concurrency counter every update is conditional on. */
export type StoredOrder = OrderDoc & { rev: number };

const orderSchema = new Schema<StoredOrder>(
  {
    orderId: { type: String, required: true, unique: true },
    orderNo: String,
    userId: { type: String, required: true },
    carId: String,
    // the client's Idempotency-Key (orderId is derived from it and userId, so orderId's unique index covers it)
    idempotencyKey: String,
    requestFingerprint: String,
    stationId: { type: String, required: true },
    mode: String,
    energyWms: Number,
    queueNo: String,
    requestAtMs: { type: Number, required: true },
    requestRank: { type: Number, required: true },
    requestSeq: Number,
    // the largest per-order event sequence (orderSeq) applied: an event at or below it is stale
    lastSeq: Number,
    state: { type: String, required: true },
    // what each state-moving event said; the state is derived from them (see domain/order.ts)
    claims: { type: [claimSchema], default: [] },
    pileNo: String,
    sessionId: String,
    stoppedSessionId: String,
    cancelReason: String,
    endedAt: Number,
    sessions: { type: [sessionSchema], default: [] },
    requeues: { type: [new Schema({ atMs: Number, fromPileNo: String, reason: String, detail: String }, { _id: false })], default: undefined },
    bills: { type: [billSchema], default: [] },
    // ids of the events applied: a redelivered event is recognised and changes nothing
    eventIds: { type: [String], default: [] },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    rev: { type: Number, required: true, default: 0 },
  },
  { collection: 'orders', versionKey: false, minimize: true },
);
// history queries: a user's orders newest first, optionally by state
orderSchema.index({ userId: 1, createdAt: -1 });
orderSchema.index({ userId: 1, state: 1 });

export type OrderModel = Model<StoredOrder>;

export function orderModel(conn: Connection): OrderModel {
  return (conn.models.Order as OrderModel | undefined) ?? conn.model<StoredOrder>('Order', orderSchema);
}

export { mongoose };

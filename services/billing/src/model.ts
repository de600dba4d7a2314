// MongoDB `bills`: one document per session (unique sessionId), carrying its own `bill.created` in `outbox` until
// the relay has published it.
import { Schema, type Connection, type Model } from 'mongoose';
import { outboxField, type OutboxEntry } from '@voltq/kit';
import type { Bill } from '@voltq/contracts';

export type StoredBill = Bill & { outbox: OutboxEntry[] };

const tierSchema = new Schema({ tier: String, energyWms: Number, energyFeeFen: Number }, { _id: false });

const billSchema = new Schema<StoredBill>(
  {
    billId: { type: String, required: true, unique: true },
    billNo: { type: String, required: true },
    createdAt: { type: Number, required: true },
    userId: { type: String, required: true },
    carId: String,
    orderId: { type: String, required: true },
    // exactly one bill per session: a redelivered session.ended hits this index and is recognised as billed
    sessionId: { type: String, required: true, unique: true },
    stationId: { type: String, required: true },
    pileNo: { type: String, required: true },
    queueNo: { type: String, required: true },
    mode: String,
    reason: String,
    powerW: { type: Number, required: true },
    energyWms: { type: Number, required: true },
    durationMs: { type: Number, required: true },
    startedAt: { type: Number, required: true },
    endedAt: { type: Number, required: true },
    energyFeeFen: { type: Number, required: true },
    serviceFeeFen: { type: Number, required: true },
    totalFen: { type: Number, required: true },
    tiers: { type: [tierSchema], default: [] },
    // kit outbox: the bill.created envelope, pulled by the relay after the broker confirmed it
    outbox: outboxField as never,
  },
  { collection: 'bills', versionKey: false },
);
billSchema.index({ userId: 1, endedAt: -1 });
billSchema.index({ orderId: 1, endedAt: -1 });
// reports: a station's bills by session end
billSchema.index({ stationId: 1, endedAt: 1 });

export type BillModel = Model<StoredBill>;

export function billModel(conn: Connection): BillModel {
  return (conn.models.Bill as BillModel | undefined) ?? conn.model<StoredBill>('Bill', billSchema);
}

const BILL_FIELDS = [
  'billId', 'billNo', 'createdAt', 'userId', 'carId', 'orderId', 'sessionId', 'stationId', 'pileNo', 'queueNo', 'mode',
  'reason', 'powerW', 'energyWms', 'durationMs', 'startedAt', 'endedAt', 'energyFeeFen', 'serviceFeeFen', 'totalFen',
] as const;

/** The bill as the contract shows it (no _id, no outbox). */
export function toBill(stored: StoredBill): Bill {
  const out: Record<string, unknown> = {};
  for (const k of BILL_FIELDS) if (stored[k] !== undefined && stored[k] !== null) out[k] = stored[k];
  out.tiers = (stored.tiers ?? []).map((t) => ({ tier: t.tier, energyWms: t.energyWms, energyFeeFen: t.energyFeeFen }));
  return out as Bill;
}

// MongoDB `bills`: one document per session (unique sessionId), carrying its own `bill.created` in `outbox` until
// the relay has published it. The fields are the contract's Bill.
import { Schema, type Connection, type Model } from 'mongoose';
import { mongooseFields, outboxField, type OutboxEntry } from '@voltq/kit';
import { Bill } from '@voltq/contracts';

export type StoredBill = Bill & { outbox: OutboxEntry[] };

const billSchema = new Schema<StoredBill>(
  mongooseFields(Bill, {
    billId: { unique: true },
    // exactly one bill per session: a redelivered session.ended hits this index and is recognised as billed
    sessionId: { unique: true },
    // kit outbox: the bill.created envelope, pulled by the relay after the broker confirmed it
    outbox: outboxField,
  }),
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

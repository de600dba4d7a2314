// MongoDB `bills`: one document per session (unique sessionId), carrying its own `bill.created` in `outbox` until
// the relay has published it. The fields are the contract's Bill.
import { Schema, type Connection, type Model } from 'mongoose';
import { mongooseFields, outboxField, type OutboxEntry } from '@voltq/kit';
import { Bill } from '@voltq/contracts';

/** `settling`: a bill paid from the balance, stored and not yet debited (its bill.created waits for the debit). */
export type StoredBill = Bill & { outbox: OutboxEntry[]; settling?: boolean };

const billSchema = new Schema<StoredBill>(
  mongooseFields(Bill, {
    billId: { unique: true },
    // exactly one bill per session: a redelivered session.ended hits this index and is recognised as billed
    sessionId: { unique: true },
    // a walk-up session has no queue number: the scheduler may send '' (mongoose's required refuses an empty string)
    queueNo: { required: false },
    // kit outbox: the bill.created envelope, pulled by the relay after the broker confirmed it
    outbox: outboxField,
    // store-only: set while the balance debit of a walk-up bill is outstanding (a redelivery finishes it)
    settling: { type: Boolean },
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
  'deviceId', 'pileId', 'portNo', 'paymentMethod', 'paidFen', 'owedFen',
] as const;

/** The bill as the contract shows it (no _id, no outbox). */
export function toBill(stored: StoredBill): Bill {
  const out: Record<string, unknown> = {};
  for (const k of BILL_FIELDS) if (stored[k] !== undefined && stored[k] !== null) out[k] = stored[k];
  out.tiers = (stored.tiers ?? []).map((t) => ({ tier: t.tier, energyWms: t.energyWms, energyFeeFen: t.energyFeeFen }));
  return out as Bill;
}

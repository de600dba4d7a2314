// Payments through a provider (MongoDB `payments`, owned by billing): one document per payment, `_id` its
// paymentId (WeChat's out_trade_no), unique per (userId, requestId) so a retried request names the same payment.
import mongoose, { Schema } from 'mongoose';
import type { PaymentView } from '@voltq/contracts';
import { isDuplicateKey } from '@voltq/kit';

interface PaymentDoc extends Omit<PaymentView, 'paymentId'> {
  _id: string;
  requestId: string;
}

const paymentSchema = new Schema<PaymentDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    requestId: { type: String, required: true },
    purpose: { type: String, required: true },
    orderId: String,
    method: { type: Number, required: true },
    amountFen: { type: Number, required: true },
    status: { type: Number, required: true },
    codeUrl: String,
    transactionId: String,
    paidAt: Number,
    createdAt: { type: Number, required: true },
  },
  { collection: 'payments', versionKey: false },
);
paymentSchema.index({ userId: 1, requestId: 1 }, { unique: true });

export function paymentModel(conn: mongoose.Connection) {
  return (conn.models.Payment as mongoose.Model<PaymentDoc> | undefined) ?? conn.model<PaymentDoc>('Payment', paymentSchema);
}
export type PaymentModel = ReturnType<typeof paymentModel>;

function view(doc: PaymentDoc): PaymentView {
  const { _id, requestId: _requestId, ...rest } = doc;
  return { paymentId: _id, ...rest };
}

export class PaymentRepository {
  constructor(private readonly Payment: PaymentModel) {}

  /** Stores the payment, or answers the one this (userId, requestId) already made. */
  async createOrGet(p: PaymentView & { requestId: string }): Promise<PaymentView> {
    const { paymentId, ...rest } = p;
    try {
      await this.Payment.create({ _id: paymentId, ...rest });
      return view({ _id: paymentId, ...rest });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const made = await this.Payment.findOne({ userId: p.userId, requestId: p.requestId }).lean<PaymentDoc>();
      if (!made) throw err;
      return view(made);
    }
  }

  /** The payment a (userId, requestId) made, if any. */
  async byRequest(userId: string, requestId: string): Promise<PaymentView | undefined> {
    const doc = await this.Payment.findOne({ userId, requestId }).lean<PaymentDoc>();
    return doc ? view(doc) : undefined;
  }

  async byId(paymentId: string): Promise<PaymentView | undefined> {
    const doc = await this.Payment.findById(paymentId).lean<PaymentDoc>();
    return doc ? view(doc) : undefined;
  }

  /** The provider's code to scan: the payment is being paid (status 1) from now on. */
  async issued(paymentId: string, codeUrl: string): Promise<PaymentView | undefined> {
    const doc = await this.Payment.findOneAndUpdate({ _id: paymentId, status: { $in: [0, 1] } }, { $set: { codeUrl, status: 1 } }, { returnDocument: 'after' }).lean<PaymentDoc>();
    return doc ? view(doc) : this.byId(paymentId);
  }

  async failed(paymentId: string): Promise<void> {
    await this.Payment.updateOne({ _id: paymentId, status: { $in: [0, 1] } }, { $set: { status: 3 } });
  }

  /** Paid (status 2) once: true when this call made it paid, false when it was already. */
  async paid(paymentId: string, transactionId: string, paidAt: number): Promise<boolean> {
    const res = await this.Payment.updateOne({ _id: paymentId, status: { $in: [0, 1, 3] } }, { $set: { status: 2, transactionId, paidAt } });
    return res.modifiedCount === 1;
  }
}

// Bills in MongoDB: the one insert that makes a bill (with its event in the outbox) and the queries.
import { Types } from 'mongoose';
import type { Bill, ReportParams } from '@voltq/contracts';
import { definedFields, findPage, isDuplicateKey, MongoCounters, nextDailyNumber, outboxEntry, type DailyNumberSource, type Envelope, type RpcParams } from '@voltq/kit';
import type { ReportBill } from '../domain/report.js';
import type { StatisticsBill } from '../domain/statistics.js';
import { toBill, type BillModel, type StoredBill } from './model.js';

/** The filter of sessions that ended in [fromMs, toMs), either bound optional. */
function endedWithin(range: { fromMs?: number | undefined; toMs?: number | undefined }): Record<string, unknown> {
  if (range.fromMs === undefined && range.toMs === undefined) return {};
  return { endedAt: { ...(range.fromMs !== undefined ? { $gte: range.fromMs } : {}), ...(range.toMs !== undefined ? { $lt: range.toMs } : {}) } };
}

export class BillRepository {
  private readonly billNos: DailyNumberSource;

  constructor(private readonly Bill: BillModel) {
    // never Redis: a loss of Redis must not reissue a number; a day's counter starts above the highest stored one
    this.billNos = { counters: new MongoCounters(Bill.db, 'bill_counters'), counter: 'bill-no', model: Bill, field: 'billNo', prefix: 'B' };
  }

  /** An ObjectId's hex: unique without asking anyone. */
  newBillId(): string {
    return new Types.ObjectId().toHexString();
  }

  /** The next bill number for the day of `nowMs`, e.g. `B20250101000042`: B + date + 6-digit daily sequence. */
  async nextBillNo(nowMs: number): Promise<string> {
    return nextDailyNumber(this.billNos, nowMs);
  }

  async bySession(sessionId: string): Promise<Bill | undefined> {
    const found = await this.Bill.findOne({ sessionId }).lean<StoredBill>();
    return found ? toBill(found) : undefined;
  }

  /** The stored bill of a session and whether its balance debit is still outstanding. */
  async settlementOf(sessionId: string): Promise<{ bill: Bill; settling: boolean } | undefined> {
    const found = await this.Bill.findOne({ sessionId }).lean<StoredBill>();
    return found ? { bill: toBill(found), settling: found.settling === true } : undefined;
  }

  /**
   * Stores a bill paid from the balance before its debit, without its event (it announces what was paid). False when
   * the session was billed already.
   */
  async insertSettling(bill: Bill): Promise<boolean> {
    try {
      await this.Bill.create({ ...bill, settling: true, outbox: [] });
      return true;
    } catch (err) {
      if (isDuplicateKey(err) && (await this.Bill.exists({ sessionId: bill.sessionId }))) return false;
      throw err;
    }
  }

  /** The debit is made: the bill records it and gets its bill.created, once (false: settled already). */
  async settle(billId: string, paid: { paidFen: number; owedFen: number }, created: Envelope<'bill.created'>): Promise<boolean> {
    const res = await this.Bill.updateOne(
      { billId, settling: true },
      { $set: { paidFen: paid.paidFen, owedFen: paid.owedFen }, $unset: { settling: 1 }, $push: { outbox: outboxEntry(created) } },
    );
    return res.modifiedCount === 1;
  }

  /** The payment figures of an order's bills (settled or not). */
  async forOrder(orderId: string): Promise<Pick<Bill, 'userId' | 'totalFen' | 'paidFen' | 'owedFen' | 'paymentMethod'>[]> {
    return this.Bill.find({ orderId }, { _id: 0, userId: 1, totalFen: 1, paidFen: 1, owedFen: 1, paymentMethod: 1 }).lean<Bill[]>();
  }

  async byId(billId: string): Promise<Bill | undefined> {
    const found = await this.Bill.findOne({ billId }).lean<StoredBill>();
    return found ? toBill(found) : undefined;
  }

  /**
   * Stores the bill and its `bill.created` in one insert. False when the session was billed already (a
   * redelivery or a concurrent duplicate lost the race on the unique sessionId).
   */
  async insert(bill: Bill, created: Envelope<'bill.created'>): Promise<boolean> {
    try {
      await this.Bill.create({ ...bill, outbox: [outboxEntry(created)] });
      return true;
    } catch (err) {
      if (isDuplicateKey(err) && (await this.Bill.exists({ sessionId: bill.sessionId }))) return false;
      throw err;
    }
  }

  async list(filter: RpcParams<'billing.listBills'>): Promise<{ items: Bill[]; total: number }> {
    const q: Record<string, unknown> = definedFields(filter, ['userId', 'orderId', 'sessionId', 'stationId']);
    Object.assign(q, endedWithin(filter));
    const { items, total } = await findPage(this.Bill, q, filter, { endedAt: -1, billId: -1 });
    return { items: items.map(toBill), total };
  }

  /** What a user's statistics read of their bills whose session ended in [fromMs, toMs) (absent: unbounded). */
  async forStatistics(params: { userId: string; fromMs?: number; toMs?: number }): Promise<StatisticsBill[]> {
    const q = { userId: params.userId, ...endedWithin(params) };
    return this.Bill.find(q, { _id: 0, endedAt: 1, durationMs: 1, energyWms: 1, totalFen: 1 }).lean<StatisticsBill[]>();
  }

  /** The summed fields of a station's bills whose session ended in [fromMs, toMs), optionally of one pile. */
  async forReport(params: ReportParams): Promise<ReportBill[]> {
    const q: Record<string, unknown> = { stationId: params.stationId, endedAt: { $gte: params.fromMs, $lt: params.toMs } };
    if (params.pileNo !== undefined) q.pileNo = params.pileNo;
    return this.Bill.find(q, { _id: 0, pileNo: 1, durationMs: 1, energyWms: 1, energyFeeFen: 1, serviceFeeFen: 1, totalFen: 1 }).lean<ReportBill[]>();
  }
}

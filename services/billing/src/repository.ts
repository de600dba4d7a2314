// Bills in MongoDB: the one insert that makes a bill (with its event in the outbox) and the queries.
import type { Bill, ReportParams } from '@voltq/contracts';
import { outboxEntry, type Envelope } from '@voltq/kit';
import type { ReportBill } from './domain/report.js';
import { toBill, type BillModel, type StoredBill } from './model.js';

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export class BillRepository {
  constructor(private readonly Bill: BillModel) {}

  async bySession(sessionId: string): Promise<Bill | undefined> {
    const found = await this.Bill.findOne({ sessionId }).lean<StoredBill>();
    return found ? toBill(found) : undefined;
  }

  /** The daily sequence of the highest bill number stored for `day` (YYYYMMDD), 0 when none. */
  async highestBillSeq(day: string): Promise<number> {
    const prefix = `B${day}`;
    const top = await this.Bill.findOne({ billNo: { $regex: `^${prefix}\\d{6,}$` } }, { billNo: 1 }).sort({ billNo: -1 }).lean<StoredBill>();
    return top?.billNo ? Number(top.billNo.slice(prefix.length)) : 0;
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

  async list(filter: {
    userId?: string;
    orderId?: string;
    sessionId?: string;
    stationId?: string;
    pageNum: number;
    pageSize: number;
  }): Promise<{ items: Bill[]; total: number }> {
    const q: Record<string, string> = {};
    if (filter.userId !== undefined) q.userId = filter.userId;
    if (filter.orderId !== undefined) q.orderId = filter.orderId;
    if (filter.sessionId !== undefined) q.sessionId = filter.sessionId;
    if (filter.stationId !== undefined) q.stationId = filter.stationId;
    const [found, total] = await Promise.all([
      this.Bill.find(q)
        .sort({ endedAt: -1, billId: -1 })
        .skip((filter.pageNum - 1) * filter.pageSize)
        .limit(filter.pageSize)
        .lean<StoredBill[]>(),
      this.Bill.countDocuments(q),
    ]);
    return { items: found.map(toBill), total };
  }

  /** The summed fields of a station's bills whose session ended in [fromMs, toMs), optionally of one pile. */
  async forReport(params: ReportParams): Promise<ReportBill[]> {
    const q: Record<string, unknown> = { stationId: params.stationId, endedAt: { $gte: params.fromMs, $lt: params.toMs } };
    if (params.pileNo !== undefined) q.pileNo = params.pileNo;
    return this.Bill.find(q, { _id: 0, pileNo: 1, durationMs: 1, energyWms: 1, energyFeeFen: 1, serviceFeeFen: 1, totalFen: 1 }).lean<ReportBill[]>();
  }
}

// Building a bill (详单) from a session that ended: pure. Modelled sessions (constant power over clock time) and
// metered ones (energy per interval) are priced by @voltq/tariff, in exact integers with one half-up rounding.
import type { Bill, SessionEnded } from '@voltq/contracts';
import { feeForConstantPower, feeForIntervals, type FeeBreakdown, type Tariff } from '@voltq/tariff';

/** Prices the session's energy by when each part of it was delivered. */
export function priceSession(session: SessionEnded, tariff: Tariff): FeeBreakdown {
  const { startedAt, endedAt, energyWms, powerW, intervals } = session;
  if (intervals && intervals.length > 0) {
    return feeForIntervals(
      tariff,
      intervals.map((i) => ({ startMs: i.fromMs, endMs: i.toMs, energyWms: i.energyWms })),
    );
  }
  const modelled = feeForConstantPower(tariff, { startMs: startedAt, endMs: endedAt, powerW, maxEnergyWms: energyWms });
  if (modelled.energyWms === energyWms) return modelled;
  // the reported energy is more than the power could deliver in the span: bill what was reported, spread evenly
  // over the span (an instant when the span is empty), rather than lose any of it
  return feeForIntervals(tariff, [{ startMs: startedAt, endMs: Math.max(endedAt, startedAt + 1), energyWms }]);
}

export interface BillIdentity {
  billId: string;
  billNo: string;
  createdAt: number;
}

export function buildBill(session: SessionEnded, tariff: Tariff, id: BillIdentity): Bill {
  const fee = priceSession(session, tariff);
  const bill: Bill = {
    billId: id.billId,
    billNo: id.billNo,
    createdAt: id.createdAt,
    userId: session.userId,
    orderId: session.orderId,
    sessionId: session.sessionId,
    stationId: session.stationId,
    pileNo: session.pileNo,
    queueNo: session.queueNo,
    reason: session.reason,
    powerW: session.powerW,
    energyWms: fee.energyWms,
    durationMs: Math.max(0, session.endedAt - session.startedAt),
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    energyFeeFen: fee.energyFeeFen,
    serviceFeeFen: fee.serviceFeeFen,
    totalFen: fee.totalFen,
    tiers: fee.tiers.map((t) => ({ tier: t.tier, energyWms: t.energyWms, energyFeeFen: t.energyFeeFen })),
  };
  if (session.carId !== undefined) bill.carId = session.carId;
  if (session.mode !== undefined) bill.mode = session.mode;
  // a walk-up session's device, port and how it is paid (the debit is settlement.ts's)
  if (session.deviceId !== undefined) bill.deviceId = session.deviceId;
  if (session.pileId !== undefined) bill.pileId = session.pileId;
  if (session.portNo !== undefined) bill.portNo = session.portNo;
  if (session.paymentMethod !== undefined) bill.paymentMethod = session.paymentMethod;
  return bill;
}

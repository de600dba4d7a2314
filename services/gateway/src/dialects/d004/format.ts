// Document 004's views: the contracts' shapes -> what /api shows (UPPER state names, document 004's numeric codes,
// its field names), with the shared units of core/units.ts. No I/O, unit-tested on its own.
import type { Bill, BoardResult, Report, CarView, ChargeMode, OrderState, OrderView, PileState, PileView, QueueEntryView, StationConfig } from '@voltq/contracts';
import { formatIso } from '@voltq/kit';
import type { ReportPeriod } from '../../core/parse.js';
import { iso, kw, kwh, seconds, yuan, type FormatContext } from '../../core/units.js';

export type { FormatContext };

// ---- states: the contracts' words -> /api's (the only place they meet) ----

/** Order and queue states (a queue entry's states are a subset) as /api shows them. */
export const ORDER_STATE_API: Readonly<Record<OrderState, string>> = {
  waiting: 'WAITING',
  dispatched: 'DISPATCHED',
  charging: 'CHARGING',
  'fault-queued': 'FAULT_QUEUED',
  finished: 'FINISHED',
  cancelled: 'CANCELLED',
  refused: 'REFUSED',
};

/** Pile states as /api shows them. */
export const PILE_STATE_API: Readonly<Record<PileState, string>> = {
  idle: 'IDLE',
  charging: 'CHARGING',
  off: 'OFF',
  fault: 'FAULT',
  offline: 'OFFLINE',
};

/** /api's word for an order state back to the contracts' (undefined for any other word). */
export function orderStateOfApi(word: string): OrderState | undefined {
  return (Object.keys(ORDER_STATE_API) as OrderState[]).find((s) => ORDER_STATE_API[s] === word);
}

/** /api's word for a pile state back to the contracts' (undefined for any other word). */
export function pileStateOfApi(word: string): PileState | undefined {
  return (Object.keys(PILE_STATE_API) as PileState[]).find((s) => PILE_STATE_API[s] === word);
}

/** userId is a decimal counter value ("17"); document 004 prints it as a number. */
export function numericUserId(userId: string): number {
  const n = Number(userId);
  return Number.isSafeInteger(n) ? n : 0;
}

// ---- document 004: orders ----

/** 0 created/waiting, 1 in progress, 2 finished, 3 cancelled, 4 abnormal */
export const ORDER_STATUS_004: Record<OrderState, number> = {
  waiting: 0,
  dispatched: 0,
  charging: 1,
  'fault-queued': 1,
  finished: 2,
  cancelled: 3,
  refused: 4,
};

export function statesFor004Status(status: number): OrderState[] {
  return (Object.keys(ORDER_STATUS_004) as OrderState[]).filter((s) => ORDER_STATUS_004[s] === status);
}

/** 004 stopReason: 1 user stop, 4 stop at the requested energy, 7 other; null while the order runs. */
function stopReason004(order: OrderView): number | null {
  if (order.state === 'finished') return 4;
  if (order.state === 'cancelled') return 1;
  if (order.state === 'refused') return 7;
  return null;
}

/** Charging time over every session, the running one up to now. */
function chargingMs(order: OrderView, nowMs: number): number {
  const running = order.sessions
    .filter((s) => s.endedAt === undefined)
    .reduce((sum, s) => sum + Math.max(0, nowMs - s.startedAt), 0);
  return order.chargingMs + running;
}

/** Device id of a queue-station pile (ARCH: `<stationId>-<pileNo>`); each has one port, "1". */
function pileRef(order: OrderView): { pileId: string | null; pileNo: string | null; portId: string | null; portNo: string | null } {
  if (!order.pileNo) return { pileId: null, pileNo: null, portId: null, portNo: null };
  const pileId = `${order.stationId}-${order.pileNo}`;
  return { pileId, pileNo: order.pileNo, portId: `${pileId}-1`, portNo: '1' };
}

export function orderListItem004(order: OrderView, ctx: FormatContext) {
  const ref = pileRef(order);
  return {
    id: order.orderId,
    orderNo: order.orderNo,
    stationName: order.stationId,
    pileNo: ref.pileNo,
    portNo: ref.portNo,
    amount: yuan(order.requestFeeFen),
    startTime: iso(order.startedAt, ctx.timeZone),
    endTime: iso(order.endedAt, ctx.timeZone),
    powerConsumption: kwh(order.requestChargedWms),
    chargingTime: seconds(chargingMs(order, ctx.nowMs)),
    status: ORDER_STATUS_004[order.state],
    paymentStatus: 0,
  };
}

const TIER_FIELDS = [
  ['sharp', 'sharp'],
  ['peak', 'peak'],
  ['flat', 'flat'],
  ['valley', 'valley'],
  ['deepValley', 'deepValley'],
  ['deep-valley', 'deepValley'],
] as const;

export function orderDetail004(order: OrderView, ctx: FormatContext) {
  const tiers: Record<string, { energyWms: number; feeFen: number }> = {};
  for (const t of order.tiers) {
    const field = TIER_FIELDS.find(([name]) => name === t.tier)?.[1];
    if (!field) continue;
    const acc = (tiers[field] ??= { energyWms: 0, feeFen: 0 });
    acc.energyWms += t.energyWms;
    acc.feeFen += t.energyFeeFen;
  }
  const tier = (field: string) => ({ energy: kwh(tiers[field]?.energyWms ?? 0), amount: yuan(tiers[field]?.feeFen ?? 0) });
  const [sharp, peak, flat, valley, deepValley] = ['sharp', 'peak', 'flat', 'valley', 'deepValley'].map(tier) as [
    ReturnType<typeof tier>, ReturnType<typeof tier>, ReturnType<typeof tier>, ReturnType<typeof tier>, ReturnType<typeof tier>,
  ];
  const ref = pileRef(order);
  return {
    id: order.orderId,
    orderNo: order.orderNo,
    userId: numericUserId(order.userId),
    pileId: ref.pileId,
    pileNo: ref.pileNo,
    portId: ref.portId,
    portNo: ref.portNo,
    stationName: order.stationId,
    amount: yuan(order.requestFeeFen),
    startTime: iso(order.startedAt, ctx.timeZone),
    endTime: iso(order.endedAt, ctx.timeZone),
    powerConsumption: kwh(order.requestChargedWms),
    chargingTime: seconds(chargingMs(order, ctx.nowMs)),
    power: order.powerW === undefined ? null : kw(order.powerW),
    status: ORDER_STATUS_004[order.state],
    paymentStatus: 0,
    paymentMethod: 0,
    paymentTime: null,
    serviceFee: yuan(order.serviceFeeFen),
    totalAmount: yuan(order.requestFeeFen),
    transactionId: null,
    /** 4: by energy (a queue request asks for kWh) */
    chargingMode: 4,
    stopReason: stopReason004(order),
    billingMode: 0,
    sharpElectricity: sharp.energy,
    sharpAmount: sharp.amount,
    peakElectricity: peak.energy,
    peakAmount: peak.amount,
    flatElectricity: flat.energy,
    flatAmount: flat.amount,
    valleyElectricity: valley.energy,
    valleyAmount: valley.amount,
    deepValleyElectricity: deepValley.energy,
    deepValleyAmount: deepValley.amount,
    remark: order.queueNo ? `${order.mode} ${order.queueNo}` : order.mode,
    deviceAddress: ref.pileId,
    updateTime: iso(order.updatedAt, ctx.timeZone) as string,
  };
}

/** `{total, list, pageNum, pageSize, pages}` (document 004's page) */
export function page004<T, U>(page: { items: T[]; total: number; pageNum: number; pageSize: number }, map: (item: T) => U) {
  return {
    total: page.total,
    list: page.items.map(map),
    pageNum: page.pageNum,
    pageSize: page.pageSize,
    pages: page.pageSize > 0 ? Math.ceil(page.total / page.pageSize) : 0,
  };
}

// ---- platform additions ----

/** POST /api/queue/requests */
export function requestCreated(order: OrderView) {
  return {
    orderId: order.orderId,
    queueNo: order.queueNo ?? '',
    state: ORDER_STATE_API[order.state],
    position: order.position ?? 0,
  };
}

/** GET /api/queue/requests/current, PATCH, and the order part of DELETE */
export function requestView(order: OrderView, ctx: FormatContext) {
  const view: {
    orderId: string;
    queueNo: string;
    mode: ChargeMode;
    energyKwh: number;
    state: string;
    carsAhead: number;
    pileNo?: string;
    chargedKwh: number;
    feeYuan: number;
    createdAt: string;
  } = {
    orderId: order.orderId,
    queueNo: order.queueNo ?? '',
    mode: order.mode,
    energyKwh: kwh(order.energyWms),
    state: ORDER_STATE_API[order.state],
    carsAhead: order.position ?? 0,
    chargedKwh: kwh(order.requestChargedWms),
    feeYuan: yuan(order.requestFeeFen),
    createdAt: formatIso(order.createdAt, ctx.timeZone),
  };
  if (order.pileNo !== undefined) view.pileNo = order.pileNo;
  return view;
}

/**
 * The order as it stands once `bill` is counted. Right after a cancel the bill of the stopped session exists
 * (we waited for it) but the order service may not have linked it yet (bill.created is on its way); the answer
 * must still show the fee, and the energy when the session's end was not recorded either.
 */
export function withBill(order: OrderView, bill: Bill): OrderView {
  if (order.billIds.includes(bill.billId)) return order;
  const session = order.sessions.find((s) => s.sessionId === bill.sessionId);
  return {
    ...order,
    requestChargedWms: order.requestChargedWms + (session?.energyWms === undefined ? bill.energyWms : 0),
    energyFeeFen: order.energyFeeFen + bill.energyFeeFen,
    serviceFeeFen: order.serviceFeeFen + bill.serviceFeeFen,
    requestFeeFen: order.requestFeeFen + bill.totalFen,
    billIds: [...order.billIds, bill.billId],
  };
}

/** A bill (详单) at the edge. */
export function billView(bill: Bill, ctx: Pick<FormatContext, 'timeZone'>) {
  return {
    billId: bill.billId,
    billNo: bill.billNo,
    createdAt: formatIso(bill.createdAt, ctx.timeZone),
    orderId: bill.orderId,
    sessionId: bill.sessionId,
    stationId: bill.stationId,
    pileNo: bill.pileNo,
    queueNo: bill.queueNo,
    carId: bill.carId ?? null,
    mode: bill.mode ?? null,
    reason: bill.reason ?? null,
    powerKw: kw(bill.powerW),
    energyKwh: kwh(bill.energyWms),
    durationMs: bill.durationMs,
    startedAt: formatIso(bill.startedAt, ctx.timeZone),
    endedAt: formatIso(bill.endedAt, ctx.timeZone),
    energyFeeYuan: yuan(bill.energyFeeFen),
    serviceFeeYuan: yuan(bill.serviceFeeFen),
    totalYuan: yuan(bill.totalFen),
    tiers: bill.tiers.map((t) => ({ tier: t.tier, energyKwh: kwh(t.energyWms), energyFeeYuan: yuan(t.energyFeeFen) })),
  };
}

/** One car on the admin board (a pile queue place, the waiting area or the fault queue). */
export function boardEntry(entry: QueueEntryView) {
  const view: {
    orderId: string;
    userId: number;
    carId: string | null;
    queueNo: string;
    mode: ChargeMode;
    requestedKwh: number;
    chargedKwh: number;
    remainingKwh: number;
    feeYuan: number;
    state: string;
    carsAhead: number;
    waitingMs: number;
    pileNo?: string;
  } = {
    orderId: entry.orderId,
    userId: numericUserId(entry.userId),
    carId: entry.carId ?? null,
    queueNo: entry.queueNo,
    mode: entry.mode,
    requestedKwh: kwh(entry.energyWms),
    chargedKwh: kwh(entry.sessionChargedWms),
    remainingKwh: kwh(entry.remainingWms),
    feeYuan: yuan(entry.sessionFeeFen),
    state: ORDER_STATE_API[entry.state],
    carsAhead: entry.carsAhead,
    waitingMs: entry.waitingMs ?? 0,
  };
  if (entry.pileNo !== undefined) view.pileNo = entry.pileNo;
  return view;
}

export function pileView(pile: PileView) {
  return {
    stationId: pile.stationId,
    pileNo: pile.pileNo,
    mode: pile.mode,
    state: PILE_STATE_API[pile.state],
    powerKw: kw(pile.powerW),
    ...(pile.faultReason !== undefined ? { faultReason: pile.faultReason } : {}),
    queue: pile.queue.map(boardEntry),
  };
}

export function boardView(board: BoardResult, ctx: Pick<FormatContext, 'timeZone'>) {
  return {
    stationId: board.stationId,
    time: formatIso(board.timeMs, ctx.timeZone),
    piles: board.piles.map(pileView),
    waitingArea: board.waitingArea.map(boardEntry),
    faultQueue: board.faultQueue.map(boardEntry),
  };
}

export function stationConfigView(config: StationConfig) {
  return {
    stationId: config.stationId,
    fastPiles: config.fastPiles,
    slowPiles: config.slowPiles,
    fastPowerKw: kw(config.fastPowerW),
    slowPowerKw: kw(config.slowPowerW),
    waitingAreaSize: config.waitingAreaSize,
    pileQueueLength: config.pileQueueLength,
    faultPolicy: config.faultPolicy,
    dispatchMode: config.dispatchMode,
    ...(config.timeZone ? { timeZone: config.timeZone } : {}),
  };
}

export function clockView(clock: { mode: 'real' | 'scaled' | 'manual'; timeMs: number; speed: number }, ctx: Pick<FormatContext, 'timeZone'>) {
  return { mode: clock.mode, time: formatIso(clock.timeMs, ctx.timeZone), speed: clock.speed };
}

export function carView(car: CarView, ctx: Pick<FormatContext, 'timeZone'>) {
  return {
    carId: car.carId,
    plate: car.plate ?? car.carId,
    capacityKwh: car.capacityWms === undefined ? null : kwh(car.capacityWms),
    createdAt: iso(car.createdAt, ctx.timeZone),
  };
}

/** GET /api/admin/reports: the period as ISO times with offset ([from, to)), exact sums rounded once here. */
export function reportView(
  q: { stationId: string; period: ReportPeriod; fromMs: number; toMs: number },
  report: Report,
  ctx: Pick<FormatContext, 'timeZone'>,
) {
  return {
    stationId: q.stationId,
    period: q.period,
    from: formatIso(q.fromMs, ctx.timeZone),
    to: formatIso(q.toMs, ctx.timeZone),
    rows: report.rows.map((r) => ({
      pileNo: r.pileNo,
      sessions: r.sessions,
      durationMs: r.durationMs,
      energyKwh: kwh(r.energyWms),
      energyFeeYuan: yuan(r.energyFeeFen),
      serviceFeeYuan: yuan(r.serviceFeeFen),
      totalYuan: yuan(r.totalFen),
    })),
  };
}

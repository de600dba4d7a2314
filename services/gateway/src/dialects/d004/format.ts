// Document 004's views: the contracts' shapes -> what /api shows (UPPER state names, document 004's numeric codes,
// its field names), with the shared units of core/units.ts. No I/O, unit-tested on its own.
import type { Bill, BoardResult, Report, CarView, ChargeMode, OrderState, OrderView, PileState, PileView, QueueEntryView, StationConfig, WalkUpSessionView } from '@voltq/contracts';
import { formatIso } from '@voltq/kit';
import type { ReportPeriod } from '../../core/parse.js';
import { orderFigures, type OrderFigures } from './walkup.js';
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

/** The pile and port of an order: a walk-up order's own; a queue-station pile's device id is `<stationId>-<pileNo>`
 * (ARCH) with one port, "1". */
function pileRef(order: OrderView): { pileId: string | null; pileNo: string | null; portId: string | null; portNo: string | null; deviceAddress: string | null } {
  if (order.pileId !== undefined && order.portNo !== undefined) {
    return { pileId: order.pileId, pileNo: order.pileNo ?? null, portId: `${order.pileId}-${order.portNo}`, portNo: String(order.portNo), deviceAddress: order.deviceId ?? order.pileId };
  }
  if (!order.pileNo) return { pileId: null, pileNo: null, portId: null, portNo: null, deviceAddress: null };
  const pileId = `${order.stationId}-${order.pileNo}`;
  return { pileId, pileNo: order.pileNo, portId: `${pileId}-1`, portNo: '1', deviceAddress: pileId };
}

/** What an order view adds to the order: the running figures (walk-up: the live session), the station's name and
 * the payment's moment (a WeChat prepay). */
export interface OrderExtras {
  /** a walk-up order's session (scheduler.walkUpSession) */
  session?: WalkUpSessionView;
  stationName?: string;
  payment?: { paidAt?: number; transactionId?: string };
}

const figuresOf = (order: OrderView, ctx: FormatContext, extras: OrderExtras): OrderFigures => orderFigures(order, extras.session, ctx.nowMs);

/** 004's stopReason of an order: a walk-up order's own code; a queue order's from its end. */
function stopReasonOf(order: OrderView): number | null {
  if (order.stopReasonCode !== undefined) return order.stopReasonCode;
  return order.kind === 'walk-up' ? (order.state === 'refused' ? 7 : null) : stopReason004(order);
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
    paymentStatus: order.paymentStatus ?? 0,
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

export function orderDetail004(order: OrderView, ctx: FormatContext, extras: OrderExtras = {}) {
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
  const f = figuresOf(order, ctx, extras);
  return {
    id: order.orderId,
    orderNo: order.orderNo,
    userId: numericUserId(order.userId),
    pileId: ref.pileId,
    pileNo: ref.pileNo,
    portId: ref.portId,
    portNo: ref.portNo,
    stationName: extras.stationName ?? order.stationId,
    amount: yuan(f.totalFeeFen),
    startTime: iso(order.startedAt, ctx.timeZone),
    endTime: iso(order.endedAt, ctx.timeZone),
    powerConsumption: kwh(f.energyWms),
    chargingTime: seconds(f.durationMs),
    power: f.powerW === null ? null : kw(f.powerW),
    status: ORDER_STATUS_004[order.state],
    paymentStatus: order.paymentStatus ?? 0,
    paymentMethod: order.paymentMethod ?? 0,
    paymentTime: iso(extras.payment?.paidAt, ctx.timeZone),
    serviceFee: yuan(f.serviceFeeFen),
    totalAmount: yuan(f.totalFeeFen),
    transactionId: extras.payment?.transactionId ?? null,
    /** a queue request asks for kWh: 4 (by energy) */
    chargingMode: order.chargingMode ?? 4,
    stopReason: stopReasonOf(order),
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
    remark: order.kind === 'walk-up' ? `walk-up ${order.origin ?? 'app'}` : order.queueNo ? `${order.mode} ${order.queueNo}` : order.mode,
    deviceAddress: ref.deviceAddress,
    updateTime: iso(order.updatedAt, ctx.timeZone) as string,
  };
}

/** `GET /api/order/{id}/status` (004:666-683): the live figures; `currentTime` the platform clock's now. */
export function orderStatus004(order: OrderView, ctx: FormatContext, extras: OrderExtras = {}) {
  const f = figuresOf(order, ctx, extras);
  return {
    id: order.orderId,
    status: ORDER_STATUS_004[order.state],
    paymentStatus: order.paymentStatus ?? 0,
    startTime: iso(order.startedAt, ctx.timeZone),
    endTime: iso(order.endedAt, ctx.timeZone),
    powerConsumption: kwh(f.energyWms),
    chargingTime: seconds(f.durationMs),
    power: f.powerW === null ? 0 : kw(f.powerW),
    amount: yuan(f.totalFeeFen),
    voltage: f.voltageV,
    currentAmpere: f.currentA,
    currentTime: iso(ctx.nowMs, ctx.timeZone) as string,
  };
}

/** `POST /api/order/{id}/stop` (004:745-755). */
export function orderStopped004(order: OrderView, ctx: FormatContext, extras: OrderExtras = {}) {
  const f = figuresOf(order, ctx, extras);
  return {
    orderId: order.orderId,
    status: ORDER_STATUS_004[order.state],
    endTime: iso(order.endedAt, ctx.timeZone),
    powerConsumption: kwh(f.energyWms),
    chargingTime: seconds(f.durationMs),
    amount: yuan(f.totalFeeFen),
  };
}

/** `POST /api/order/create` (004:583-597); `paymentUrl` the pay page of a WeChat prepay ('' without one). */
export function orderCreated004(order: OrderView, ctx: FormatContext, paymentUrl: string, extras: OrderExtras = {}) {
  const f = figuresOf(order, ctx, extras);
  return {
    orderId: order.orderId,
    orderNo: order.orderNo,
    status: ORDER_STATUS_004[order.state],
    paymentStatus: order.paymentStatus ?? 0,
    paymentMethod: order.paymentMethod ?? 0,
    amount: yuan(f.totalFeeFen),
    startTime: iso(order.startedAt, ctx.timeZone),
    paymentUrl,
    deviceAddress: pileRef(order).deviceAddress,
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

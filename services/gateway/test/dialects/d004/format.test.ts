// Document 004's views on their own (dialects/d004/format.ts): document 004's views, the
// platform's request, bill, board, config, clock and report views.
import t from 'tap';
import { OrderState, PileState, QueueState } from '@voltq/contracts';
import {
  billView,
  boardView,
  clockView,
  orderDetail004,
  orderListItem004,
  page004,
  reportView,
  requestCreated,
  requestView,
  stationConfigView,
  ORDER_STATE_API,
  orderStateOfApi,
  PILE_STATE_API,
  pileStateOfApi,
  statesFor004Status,
  withBill,
} from '../../../src/dialects/d004/format.js';
import { bill, board, KWH, order, T0 } from '../../support/fixtures.js';

const tz = 'Asia/Shanghai';
const ctx = { timeZone: tz, nowMs: T0 + 1_800_000 };

t.test('state words at the edge', async (t) => {
  t.equal(ORDER_STATE_API['fault-queued'], 'FAULT_QUEUED');
  t.equal(ORDER_STATE_API.waiting, 'WAITING');
});

t.test('state words: every contract state to /api and back', async (t) => {
  const orderStates = OrderState.anyOf.map((l) => l.const);
  t.same(orderStates.map((s) => ORDER_STATE_API[s]), ['WAITING', 'DISPATCHED', 'CHARGING', 'FAULT_QUEUED', 'FINISHED', 'CANCELLED', 'REFUSED']);
  for (const s of orderStates) t.equal(orderStateOfApi(ORDER_STATE_API[s]), s, `${s} round-trips`);
  for (const s of QueueState.anyOf.map((l) => l.const)) t.equal(orderStateOfApi(ORDER_STATE_API[s]), s, `queue state ${s} round-trips`);
  const pileStates = PileState.anyOf.map((l) => l.const);
  t.same(pileStates.map((s) => PILE_STATE_API[s]), ['IDLE', 'CHARGING', 'OFF', 'FAULT', 'OFFLINE']);
  for (const s of pileStates) t.equal(pileStateOfApi(PILE_STATE_API[s]), s, `${s} round-trips`);
  t.equal(orderStateOfApi('fault-queued'), undefined, 'only /api words map back');
  t.equal(pileStateOfApi('idle'), undefined);
});

t.test('document 004 order status codes both ways', async (t) => {
  t.equal(orderListItem004(order({ state: 'waiting' }), ctx).status, 0);
  t.equal(orderListItem004(order({ state: 'dispatched' }), ctx).status, 0);
  t.equal(orderListItem004(order({ state: 'charging' }), ctx).status, 1);
  t.equal(orderListItem004(order({ state: 'finished' }), ctx).status, 2);
  t.equal(orderListItem004(order({ state: 'cancelled' }), ctx).status, 3);
  t.equal(orderListItem004(order({ state: 'refused' }), ctx).status, 4);
  t.same(statesFor004Status(0), ['waiting', 'dispatched']);
  t.same(statesFor004Status(1), ['charging', 'fault-queued']);
  t.same(statesFor004Status(2), ['finished']);
});

t.test('document 004 order detail: fees, energy, tiers, times, pile', async (t) => {
  const finished = order({
    state: 'finished',
    pileNo: 'F1',
    powerW: 30_000,
    requestChargedWms: Math.round(27.5 * KWH),
    energyFeeFen: 1175,
    serviceFeeFen: 2200,
    requestFeeFen: 3375,
    tiers: [
      { tier: 'valley', energyWms: 25 * KWH, energyFeeFen: 1000 },
      { tier: 'flat', energyWms: Math.round(2.5 * KWH), energyFeeFen: 175 },
    ],
    chargingMs: 3_300_000,
    billIds: ['b-1'],
    sessions: [{ sessionId: 'o-1#1', pileNo: 'F1', powerW: 30_000, startedAt: T0, endedAt: T0 + 3_300_000, energyWms: Math.round(27.5 * KWH), billId: 'b-1' }],
    startedAt: T0,
    endedAt: T0 + 3_300_000,
    updatedAt: T0 + 3_300_500,
  });
  const d = orderDetail004(finished, ctx);
  t.equal(d.id, 'o-1');
  t.equal(d.orderNo, '20250102-0001');
  t.equal(d.userId, 2, 'numeric user id');
  t.equal(d.amount, 33.75);
  t.equal(d.totalAmount, 33.75);
  t.equal(d.serviceFee, 22);
  t.equal(d.powerConsumption, 27.5);
  t.equal(d.chargingTime, 3300);
  t.equal(d.power, 30);
  t.equal(d.valleyElectricity, 25);
  t.equal(d.valleyAmount, 10);
  t.equal(d.flatElectricity, 2.5);
  t.equal(d.flatAmount, 1.75);
  t.equal(d.peakElectricity, 0);
  t.equal(d.deepValleyAmount, 0);
  t.equal(d.startTime, '2025-01-02T10:00:00.000+08:00');
  t.equal(d.endTime, '2025-01-02T10:55:00.000+08:00');
  t.equal(d.updateTime, '2025-01-02T10:55:00.500+08:00');
  t.equal(d.status, 2);
  t.equal(d.stopReason, 4);
  t.equal(d.pileId, 'default-F1');
  t.equal(d.portNo, '1');
  t.equal(d.deviceAddress, 'default-F1');

  const running = order({ state: 'charging', pileNo: 'F1', sessions: [{ sessionId: 'o-1#1', pileNo: 'F1', powerW: 30_000, startedAt: T0 }], startedAt: T0 });
  const r = orderDetail004(running, ctx);
  t.equal(r.chargingTime, 1800, 'a running session counts up to now');
  t.equal(r.endTime, null);
  t.equal(r.stopReason, null);
  const waiting = orderDetail004(order(), ctx);
  t.equal(waiting.pileNo, null);
  t.equal(waiting.power, null);
  t.equal(waiting.startTime, null);
});

t.test('004 pages', async (t) => {
  const p = page004({ items: [order(), order({ orderId: 'o-2' })], total: 21, pageNum: 2, pageSize: 10 }, (o) => o.orderId);
  t.same(p, { total: 21, list: ['o-1', 'o-2'], pageNum: 2, pageSize: 10, pages: 3 });
  t.equal(page004({ items: [], total: 0, pageNum: 1, pageSize: 10 }, (x) => x).pages, 0);
});

t.test('queue request views', async (t) => {
  t.same(requestCreated(order({ position: 3 })), { orderId: 'o-1', queueNo: 'F1', state: 'WAITING', position: 3 });
  const v = requestView(order({ state: 'charging', pileNo: 'F1', position: 0, requestChargedWms: Math.round(12.345 * KWH), requestFeeFen: 2099 }), ctx);
  t.same(v, {
    orderId: 'o-1',
    queueNo: 'F1',
    mode: 'fast',
    energyKwh: 30,
    state: 'CHARGING',
    carsAhead: 0,
    chargedKwh: 12.35,
    feeYuan: 20.99,
    createdAt: '2025-01-02T10:00:00.000+08:00',
    pileNo: 'F1',
  });
  t.notOk('pileNo' in requestView(order(), ctx), 'no pileNo while waiting');
});

t.test('a cancelled order shows the bill of its stopped session even before the order links it', async (t) => {
  const b = bill({ billId: 'b-9', sessionId: 'o-1#2', energyWms: 5 * KWH, energyFeeFen: 500, serviceFeeFen: 400, totalFen: 900 });
  const base = order({ state: 'cancelled', requestChargedWms: 10 * KWH, requestFeeFen: 1800, energyFeeFen: 1000, serviceFeeFen: 800, billIds: ['b-1'],
    sessions: [{ sessionId: 'o-1#1', pileNo: 'F1', powerW: 30_000, startedAt: T0, endedAt: T0 + 1, energyWms: 10 * KWH, billId: 'b-1' }] });
  const unended = withBill(base, b);
  t.equal(unended.requestFeeFen, 2700);
  t.equal(unended.requestChargedWms, 15 * KWH, 'the stopped session was not recorded: its energy comes from the bill');
  t.same(unended.billIds, ['b-1', 'b-9']);
  const recorded = withBill({ ...base, sessions: [...base.sessions, { sessionId: 'o-1#2', pileNo: 'F1', powerW: 30_000, startedAt: T0, endedAt: T0 + 2, energyWms: 5 * KWH }], requestChargedWms: 15 * KWH }, b);
  t.equal(recorded.requestChargedWms, 15 * KWH, 'energy of a recorded session is not counted twice');
  t.equal(withBill({ ...base, billIds: ['b-1', 'b-9'] }, b).requestFeeFen, 1800, 'a linked bill is already in the totals');
});

t.test('bill, board, config and clock views', async (t) => {
  const b = billView(bill(), ctx);
  t.equal(b.totalYuan, 54);
  t.equal(b.energyFeeYuan, 30);
  t.equal(b.serviceFeeYuan, 24);
  t.equal(b.energyKwh, 30);
  t.equal(b.powerKw, 30);
  t.equal(b.startedAt, '2025-01-02T10:00:00.000+08:00');
  t.equal(b.endedAt, '2025-01-02T11:00:00.000+08:00');
  t.same(b.tiers, [{ tier: 'peak', energyKwh: 30, energyFeeYuan: 30 }]);
  t.equal(b.carId, null);

  const v = boardView(board(), ctx);
  t.equal(v.time, '2025-01-02T10:10:00.000+08:00');
  t.equal(v.piles[0]?.state, 'CHARGING');
  t.equal(v.piles[0]?.powerKw, 30);
  t.equal(v.piles[1]?.powerKw, 7);
  t.equal(v.piles[1]?.state, 'FAULT');
  t.match(v.piles[0]?.queue[0], { userId: 2, queueNo: 'F1', requestedKwh: 30, chargedKwh: 5, remainingKwh: 25, feeYuan: 9, state: 'CHARGING', carId: null });
  t.match(v.waitingArea[0], { userId: 3, carId: 'V2', queueNo: 'F2', state: 'WAITING', waitingMs: 60_000 });

  t.same(
    stationConfigView({ stationId: 'default', fastPiles: 2, slowPiles: 3, fastPowerW: 30_000, slowPowerW: 7_500, waitingAreaSize: 10, pileQueueLength: 3, faultPolicy: 'priority', dispatchMode: 'default' }),
    { stationId: 'default', fastPiles: 2, slowPiles: 3, fastPowerKw: 30, slowPowerKw: 7.5, waitingAreaSize: 10, pileQueueLength: 3, faultPolicy: 'priority', dispatchMode: 'default' },
  );
  t.same(clockView({ mode: 'manual', timeMs: T0, speed: 1 }, ctx), { mode: 'manual', time: '2025-01-02T10:00:00.000+08:00', speed: 1 });
});

t.test('report view: the period with offsets, exact sums rounded half-up once', async (t) => {
  const view = reportView(
    { stationId: 'default', period: 'week', fromMs: Date.parse('2024-12-30T00:00:00+08:00'), toMs: Date.parse('2025-01-06T00:00:00+08:00') },
    {
      rows: [
        { pileNo: 'F1', sessions: 3, durationMs: 5_400_000, energyWms: Math.round(40.125 * KWH), energyFeeFen: 2355, serviceFeeFen: 3210, totalFen: 5565 },
        { pileNo: 'T1', sessions: 1, durationMs: 0, energyWms: KWH / 200 - 1, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0 },
      ],
    },
    { timeZone: tz },
  );
  t.same(view, {
    stationId: 'default',
    period: 'week',
    from: '2024-12-30T00:00:00.000+08:00',
    to: '2025-01-06T00:00:00.000+08:00',
    rows: [
      { pileNo: 'F1', sessions: 3, durationMs: 5_400_000, energyKwh: 40.13, energyFeeYuan: 23.55, serviceFeeYuan: 32.1, totalYuan: 55.65 },
      { pileNo: 'T1', sessions: 1, durationMs: 0, energyKwh: 0, energyFeeYuan: 0, serviceFeeYuan: 0, totalYuan: 0 },
    ],
  });
});

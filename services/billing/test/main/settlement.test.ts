// Walk-up bills paid from the balance, over the real bus: the bill of a balance- or WeChat-paid session debits the
// balance by its total (never below zero, the rest owed), once whatever is redelivered; bill.created says what was
// paid; an order's owed amount is paid from the balance or through a WeChat prepay, once; queue bills are untouched.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { SessionEnded } from '@voltq/contracts';
import { startBillingWithWechat } from '../support/wechat.js';

const KWH = 3_600_000_000;
const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00+08:00`);
const TOTAL = 3750; // 30 kWh at 30 kW 06:10-07:10 by the default tariff: 13.50 + 24.00 yuan

const { h, sandbox } = await startBillingWithWechat(t, ['bill.created']);

let n = 0;
function walkUp(userId: string, over: Partial<SessionEnded> = {}): SessionEnded {
  n++;
  return {
    sessionId: `wu${n}-s`, orderId: `wu${n}`, userId, stationId: 'walk', pileNo: 'P1', queueNo: '', mode: 'fast',
    startedAt: at('06:10'), endedAt: at('07:10'), energyWms: 30 * KWH, powerW: 30_000, reason: 'stopped',
    kind: 'walk-up', deviceId: 'dev-1', pileId: 'walk-P1', portNo: 2, origin: 'app', chargingMode: 1, paymentMethod: 3, stopReason: 1, ...over,
  };
}
const balance = async (userId: string) => (await h.bus.call('billing.balance', { userId })).balanceFen;
const entries = async (userId: string) => (await h.bus.call('billing.ledger', { userId, pageNum: 1, pageSize: 50 })).items;
const recharge = (userId: string, amountFen: number) => h.bus.call('billing.recharge', { userId, amountFen, requestId: randomUUID() });
const billed = (sessionId: string) => h.waitFor('bill.created', (e) => e.payload.sessionId === sessionId);
const settle = () => new Promise((r) => setTimeout(r, 400));

t.test('a balance-paid session: the bill debits its total once, bill.created says paid in full', async (t) => {
  await recharge('u1', 5000);
  const s = walkUp('u1');
  const id = randomUUID();
  await h.bus.publish('session.ended', s, { id });
  const created = await billed(s.sessionId);
  t.match(created.payload, { totalFen: TOTAL, paidFen: TOTAL, owedFen: 0, paymentMethod: 3, deviceId: 'dev-1', pileId: 'walk-P1', portNo: 2 });
  t.same(await h.bus.call('billing.getBill', { billId: created.payload.billId, userId: 'u1' }), created.payload, 'the stored bill says the same');
  t.equal(await balance('u1'), 5000 - TOTAL);
  // redelivered, and re-published under new ids at once
  await Promise.all([h.bus.publish('session.ended', s, { id }), h.bus.publish('session.ended', s, { id: randomUUID() }), h.bus.publish('session.ended', s, { id: randomUUID() })]);
  await settle();
  t.equal(await balance('u1'), 5000 - TOTAL, 'debited once');
  const debits = (await entries('u1')).filter((e) => e.kind === 'bill');
  t.same(debits.map((e) => [e.cause, e.amountFen]), [[`bill:${created.payload.billId}`, -TOTAL]]);
  t.equal(h.events.filter((e) => e.type === 'bill.created' && (e.payload as { sessionId: string }).sessionId === s.sessionId).length, 1, 'one bill.created');
  t.same(await h.bus.call('billing.orderPayment', { orderId: s.orderId, userId: 'u1' }), { orderId: s.orderId, billedFen: TOTAL, paidFen: TOTAL, owedFen: 0 });
  await t.rejects(h.bus.call('billing.payOrder', { userId: 'u1', orderId: s.orderId, method: 3, requestId: 'p0' }), { code: 'CONFLICT', details: { resource: 'payment' } }, 'nothing owed');
});

t.test('a balance short of the bill: the whole balance is taken, never below zero, the rest owed and then paid once', async (t) => {
  await recharge('u2', 1000);
  const s = walkUp('u2');
  await h.bus.publish('session.ended', s);
  const created = await billed(s.sessionId);
  t.match(created.payload, { totalFen: TOTAL, paidFen: 1000, owedFen: TOTAL - 1000 });
  t.equal(await balance('u2'), 0);
  t.same(await h.bus.call('billing.orderPayment', { orderId: s.orderId }), { orderId: s.orderId, billedFen: TOTAL, paidFen: 1000, owedFen: TOTAL - 1000 });
  await t.rejects(h.bus.call('billing.orderPayment', { orderId: s.orderId, userId: 'u9' }), { code: 'NOT_FOUND' }, "another user's order");

  const pay = (requestId: string, method: 1 | 2 | 3 = 3) => h.bus.call('billing.payOrder', { userId: 'u2', orderId: s.orderId, method, requestId });
  await t.rejects(pay('p1'), { code: 'CONFLICT', details: { reason: 'BALANCE_LOW' } }, 'the balance is empty');
  await t.rejects(pay('p2', 2), { code: 'VALIDATION', details: { resource: 'payment' } }, 'Alipay');
  await t.rejects(h.bus.call('billing.payOrder', { userId: 'u9', orderId: s.orderId, method: 3, requestId: 'p1' }), { code: 'NOT_FOUND' });
  await recharge('u2', 5000);
  // the same request at once and again, and another request right after: paid once
  const [a, b] = await Promise.all([pay('p3'), pay('p3')]);
  t.match(a, { orderId: s.orderId, method: 3, amountFen: TOTAL - 1000, status: 2, owedFen: 0 });
  t.equal(a.paymentId, b.paymentId, 'one payment');
  t.same(await pay('p3'), a, 'the retry answers the same payment');
  await t.rejects(pay('p4'), { code: 'CONFLICT', details: { resource: 'payment' } }, 'nothing owed any more');
  t.equal(await balance('u2'), 5000 - (TOTAL - 1000));
  t.same(await h.bus.call('billing.orderPayment', { orderId: s.orderId, userId: 'u2' }), { orderId: s.orderId, billedFen: TOTAL, paidFen: TOTAL, owedFen: 0 });
});

t.test('an order owed pays through WeChat: the notify credits and pays the order once, the rest stays in the balance', async (t) => {
  const s = walkUp('u3', { paymentMethod: 1 });
  await h.bus.publish('session.ended', s);
  t.match((await billed(s.sessionId)).payload, { paidFen: 0, owedFen: TOTAL, paymentMethod: 1 }, 'the prepay was never paid: all owed');
  const p = await h.bus.call('billing.payOrder', { userId: 'u3', orderId: s.orderId, method: 1, requestId: 'w1' });
  t.match(p, { orderId: s.orderId, method: 1, amountFen: TOTAL, status: 1, codeUrl: /^weixin:/, owedFen: TOTAL });
  t.same(await h.bus.call('billing.payOrder', { userId: 'u3', orderId: s.orderId, method: 1, requestId: 'w1' }), p, 'the same request: the same payment');
  await t.rejects(h.bus.call('billing.payOrder', { userId: 'u3', orderId: s.orderId, method: 3, requestId: 'w1' }), { code: 'CONFLICT' }, 'the key for another payment');
  const code = /pr=([\w-]+)$/.exec(p.codeUrl!)![1]!;
  const paid = await (await fetch(`${sandbox.url}/sandbox/pay/${code}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twice: true }) })).json() as { notifies: { delivered: boolean }[] };
  t.same(paid.notifies.map((x) => x.delivered), [true, true]);
  t.same(await h.bus.call('billing.orderPayment', { orderId: s.orderId, userId: 'u3' }), { orderId: s.orderId, billedFen: TOTAL, paidFen: TOTAL, owedFen: 0 });
  t.equal(await balance('u3'), 0, 'credited and debited once each');
  t.same((await entries('u3')).map((e) => e.amountFen).sort((x, y) => x - y), [-TOTAL, TOTAL]);
});

t.test('a queue station session is billed as before: no debit, no paid/owed', async (t) => {
  await recharge('u4', 5000);
  const s = walkUp('u4', { kind: undefined, paymentMethod: undefined, deviceId: undefined, pileId: undefined, portNo: undefined, origin: undefined, chargingMode: undefined, stopReason: undefined });
  for (const k of Object.keys(s) as (keyof SessionEnded)[]) if (s[k] === undefined) delete s[k];
  await h.bus.publish('session.ended', s);
  const created = await billed(s.sessionId);
  t.equal(created.payload.totalFen, TOTAL);
  t.equal(created.payload.paidFen, undefined);
  t.equal(created.payload.owedFen, undefined);
  await settle();
  t.equal(await balance('u4'), 5000);
});

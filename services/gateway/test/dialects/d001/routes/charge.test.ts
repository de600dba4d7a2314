// 001's charge socket /user/charge over real sockets: fake auth (real tokens), fake order/billing on the test's bus,
// the platform's events published on that bus. Opening queues, the events become 001 frames, the end settles with
// the bills and closes 1000; refusals are a {code: -1} frame and a close; a dropped socket keeps the request.
import t from 'tap';
import { rpcSchemas, type MessagePayload, type MessageType } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { PUSH_CLOSE } from '../../../../src/core/push-hub.js';
import { CHARGE_CLOSE } from '../../../../src/dialects/d001/routes/charge.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { bill, KWH, T0 } from '../../../support/fixtures.js';
import { openSocket, type Client } from '../../../../../../test/support/ws-client.js';

const h = await startServiceHarness({
  label: 'gwd001c',
  busName: 'gateway-d001-charge-test',
  queues: [...Object.keys(rpcSchemas).map((method) => `rpc.${method}`), 'gateway.transient'],
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const gateway = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const http = gateway.ctx.http;
const publish = <K extends MessageType>(type: K, payload: MessagePayload<K>) => h.bus.publish(type, payload);

async function register(username: string): Promise<string> {
  const res = await http.inject({ method: 'POST', url: `/register?${new URLSearchParams({ username, password: `${username}-password`, code: '1' }).toString()}` });
  return res.json().token as string;
}

function charge(query: Record<string, string>): Client {
  return openSocket(`${gateway.address}/user/charge?${new URLSearchParams(query).toString()}`);
}

/** The order the fakes hold for the socket's opening answer. */
function orderOf(queueNo: string) {
  const o = [...fakes.orders.values()].find((x) => x.queueNo === queueNo);
  if (!o) throw new Error(`no order ${queueNo}`);
  return o;
}

t.test('open, revise, called, started, stopped, settled with the bill, closed', async (t) => {
  const token = await register('amy001');
  const c = charge({ token, mode: 'fast', quantity: '20' });
  const opening = await c.next((f) => f.type === 'queued');
  t.match(opening, { code: 200, msg: '您已经成功进入队列，请等待', queueNo: /^F\d+$/, mode: 'fast', quantity: 20, state: 'waiting' });
  const order = orderOf(opening.queueNo);
  t.equal(order.energyWms, 20 * KWH, 'the request is queued with the quantity in kWh');

  c.send({ operation: 'revise', mode: 'common', quantity: 15.5 });
  const revised = await c.next((f) => f.type === 'revise');
  t.match(revised, { code: 200, msg: '修改成功', queueNo: /^T\d+$/ });
  t.equal(order.mode, 'slow', 'common is the slow mode');
  t.equal(order.energyWms, 15.5 * KWH);
  c.send({ operation: 'revise', mode: 'quick' });
  t.match(await c.next((f) => f.type === 'revise' && f.queueNo.startsWith('F')), { code: 200 }, 'quick is the fast mode (001:151)');

  const ref = { orderId: order.orderId, userId: order.userId, stationId: 'default' };
  const sessionId = `${order.orderId}#1`;
  await publish('order.dispatched', { ...ref, queueNo: order.queueNo!, pileNo: 'T2', place: 0, dispatchedAt: T0 });
  t.match(await c.next((f) => f.type === 'call'), { code: 200, stationId: 102, place: 0, msg: /102/ }, 'the call names the pile by its integer id');
  await publish('session.started', { ...ref, sessionId, pileNo: 'T2', queueNo: order.queueNo!, mode: 'slow', powerW: 10_000, targetEnergyWms: 15 * KWH, startedAt: T0 });
  t.match(await c.next((f) => f.type === 'start'), { code: 200, stationId: 102, startTime: '2025-01-02 10:00:00' });
  await publish('session.ended', { ...ref, sessionId, pileNo: 'T2', queueNo: order.queueNo!, startedAt: T0, endedAt: T0 + 5_400_000, energyWms: 15 * KWH, powerW: 10_000, reason: 'completed' });
  t.match(await c.next((f) => f.type === 'stop'), { code: 200, quantity: 15, endTime: '2025-01-02 11:30:00', reason: 'completed' });
  const sessionBill = bill({ billId: 'b-amy', billNo: 'B20250102-0042', userId: order.userId, orderId: order.orderId, sessionId, pileNo: 'T2', energyWms: 15 * KWH, durationMs: 5_400_000, startedAt: T0, endedAt: T0 + 5_400_000, energyFeeFen: 1501, serviceFeeFen: 1200, totalFen: 2701 });
  await publish('bill.created', sessionBill);
  await publish('order.finished', { ...ref, queueNo: order.queueNo!, energyWms: 15 * KWH, finishedAt: T0 + 5_400_000 });

  const settled = await c.next((f) => f.type === 'settlement');
  t.match(settled, {
    code: 200, state: 'finished', complete: true, stationId: 102, quantity: 15, timeOfUse: 1.5,
    startTime: '2025-01-02 10:00:00', endTime: '2025-01-02 11:30:00', costOfCharge: 15.01, costOfService: 12, cost: 27.01,
  });
  t.same(settled.bills, [{ id: 202501020042, stationId: 102, quantity: 15, timeOfUse: 1.5, startTime: '2025-01-02 10:00:00', endTime: '2025-01-02 11:30:00', costOfCharge: 15.01, costOfService: 12, cost: 27.01 }]);
  t.same(await c.closed, { code: CHARGE_CLOSE.settled, reason: 'settled' }, 'closed after settlement');
  t.same(c.frames.map((f) => f.type), ['queued', 'revise', 'revise', 'call', 'start', 'stop', 'settlement'], 'in event order');
  t.equal(fakes.count('billing.sessionBill'), 0, 'a pushed bill is not asked for again');
});

t.test("a bill made after the order's end is waited for; another order's events are not pushed", async (t) => {
  const token = await register('ben001');
  const c = charge({ token, mode: 'common', quantity: '5' });
  const order = orderOf((await c.next((f) => f.type === 'queued')).queueNo);
  const ref = { orderId: order.orderId, userId: order.userId, stationId: 'default' };
  await publish('order.dispatched', { orderId: 'o-other', userId: order.userId, stationId: 'default', queueNo: 'T99', pileNo: 'T1', place: 1, dispatchedAt: T0 });
  const sessionId = `${order.orderId}#1`;
  await publish('session.started', { ...ref, sessionId, pileNo: 'T1', queueNo: order.queueNo!, mode: 'slow', powerW: 10_000, targetEnergyWms: 5 * KWH, startedAt: T0 });
  await c.next((f) => f.type === 'start');
  await publish('order.finished', { ...ref, queueNo: order.queueNo!, energyWms: 5 * KWH, finishedAt: T0 + 1_800_000 });
  // billing makes the bill a little later and the event never reaches this gateway: the socket asks billing
  setTimeout(() => fakes.bills.set('b-ben', bill({ billId: 'b-ben', userId: order.userId, orderId: order.orderId, sessionId, energyWms: 5 * KWH, totalFen: 900, energyFeeFen: 500, serviceFeeFen: 400 })), 300);
  const settled = await c.next((f) => f.type === 'settlement');
  t.match(settled, { code: 200, complete: true, quantity: 5, cost: 9, bills: [{ cost: 9 }] });
  t.equal((await c.closed).code, CHARGE_CLOSE.settled);
  t.notOk(c.frames.some((f) => f.type === 'call'), "another order's call is not this socket's");
});

t.test('a second socket of a user with a live request re-attaches to it; a dropped socket keeps the request', async (t) => {
  const token = await register('cal001');
  const first = charge({ token, mode: 'fast', quantity: '10' });
  const queued = await first.next((f) => f.type === 'queued');
  first.ws.close();
  await first.closed;
  const requests = fakes.count('order.request');
  const second = charge({ token, mode: 'common', quantity: '99' });
  const again = await second.next((f) => f.type === 'queued');
  t.match(again, { code: 200, msg: '您已在队列中，请等待', queueNo: queued.queueNo, mode: 'fast', quantity: 10 }, 'the live request, unchanged');
  t.equal(fakes.count('order.request'), requests, 'no second request');
  t.equal(fakes.count('order.cancel'), 0, 'closing a socket cancels nothing');

  second.send({ operation: 'cancel' });
  t.match(await second.next((f) => f.type === 'cancel'), { code: 200, msg: '取消成功' });
  const order = orderOf(queued.queueNo);
  t.equal(order.state, 'cancelled');
  await publish('order.cancelled', { orderId: order.orderId, userId: order.userId, stationId: 'default', queueNo: order.queueNo!, cancelledAt: T0 });
  t.match(await second.next((f) => f.type === 'settlement'), { code: 200, state: 'cancelled', quantity: 0, cost: 0, bills: [] });
  t.equal((await second.closed).code, CHARGE_CLOSE.settled);
});

t.test('client frames that are not commands get a -1 frame and the socket stays open', async (t) => {
  const token = await register('dee001');
  const c = charge({ token, mode: 'fast', quantity: '10' });
  await c.next((f) => f.type === 'queued');
  const order = orderOf(c.frames[0].queueNo);
  for (const [frame, why] of [
    ['not json', /not JSON/],
    [{ operation: 'explode' }, /unknown operation/],
    [{ operation: 'revise' }, /mode and\/or a quantity/],
    [{ operation: 'revise', mode: 'turbo' }, /mode must be/],
    [{ operation: 'revise', quantity: -3 }, /quantity/],
    [{ operation: 'revise', mode: 'fast', extra: 1 }, /unknown field extra/],
  ] as const) {
    const before = c.frames.length;
    c.send(frame);
    const answer = await c.next((f) => c.frames.indexOf(f) >= before);
    t.match(answer, { code: -1, msg: why }, JSON.stringify(frame));
  }
  t.equal(order.energyWms, 10 * KWH, 'nothing changed');
  t.equal(c.ws.readyState, c.ws.OPEN);
  order.state = 'charging';
  c.send({ operation: 'revise', quantity: 20 });
  t.match(await c.next((f) => f.type === 'revise'), { code: -1, msg: String }, 'a charging request cannot change (rule 4): said in a -1 frame');
});

t.test('refused openings: a -1 frame, then the close', async (t) => {
  const token = await register('eli001');
  const cases: [string, Record<string, string>, number, RegExp][] = [
    ['no token', { mode: 'fast', quantity: '10' }, PUSH_CLOSE.unauthorized, /missing token/],
    ['a bad token', { token: 'not-a-jwt', mode: 'fast', quantity: '10' }, PUSH_CLOSE.unauthorized, /unauthorized/],
    ['an unknown mode', { token, mode: 'turbo', quantity: '10' }, CHARGE_CLOSE.refused, /mode/],
    ['no quantity', { token, mode: 'fast' }, CHARGE_CLOSE.refused, /quantity/],
    ['a zero quantity', { token, mode: 'fast', quantity: '0' }, CHARGE_CLOSE.refused, /quantity/],
    ['an unknown parameter', { token, mode: 'fast', quantity: '1', colour: 'red' }, CHARGE_CLOSE.refused, /colour|additional/],
  ];
  const requests = fakes.count('order.request');
  for (const [name, query, code, why] of cases) {
    const c = charge(query);
    const closed = await c.closed;
    t.equal(closed.code, code, `${name}: closed with ${code}`);
    t.match(c.frames, [{ code: -1, type: 'queued', msg: why }], `${name}: one -1 frame says why`);
  }
  t.equal(fakes.count('order.request'), requests, 'nothing was requested');
});

t.test('a full waiting area: the opening is refused with a -1 frame that says so, nothing stored', async (t) => {
  // a gateway whose station is 'full' (the fakes answer WAITING_AREA_FULL for it)
  const full = h.add(await runService({ ...gatewayService, env: h.env({ DEFAULT_STATION_ID: 'full' }), exit: false }));
  const token = await register('fay001');
  const orders = fakes.orders.size;
  const c = openSocket(`${full.address}/user/charge?${new URLSearchParams({ token, mode: 'fast', quantity: '10' }).toString()}`);
  t.equal((await c.closed).code, CHARGE_CLOSE.refused);
  t.match(c.frames, [{ code: -1, type: 'queued', msg: /full/ }]);
  t.equal(fakes.orders.size, orders, 'no order stored');
});

t.test('a plain GET is told to upgrade; OpenAPI names the socket under 001', async (t) => {
  const res = await http.inject({ url: '/user/charge' });
  t.equal(res.statusCode, 426);
  t.match(res.json(), { code: -1, msg: /WebSocket/ });
  const spec = (await http.inject({ url: '/docs/json' })).json();
  t.same(spec.paths['/user/charge'].get.tags, ['001']);
});

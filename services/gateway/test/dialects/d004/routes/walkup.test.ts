// Document 004's walk-up orders (004:566-757), order payment (004:761-789) and charging control (004:1089-1288)
// against stand-in order, scheduler, device-bridge and billing RPCs on the test's bus (support/fake-walkup.ts):
// exact limits, 004's fields, the live figures while charging, and every refusal code that applies.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { serveWalkUpFakes } from '../../../support/fake-walkup.js';
import { KWH, order } from '../../../support/fixtures.js';

const h = await startServiceHarness({ label: 'gw004w', busName: 'gateway-d004-walkup-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const walk = serveWalkUpFakes(h.bus, fakes);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function call(method: 'GET' | 'POST', url: string, token?: string, payload?: object, headers: Record<string, string> = {}) {
  const res = await http.inject({ method, url, ...(payload ? { payload } : {}), headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { status: res.statusCode, body: res.json() };
}
const register = async (username: string) => (await call('POST', '/api/user/register', undefined, { username, password: 'walk-password' })).body.data as { token: string; userId: number };
const alice = await register('alice004w');
const bob = await register('bob004w');
const admin = (await call('POST', '/api/admin/login', undefined, { username: 'admin', password: 'admin-pass-1' })).body.data.token as string;
const keys = (o: object) => Object.keys(o).sort();
const create = (body: object, token = alice.token, headers: Record<string, string> = {}) => call('POST', '/api/order/create', token, body, headers);
/** Frees the port of an order the fake started (as a stop would). */
const free = (portNo: number) => Object.assign(walk.devices.get('IMEI001')!.portStates[portNo - 1]!, { status: 1, orderId: undefined });

const CREATED = ['orderId', 'orderNo', 'status', 'paymentStatus', 'paymentMethod', 'amount', 'startTime', 'paymentUrl', 'deviceAddress'].sort();
const DETAIL = ['id', 'orderNo', 'userId', 'pileId', 'pileNo', 'portId', 'portNo', 'stationName', 'amount', 'startTime', 'endTime', 'powerConsumption', 'chargingTime', 'power', 'status', 'paymentStatus', 'paymentMethod', 'paymentTime', 'serviceFee', 'totalAmount', 'transactionId', 'chargingMode', 'stopReason', 'billingMode', 'sharpElectricity', 'sharpAmount', 'peakElectricity', 'peakAmount', 'flatElectricity', 'flatAmount', 'valleyElectricity', 'valleyAmount', 'deepValleyElectricity', 'deepValleyAmount', 'remark', 'deviceAddress', 'updateTime'].sort();
const STATUS = ['id', 'status', 'paymentStatus', 'startTime', 'endTime', 'powerConsumption', 'chargingTime', 'power', 'amount', 'voltage', 'currentAmpere', 'currentTime'].sort();
const STOPPED = ['orderId', 'status', 'endTime', 'powerConsumption', 'chargingTime', 'amount'].sort();
const PAID = ['paymentId', 'orderId', 'paymentStatus', 'paymentMethod', 'amount', 'paymentUrl', 'qrCodeUrl'].sort();

t.test('create: exact limits to the order service, 004 fields back', async (t) => {
  const res = await create({ pileId: 'walk-P1', portId: 'walk-P1-1', chargingMode: 2, chargingParameter: 0.07, paymentMethod: 3 });
  t.equal(res.status, 200);
  t.same(keys(res.body.data), CREATED);
  t.same(fakes.last('order.createWalkUp'), { userId: String(alice.userId), pileId: 'walk-P1', portNo: 1, chargingMode: 2, limitFeeFen: 7, paymentMethod: 3 }, '0.07 yuan is 7 fen exactly');
  t.match(res.body.data, { status: 1, paymentStatus: 0, paymentMethod: 3, amount: 0, startTime: '2025-01-02T10:00:00.000+08:00', paymentUrl: '', deviceAddress: 'IMEI001' });
  free(1);
  await create({ pileId: 'IMEI001', portId: '2', chargingMode: 3, chargingParameter: 90.5, paymentMethod: 3 });
  t.match(fakes.last('order.createWalkUp'), { pileId: 'IMEI001', portNo: 2, limitDurationMs: 5_430_000 }, 'minutes to ms, a bare port number');
  free(2);
  await create({ pileId: 'walk-P1', portId: 'walk-P1-2', chargingMode: 4, chargingParameter: 12.345678, paymentMethod: 3 });
  t.match(fakes.last('order.createWalkUp'), { limitEnergyWms: 12_345_678 * 3600 }, 'kWh to Wms exactly');
  free(2);
  const full = await create({ pileId: 'walk-P1', portId: 'walk-P1-2', chargingMode: 1, chargingParameter: 0, paymentMethod: 1 });
  t.notOk('limitFeeFen' in fakes.last('order.createWalkUp')! || 'limitEnergyWms' in fakes.last('order.createWalkUp')!, 'mode 1 takes no limit');
  t.match(full.body.data, { paymentMethod: 1, paymentUrl: '/api/payment/wechat/pay?paymentId=PAY00000004' }, "the WeChat prepay's pay page");
  free(2);
});

t.test('create: Idempotency-Key answers the same order', async (t) => {
  const a = await create({ pileId: 'walk-P1', portId: 'walk-P1-2', chargingMode: 1, paymentMethod: 3 }, alice.token, { 'idempotency-key': 'k-1' });
  const b = await create({ pileId: 'walk-P1', portId: 'walk-P1-2', chargingMode: 1, paymentMethod: 3 }, alice.token, { 'idempotency-key': 'k-1' });
  t.equal(a.body.data.orderId, b.body.data.orderId);
  t.equal(fakes.last('order.createWalkUp')?.idempotencyKey, 'k-1');
  free(2);
});

t.test('create: refusals', async (t) => {
  const before = fakes.count('order.createWalkUp');
  const base = { pileId: 'walk-P1', portId: 'walk-P1-1', chargingMode: 2, chargingParameter: 10, paymentMethod: 3 };
  for (const body of [
    { ...base, chargingMode: 5 },
    { ...base, chargingParameter: undefined },
    { ...base, chargingParameter: 10.001 },
    { ...base, chargingParameter: 0 },
    { ...base, chargingMode: 4, chargingParameter: 1.0000001 },
    { ...base, paymentMethod: 4 },
    { ...base, portId: 'walk-P2-1' },
    { ...base, extra: 1 },
  ]) t.match(await create(body), { status: 400, body: { code: 9001 } }, JSON.stringify(body));
  t.match(await create({ ...base, portId: 'x' }), { status: 404, body: { code: 2003 } }, 'no port id');
  t.match(await create(base, ''), { status: 401, body: { code: 9002 } });
  t.equal(fakes.count('order.createWalkUp'), before, 'the order service was not asked');
  t.match(await create({ ...base, portId: 'walk-P1-9' }), { status: 404, body: { code: 2003 } }, 'unknown port');
  t.match(await create({ ...base, pileId: 'nope', portId: '1' }), { status: 404, body: { code: 2002 } }, 'unknown pile');
  t.match(await create({ ...base, pileId: 'walk-P2', portId: '1' }), { status: 400, body: { code: 2004, data: { reason: 'PILE_OFFLINE' } } });
  t.match(await create({ ...base, portId: 'walk-P1-3' }), { status: 400, body: { code: 2006 } }, 'port fault');
  await create(base);
  t.match(await create(base, bob.token), { status: 400, body: { code: 2005 } }, 'port occupied');
  free(1);
  t.match(await create({ ...base, paymentMethod: 2 }), { status: 400, body: { code: 4001 } }, 'Alipay');
  t.match(await create({ ...base, chargingParameter: 0.01 }), { status: 400, body: { code: 3005, data: { reason: 'START_REFUSED' } } }, 'the pile refused the start: the order could not be made');
  walk.poor.add(String(bob.userId));
  t.match(await create(base, bob.token), { status: 400, body: { code: 1005 } }, 'balance too low');
  walk.poor.delete(String(bob.userId));
});

t.test("a charging walk-up order: detail, live status, stop, each the caller's only", async (t) => {
  const made = (await create({ pileId: 'walk-P1', portId: 'walk-P1-1', chargingMode: 1, paymentMethod: 1 })).body.data;
  const id = made.orderId as string;
  const detail = await call('GET', `/api/order/${id}`, alice.token);
  t.equal(detail.status, 200);
  t.same(keys(detail.body.data), DETAIL);
  t.match(detail.body.data, {
    id, userId: alice.userId, pileId: 'walk-P1', pileNo: 'P1', portId: 'walk-P1-1', portNo: '1', stationName: '步行充电站', status: 1,
    amount: 3.75, serviceFee: 2, totalAmount: 3.75, powerConsumption: 2.5, chargingTime: 1230, power: 6.6, chargingMode: 1, paymentMethod: 1,
    paymentTime: '2025-01-02T09:59:55.000+08:00', transactionId: '4200009', stopReason: null, deviceAddress: 'IMEI001',
  });
  const live = await call('GET', `/api/order/${id}/status`, alice.token);
  t.same(keys(live.body.data), STATUS);
  t.match(live.body.data, { id, status: 1, powerConsumption: 2.5, chargingTime: 1230, power: 6.6, amount: 3.75, voltage: 220.5, currentAmpere: 30 });
  t.match(await call('GET', `/api/order/${id}`, bob.token), { status: 404, body: { code: 3001 } });
  t.match(await call('GET', `/api/order/${id}/status`, bob.token), { status: 404, body: { code: 3001 } });
  t.match(await call('POST', `/api/order/${id}/stop`, bob.token, { stopReason: 1 }), { status: 404, body: { code: 3001 } });
  t.match(await call('POST', `/api/order/${id}/stop`, alice.token, { stopReason: 8 }), { status: 400, body: { code: 9001 } });

  const stopped = await call('POST', `/api/order/${id}/stop`, alice.token, { stopReason: 1 });
  t.equal(stopped.status, 200);
  t.same(keys(stopped.body.data), STOPPED);
  t.same(stopped.body.data, { orderId: id, status: 2, endTime: '2025-01-02T10:30:00.000+08:00', powerConsumption: 3, chargingTime: 1800, amount: 4.5 });
  t.same(fakes.last('order.stop'), { orderId: id, userId: String(alice.userId), stopReason: 1 });
  t.match((await call('GET', `/api/order/${id}`, alice.token)).body.data, { status: 2, stopReason: 1 });
  t.match(await call('POST', `/api/order/${id}/stop`, alice.token, { stopReason: 1 }), { status: 400, body: { code: 3003 } }, 'finished');
});

t.test('queue-station orders in the same views', async (t) => {
  fakes.orders.set('q-1', order({ orderId: 'q-1', userId: String(alice.userId), state: 'waiting' }));
  fakes.orders.set('q-2', order({ orderId: 'q-2', userId: String(alice.userId), state: 'cancelled', requestFeeFen: 1234, requestChargedWms: 5 * KWH, endedAt: Date.parse('2025-01-02T11:00:00+08:00') }));
  t.match((await call('GET', '/api/order/q-2', alice.token)).body.data, { stationName: 'VoltQ 北邮充电站', amount: 12.34, chargingMode: 4, stopReason: 1, pileId: null });
  t.match((await call('GET', '/api/order/q-2/status', alice.token)).body.data, { status: 3, amount: 12.34, powerConsumption: 5, voltage: 0 });
  t.match(await call('POST', '/api/order/q-1/stop', alice.token, { stopReason: 1 }), { status: 400, body: { code: 3002 } }, 'waiting: nothing to stop');
  t.match(await call('POST', '/api/order/q-2/stop', alice.token, { stopReason: 1 }), { status: 400, body: { code: 3004 } }, 'cancelled');
});

t.test('pay what an order owes', async (t) => {
  fakes.orders.set('q-3', order({ orderId: 'q-3', userId: String(alice.userId), state: 'finished' }));
  walk.owedFen.set('q-3', 1234);
  const wechat = await call('POST', '/api/payment/pay', alice.token, { orderId: 'q-3', paymentMethod: 1 });
  t.same(keys(wechat.body.data), PAID);
  t.same(wechat.body.data, { paymentId: 'PAYOq-3', orderId: 'q-3', paymentStatus: 1, paymentMethod: 1, amount: 12.34, paymentUrl: '/api/payment/wechat/pay?paymentId=PAYOq-3', qrCodeUrl: 'weixin://wxpay/bizpayurl?pr=q-3' });
  t.ok(fakes.last('billing.payOrder')?.requestId, 'a fresh request id');
  await call('POST', '/api/payment/pay', alice.token, { orderId: 'q-3', paymentMethod: 3 }, { 'idempotency-key': 'pay-1' });
  t.match(fakes.last('billing.payOrder'), { method: 3, requestId: 'pay-1', userId: String(alice.userId) });
  t.match(await call('POST', '/api/payment/pay', alice.token, { orderId: 'q-3', paymentMethod: 3 }), { status: 400, body: { code: 4003 } }, 'nothing owed');
  walk.owedFen.set('q-3', 500);
  walk.poor.add(String(alice.userId));
  t.match(await call('POST', '/api/payment/pay', alice.token, { orderId: 'q-3', paymentMethod: 3 }), { status: 400, body: { code: 1005 } });
  walk.poor.delete(String(alice.userId));
  t.match(await call('POST', '/api/payment/pay', alice.token, { orderId: 'q-3', paymentMethod: 2 }), { status: 400, body: { code: 4001 } });
  const asked = fakes.count('billing.payOrder');
  t.match(await call('POST', '/api/payment/pay', bob.token, { orderId: 'q-3', paymentMethod: 3 }), { status: 404, body: { code: 3001 } }, "another user's order");
  t.equal(fakes.count('billing.payOrder'), asked, 'billing was not asked');
});

t.test('an order that owed money when billed shows as paid once billing says so', async (t) => {
  fakes.orders.set('w-owed', order({ orderId: 'w-owed', userId: String(alice.userId), state: 'finished', kind: 'walk-up', paymentMethod: 3, paidFen: 100, owedFen: 250, paymentStatus: 0 }));
  walk.owedFen.set('w-owed', 250);
  t.match((await call('GET', '/api/order/w-owed', alice.token)).body.data, { paymentStatus: 0 }, 'still owing');
  walk.owedFen.set('w-owed', 0); // paid through /api/payment/pay meanwhile
  t.match((await call('GET', '/api/order/w-owed', alice.token)).body.data, { paymentStatus: 1 }, 'paid');
  t.match((await call('GET', '/api/order/w-owed/status', alice.token)).body.data, { paymentStatus: 1 });
});

t.test('charging control by order: start answers the state, stop stops', async (t) => {
  const id = (await create({ pileId: 'walk-P1', portId: 'walk-P1-1', chargingMode: 1, paymentMethod: 3 })).body.data.orderId as string;
  const started = await call('POST', '/api/ChargingPile/start', alice.token, { orderId: id, deviceAddress: 'IMEI001' });
  t.same(started.body.data, { success: true, orderId: id, status: 1 });
  t.match(await call('POST', '/api/ChargingPile/start', alice.token, { orderId: id, deviceAddress: 'CP002' }), { status: 404, body: { code: 3001 } }, 'not on that device');
  t.match(await call('POST', '/api/ChargingPile/start', bob.token, { orderId: id, deviceAddress: 'IMEI001' }), { status: 404, body: { code: 3001 } });

  const status = await call('GET', '/api/ChargingPile/status?deviceAddress=IMEI001', alice.token);
  t.same(keys(status.body.data), ['deviceAddress', 'ports', 'status']);
  t.same(keys(status.body.data.ports[0]), ['currentAmpere', 'currentOrderId', 'electricity', 'portNo', 'power', 'status', 'temperature', 'voltage']);
  t.match(status.body.data.ports[0], { portNo: '1', status: 2, voltage: 220.5, currentAmpere: 30, power: 6.6, electricity: 2.5, currentOrderId: id });
  t.equal((await call('GET', '/api/ChargingPile/status?deviceAddress=IMEI001&portNo=1', bob.token)).body.data.ports[0].currentOrderId, null, "not bob's order");
  t.match(await call('GET', '/api/ChargingPile/status?deviceAddress=IMEI001&portNo=7', alice.token), { status: 404, body: { code: 2003 } });
  t.match(await call('GET', '/api/ChargingPile/status?deviceAddress=NOPE', alice.token), { status: 404, body: { code: 2002 } });

  const detailed = await call('GET', '/api/ChargingPile/IMEI001/status?port=1', alice.token);
  t.same(keys(detailed.body.data), ['chargingTime', 'current', 'deviceAddress', 'electricity', 'orderId', 'port', 'power', 'status', 'temperature', 'updateTime', 'voltage']);
  t.match(detailed.body.data, { deviceAddress: 'IMEI001', port: 1, status: 2, current: 30, chargingTime: 1230, orderId: id });
  t.equal((await call('GET', '/api/ChargingPile/IMEI001/status', bob.token)).body.data.orderId, null);

  t.same((await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { port: 1, orderId: id, startMode: 2 })).body.data, { message: '启动充电命令已发送' });
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { port: 2, orderId: id, startMode: 2 }), { status: 404, body: { code: 3001 } }, 'another port');
  const stopped = await call('POST', '/api/ChargingPile/stop', alice.token, { orderId: id, deviceAddress: 'IMEI001', stopReason: 1 });
  t.same(stopped.body.data, { success: true, orderId: id, status: 2 });
  t.same((await call('POST', '/api/ChargingPile/start', alice.token, { orderId: id, deviceAddress: 'IMEI001' })).body.data, { success: false, orderId: id, status: 2 }, 'no re-start: its state');
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { port: 1, orderId: id, startMode: 2 }), { status: 400, body: { code: 3002 } });
});

t.test('the detailed stop: by order, or the one on the port', async (t) => {
  const id = (await create({ pileId: 'walk-P1', portId: 'walk-P1-2', chargingMode: 1, paymentMethod: 3 })).body.data.orderId as string;
  t.match(await call('POST', '/api/ChargingPile/IMEI001/stop', bob.token, { port: 2 }), { status: 404, body: { code: 3001 } }, "bob cannot stop alice's session");
  t.match(await call('POST', '/api/ChargingPile/IMEI001/stop', alice.token, { port: 1 }), { status: 400, body: { code: 5004 } }, 'nothing charging there');
  t.same((await call('POST', '/api/ChargingPile/IMEI001/stop', alice.token, { port: 2, stopReason: 7 })).body.data, { message: '停止充电命令已发送' });
  t.same(fakes.last('order.stop'), { orderId: id, userId: String(alice.userId), stopReason: 7 });
});

t.test('the detailed start with a card: the caller\'s card to the pile, its answer awaited', async (t) => {
  t.equal((await call('POST', '/api/user/cards', alice.token, { cardId: 'RFID-A1' })).status, 200);
  const ok = await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { port: 2, startMode: 1, cardId: 'rfid-a1', chargingMode: 4, chargingParam: 1050, availableAmount: 0 });
  t.same(ok.body, { code: 0, message: 'success', data: { message: '启动充电命令已发送' } });
  const sent = walk.pile.commands.at(-1)!;
  t.match(sent, { deviceId: 'IMEI001', control: { command: 'start', portNo: 2, idTag: 'RFID-A1', targetEnergyWms: 10.5 * KWH } });
  t.ok((sent.control as { sessionId?: string }).sessionId, 'a session id');
  const count = walk.pile.commands.length;
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', bob.token, { startMode: 1, cardId: 'RFID-A1' }), { status: 404 }, "alice's card is not bob's");
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { startMode: 1 }), { status: 400, body: { code: 9001 } }, 'no card');
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { startMode: 1, cardId: 'RFID-A1', chargingMode: 2, chargingParam: 100 }), { status: 400, body: { code: 9001 } }, 'an amount a card start cannot carry');
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { startMode: 2 }), { status: 400, body: { code: 9001 } }, 'remote start without an order');
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { startMode: 1, cardId: 'RFID-A1', port: 9 }), { status: 404, body: { code: 2003 } });
  t.equal(walk.pile.commands.length, count, 'no command sent');
  walk.pile.answer = 'refuse';
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { startMode: 1, cardId: 'RFID-A1' }), { status: 400, body: { code: 5001 } });
  walk.pile.answer = 'timeout';
  t.match(await call('POST', '/api/ChargingPile/IMEI001/start', alice.token, { startMode: 1, cardId: 'RFID-A1' }), { status: 500, body: { code: 5002 } });
  walk.pile.answer = 'accept';
  t.match(await call('POST', '/api/ChargingPile/CP002/start', alice.token, { startMode: 1, cardId: 'RFID-A1' }), { status: 400, body: { code: 2004 } });
});

t.test("the pile's configuration bytes: operators only", async (t) => {
  t.match(await call('POST', '/api/ChargingPile/IMEI001/config', alice.token, { config: [0, 1, 2, 3] }), { status: 403, body: { code: 9003 } });
  t.match(await call('POST', '/api/ChargingPile/IMEI001/config', alice.token, { config: [256] }), { status: 400, body: { code: 9001 } }, 'a bad body is a 400 first');
  t.same((await call('POST', '/api/ChargingPile/IMEI001/config', admin, { config: [0, 1, 2, 3] })).body.data, { message: '配置命令已发送' });
  t.same(walk.pile.commands.at(-1), { deviceId: 'IMEI001', control: { command: 'config', config: [0, 1, 2, 3] } });
  walk.pile.answer = 'refuse';
  t.match(await call('POST', '/api/ChargingPile/IMEI001/config', admin, { config: [1] }), { status: 400, body: { code: 5001 } });
  walk.pile.answer = 'accept';
  t.match(await call('POST', '/api/ChargingPile/default-F1/config', admin, { config: [1] }), { status: 400, body: { code: 5001 } }, 'a modelled queue pile takes no commands');
  t.match(await call('POST', '/api/ChargingPile/IMEI001/config', '', { config: [1] }), { status: 401 });
});

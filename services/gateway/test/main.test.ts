// The gateway over real RPC: fake auth (real tokens and JWKS) and fake order/billing/scheduler servers on the
// test's own bus. Requests go through fastify's inject.
import t from 'tap';
import { generateKeyPair, SignJWT } from 'jose';
import { JWT_AUDIENCE, JWT_ISSUER, rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../test/support/service-harness.js';
import { gatewayService } from '../src/main.js';
import { serveFakeAuth } from './support/fake-auth.js';
import { serveFakes } from './support/fakes.js';
import { KWH, T0 } from './support/fixtures.js';

const h = await startServiceHarness({
  label: 'gw',
  busName: 'gateway-test',
  queues: Object.keys(rpcSchemas).map((method) => `rpc.${method}`),
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const gateway = h.add(await runService({
  ...gatewayService,
  env: h.env({ BILL_WAIT_MS: '2000' }),
  exit: false,
}));
const http = gateway.ctx.http;

interface Answer {
  status: number;
  body: { code: number; message: string; data: any };
}

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, opts: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const res = await http.inject({
    method,
    url,
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

async function register(username: string): Promise<{ token: string; userId: number }> {
  const res = await api('POST', '/api/user/register', { body: { username, password: `${username}-password` } });
  if (res.status !== 200) throw new Error(`register ${username}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

const alice = await register('alice1');
const bob = await register('bobby1');
const adminToken = (await api('POST', '/api/admin/login', { body: { username: 'admin', password: 'admin-pass-1' } })).body.data.token as string;

t.test('ready, OpenAPI and Swagger UI', async (t) => {
  t.equal((await http.inject({ url: '/readyz' })).statusCode, 200, 'ready once the JWKS is loaded');
  const spec = (await http.inject({ url: '/docs/json' })).json();
  t.equal(spec.openapi, '3.0.3');
  for (const path of ['/api/user/register', '/api/orders', '/api/order/{id}', '/api/queue/requests', '/api/queue/requests/{orderId}', '/api/bills/{billId}', '/api/admin/stations/{stationId}/board', '/api/admin/clock/advance', '/api/admin/reports']) {
    t.ok(spec.paths[path], `documents ${path}`);
  }
  const ui = await http.inject({ url: '/docs/' });
  t.equal(ui.statusCode, 200);
  t.match(ui.headers['content-type'], /html/);
});

t.test('document 004 users: register, login, info and their errors', async (t) => {
  const reg = await api('POST', '/api/user/register', { body: { username: 'carol1', password: 'carol-password', nickname: 'Carol' } });
  t.equal(reg.status, 200);
  t.equal(reg.body.code, 0);
  t.equal(reg.body.message, '注册成功');
  t.match(reg.body.data, { userId: Number, openId: `user_${reg.body.data.userId}`, balance: 0, points: 0, token: String });
  t.equal(typeof reg.body.data.userId, 'number');

  const dup = await api('POST', '/api/user/register', { body: { username: 'carol1', password: 'carol-password' } });
  t.same(dup, { status: 400, body: { code: 1003, message: 'username exists', data: null } });

  const short = await api('POST', '/api/user/register', { body: { username: 'cj', password: 'carol-password' } });
  t.equal(short.status, 400);
  t.equal(short.body.code, 9001);
  t.match(short.body.message, /username/);
  t.equal(short.body.data, null);

  const login = await api('POST', '/api/user/login', { body: { username: 'carol1', password: 'carol-password' } });
  t.equal(login.body.message, '登录成功');
  t.equal(login.body.data.userId, reg.body.data.userId);
  const wrong = await api('POST', '/api/user/login', { body: { username: 'carol1', password: 'nope' } });
  t.same(wrong, { status: 401, body: { code: 1002, message: 'wrong username or password', data: null } });

  const info = await api('GET', '/api/user/info', { token: login.body.data.token });
  t.equal(info.status, 200);
  t.match(info.body.data, { userId: reg.body.data.userId, nickname: 'Carol', gender: 0, balance: 0, points: 0 });
  t.match(info.body.data.lastLoginTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);

  const token = login.body.data.token as string;
  t.same(await api('PUT', '/api/user/update', { token, body: { nickname: 'Caz', city: 'Hangzhou' } }), { status: 200, body: { code: 0, message: '更新成功', data: null } });
  t.match((await api('GET', '/api/user/info', { token })).body.data, { nickname: 'Caz', city: 'Hangzhou', province: '' });
  t.equal((await api('PUT', '/api/user/update', { token, body: { gender: 5 } })).status, 400);
});

t.test('cars of the caller', async (t) => {
  const added = await api('POST', '/api/user/cars', { token: alice.token, body: { plate: 'ZJ-A0001', capacityKwh: 60 } });
  t.equal(added.status, 200);
  t.match(added.body.data, { plate: 'ZJ-A0001', capacityKwh: 60, carId: String });
  t.equal((await api('POST', '/api/user/cars', { token: alice.token, body: { plate: 'ZJ-A0001' } })).status, 400, 'same plate twice');
  t.same((await api('GET', '/api/user/cars', { token: alice.token })).body.data.map((c: { plate: string }) => c.plate), ['ZJ-A0001']);
  t.same((await api('GET', '/api/user/cars', { token: bob.token })).body.data, []);
  t.equal((await api('DELETE', `/api/user/cars/${added.body.data.carId}`, { token: bob.token })).status, 404, "not another user's car");
  t.equal((await api('DELETE', `/api/user/cars/${added.body.data.carId}`, { token: alice.token })).status, 200);
});

t.test('401 without or with a bad token, 403 for admin routes with a user token', async (t) => {
  const none = await api('GET', '/api/user/info');
  t.equal(none.status, 401);
  t.equal(none.body.code, 9002);
  t.equal((await api('GET', '/api/user/info', { token: 'not.a.jwt' })).status, 401);
  // signed by a key auth never published
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const foreign = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'foreign' })
    .setSubject('1').setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setIssuedAt().setExpirationTime('1h')
    .sign(privateKey);
  const forged = await api('GET', '/api/admin/stations/default/board', { token: foreign });
  t.equal(forged.status, 401, 'a token from another key is refused');
  const before = fakes.count('scheduler.board');
  const forbidden = await api('GET', '/api/admin/stations/default/board', { token: alice.token });
  t.same(forbidden, { status: 403, body: { code: 9003, message: 'admin only', data: null } });
  // authentication comes before validation: an anonymous bad body is 401, not 400
  t.equal((await api('POST', '/api/queue/requests', { body: { mode: 'turbo' } })).status, 401);
  t.equal(fakes.count('scheduler.board'), before, 'nothing reached the scheduler');
});

t.test('queue requests: apply, current, change, refusals', async (t) => {
  t.equal((await api('POST', '/api/user/cars', { token: alice.token, body: { plate: 'ZJ-V1', carId: 'V1' } })).status, 200);
  const created = await api('POST', '/api/queue/requests', { token: alice.token, body: { mode: 'fast', energyKwh: 7.5, carId: 'V1' } });
  t.equal(created.status, 200);
  t.match(created.body.data, { orderId: String, queueNo: 'F1', state: 'WAITING', position: 0 });
  t.same(fakes.last('order.request'), { userId: String(alice.userId), stationId: 'default', mode: 'fast', energyWms: 7.5 * KWH, carId: 'V1' }, 'userId from the token, kWh -> Wms');

  const calls = fakes.count('order.request');
  for (const body of [{ mode: 'turbo', energyKwh: 5 }, { mode: 'fast', energyKwh: -1 }, { mode: 'fast' }, { mode: 'fast', energyKwh: 'lots' }]) {
    const bad = await api('POST', '/api/queue/requests', { token: bob.token, body });
    t.equal(bad.status, 400, JSON.stringify(body));
    t.equal(bad.body.code, 9001);
    t.equal(bad.body.data, null);
  }
  const badJson = await http.inject({ method: 'POST', url: '/api/queue/requests', headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' }, payload: '{"mode":' });
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.json().code, 9001);
  t.equal(fakes.count('order.request'), calls, 'invalid requests change nothing');

  const full = await api('POST', '/api/queue/requests', { token: bob.token, body: { mode: 'slow', energyKwh: 5, stationId: 'full' } });
  t.same(full, { status: 400, body: { code: 3005, message: 'the waiting area is full', data: null } });

  const nowhere = await api('POST', '/api/queue/requests', { token: bob.token, body: { mode: 'slow', energyKwh: 5, stationId: 'nowhere' } });
  t.same(nowhere, { status: 404, body: { code: 2001, message: 'unknown station nowhere', data: null } });

  const current = await api('GET', '/api/queue/requests/current', { token: alice.token });
  t.same(current.body.data, {
    orderId: created.body.data.orderId, queueNo: 'F1', mode: 'fast', energyKwh: 7.5, state: 'WAITING', carsAhead: 0,
    chargedKwh: 0, feeYuan: 0, createdAt: '2025-01-02T10:00:00.000+08:00',
  });
  const none = await api('GET', '/api/queue/requests/current', { token: bob.token });
  t.equal(none.status, 404);
  t.equal(none.body.code, 3001);

  const changed = await api('PATCH', `/api/queue/requests/${created.body.data.orderId}`, { token: alice.token, body: { mode: 'slow', energyKwh: 10 } });
  t.equal(changed.status, 200);
  t.match(changed.body.data, { queueNo: 'T1', mode: 'slow', energyKwh: 10, state: 'WAITING' });
  const notMine = await api('PATCH', `/api/queue/requests/${created.body.data.orderId}`, { token: bob.token, body: { energyKwh: 1 } });
  t.equal(notMine.status, 404, "another user's request cannot be changed");
  fakes.orders.get(created.body.data.orderId)!.state = 'charging';
  const refused = await api('PATCH', `/api/queue/requests/${created.body.data.orderId}`, { token: alice.token, body: { energyKwh: 12 } });
  t.equal(refused.status, 400);
  t.equal(refused.body.code, 3002);
  t.match(refused.body.message, /cancel/);
});

t.test("a request's car must be the caller's: another user's car or a made-up one is 404 9004, nothing made", async (t) => {
  const calls = fakes.orders.size;
  for (const carId of ['V1', 'made-up-car']) { // V1 is alice's
    const res = await api('POST', '/api/queue/requests', { token: bob.token, body: { mode: 'fast', energyKwh: 5, carId } });
    t.same(res, { status: 404, body: { code: 9004, message: `car ${carId} is not one of your cars`, data: null } }, carId);
  }
  t.equal(fakes.orders.size, calls, 'no order made');
});

t.test('Idempotency-Key: passed on to the order service; validated (at most 128 printable characters)', async (t) => {
  const post = (key: string | undefined) => http.inject({
    method: 'POST',
    url: '/api/queue/requests',
    headers: { authorization: `Bearer ${bob.token}`, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    payload: { mode: 'slow', energyKwh: 3 },
  });
  const key = 'retry-7f3c'.padEnd(128, 'x');
  const res = await post(key);
  t.equal(res.statusCode, 200);
  t.same(fakes.last('order.request'), { userId: String(bob.userId), stationId: 'default', mode: 'slow', energyWms: 3 * KWH, idempotencyKey: key });
  const calls = fakes.count('order.request');
  for (const bad of ['k'.repeat(129), '']) {
    const refused = await post(bad);
    t.equal(refused.statusCode, 400, `${bad.length} characters`);
    t.match(refused.json(), { code: 9001, message: /idempotency-key/, data: null });
  }
  t.equal(fakes.count('order.request'), calls, 'a bad key reaches nothing');
  await post(undefined);
  t.notOk('idempotencyKey' in fakes.last('order.request')!, 'without the header: no key');
  const cancel = await api('DELETE', `/api/queue/requests/${res.json().data.orderId}`, { token: bob.token });
  t.equal(cancel.status, 200);
  for (const o of fakes.orders.values()) if (o.userId === String(bob.userId) && o.state === 'waiting') o.state = 'cancelled';
});

t.test('cancel: the order, with its bill when charging had started', async (t) => {
  const waiting = await api('POST', '/api/queue/requests', { token: bob.token, body: { mode: 'slow', energyKwh: 5 } });
  const cancelled = await api('DELETE', `/api/queue/requests/${waiting.body.data.orderId}`, { token: bob.token });
  t.equal(cancelled.status, 200);
  t.match(cancelled.body.data, { orderId: waiting.body.data.orderId, state: 'CANCELLED', bill: null });

  const charging = (await api('GET', '/api/queue/requests/current', { token: alice.token })).body.data;
  t.equal(charging.state, 'CHARGING');
  t.equal((await api('DELETE', `/api/queue/requests/${charging.orderId}`, { token: bob.token })).status, 404, 'not by another user');
  const started = Date.now();
  const withBill = await api('DELETE', `/api/queue/requests/${charging.orderId}`, { token: alice.token });
  t.equal(withBill.status, 200);
  t.equal(withBill.body.data.state, 'CANCELLED');
  t.equal(withBill.body.data.feeYuan, 27, 'the fee includes the bill not yet linked to the order');
  t.equal(withBill.body.data.chargedKwh, 15);
  t.match(withBill.body.data.bill, {
    billId: `b-${charging.orderId}`, orderId: charging.orderId, energyKwh: 15, totalYuan: 27, energyFeeYuan: 15, serviceFeeYuan: 12, reason: 'cancelled',
    startedAt: '2025-01-02T10:00:00.000+08:00',
  });
  t.ok(Date.now() - started >= 250, 'waited for the asynchronous bill');
  t.match(fakes.last('billing.sessionBill'), { sessionId: `${charging.orderId}#1`, userId: String(alice.userId), waitMs: 2000 });
  const again = await api('DELETE', `/api/queue/requests/${charging.orderId}`, { token: alice.token });
  t.equal(again.status, 400, 'an ended order cannot be cancelled again');
});

t.test("bills: the caller's own only", async (t) => {
  const billId = [...fakes.bills.keys()][0]!;
  const mine = await api('GET', `/api/bills/${billId}`, { token: alice.token });
  t.equal(mine.status, 200);
  t.equal(mine.body.data.billNo, 'B20250102-0001');
  const theirs = await api('GET', `/api/bills/${billId}`, { token: bob.token });
  t.equal(theirs.status, 404, "another user's bill is not found");
  t.equal(theirs.body.data, null);
  t.notMatch(JSON.stringify(theirs.body), /totalYuan/);
  t.equal(fakes.last('billing.getBill')?.userId, String(bob.userId), 'the caller is passed to billing');
  const list = await api('GET', '/api/bills?pageNum=1&pageSize=5', { token: alice.token });
  t.match(list.body.data, { total: 1, pageNum: 1, pageSize: 5, pages: 1 });
  t.equal(list.body.data.list[0].billId, billId);
  t.equal((await api('GET', '/api/bills', { token: bob.token })).body.data.total, 0);
  t.equal((await api('GET', '/api/bills?pageSize=0', { token: bob.token })).status, 400);
});

t.test('document 004 orders: list with filters, detail, ownership', async (t) => {
  const list = await api('GET', '/api/orders?pageNum=1&pageSize=10&status=3&startDate=2025-01-01&endDate=2025-01-02', { token: alice.token });
  t.equal(list.status, 200);
  t.same(fakes.last('order.list'), {
    userId: String(alice.userId), pageNum: 1, pageSize: 10, states: ['cancelled'],
    fromMs: Date.parse('2025-01-01T00:00:00+08:00'), toMs: Date.parse('2025-01-03T00:00:00+08:00'),
  });
  t.equal(list.body.data.total, 1);
  const item = list.body.data.list[0];
  t.match(item, { status: 3, paymentStatus: 0, amount: 0, powerConsumption: 0 });
  t.same(Object.keys(item).sort(), ['amount', 'chargingTime', 'endTime', 'id', 'orderNo', 'paymentStatus', 'pileNo', 'portNo', 'powerConsumption', 'startTime', 'stationName', 'status'].sort());

  const defaults = await api('GET', '/api/orders', { token: bob.token });
  t.match(defaults.body.data, { pageNum: 1, pageSize: 10 });
  t.equal((await api('GET', '/api/orders?status=9', { token: bob.token })).status, 400);
  t.equal((await api('GET', '/api/orders?startDate=2025-01-05&endDate=2025-01-01', { token: bob.token })).status, 400);

  const detail = await api('GET', `/api/order/${item.id}`, { token: alice.token });
  t.equal(detail.status, 200);
  t.match(detail.body.data, { id: item.id, userId: alice.userId, status: 3, chargingMode: 4, stopReason: 1, sharpElectricity: 0, deepValleyAmount: 0 });
  const other = await api('GET', `/api/order/${item.id}`, { token: bob.token });
  t.same(other, { status: 404, body: { code: 3001, message: `order ${item.id} not found`, data: null } });
});

t.test('admin: board, config in kW, pile status, clock', async (t) => {
  const b = await api('GET', '/api/admin/stations/default/board', { token: adminToken });
  t.equal(b.status, 200);
  t.equal(b.body.data.time, '2025-01-02T10:10:00.000+08:00');
  t.match(b.body.data.piles[0], { pileNo: 'F1', mode: 'fast', state: 'CHARGING', powerKw: 30 });
  t.match(b.body.data.piles[0].queue[0], { userId: 2, queueNo: 'F1', requestedKwh: 30, chargedKwh: 5, feeYuan: 9, state: 'CHARGING' });
  t.equal((await api('GET', '/api/admin/stations/nowhere/board', { token: adminToken })).body.code, 2001);

  const cfg = await api('PUT', '/api/admin/stations/default/config', { token: adminToken, body: { fastPowerKw: 60, slowPowerKw: 7, TrickleChargingPileNum: 4, faultPolicy: 'time-order' } });
  t.equal(cfg.status, 200);
  t.same(fakes.last('scheduler.configure'), { stationId: 'default', slowPiles: 4, faultPolicy: 'time-order', fastPowerW: 60_000, slowPowerW: 7_000 });
  t.match(cfg.body.data, { fastPowerKw: 60, slowPowerKw: 7, slowPiles: 4, faultPolicy: 'time-order' });
  t.equal((await api('PUT', '/api/admin/stations/default/config', { token: adminToken, body: { faultPolicy: 'random' } })).status, 400);

  const pile = await api('POST', '/api/admin/piles/F1/status', { token: adminToken, body: { status: 'fault' } });
  t.equal(pile.status, 200);
  t.same(fakes.last('scheduler.pileStatus'), { stationId: 'default', pileNo: 'F1', status: 'fault' });
  t.equal(pile.body.data.state, 'FAULT');
  const refused = await api('POST', '/api/admin/piles/F1/status?stationId=default', { token: adminToken, body: { status: 'on' } });
  t.same(refused.body, { code: 5001, message: 'pile F1 is already on', data: null });

  const set = await api('PUT', '/api/admin/clock', { token: adminToken, body: { mode: 'manual', time: '2025-01-02T10:00:00' } });
  t.same(set.body.data, { mode: 'manual', time: '2025-01-02T10:00:00.000+08:00', speed: 1 });
  t.equal(fakes.last('scheduler.clockSet')?.timeMs, T0, 'no offset = Asia/Shanghai');
  const adv = await api('POST', '/api/admin/clock/advance', { token: adminToken, body: { seconds: 90 } });
  t.equal(adv.body.data.time, '2025-01-02T10:01:30.000+08:00');
  t.equal((await api('POST', '/api/admin/clock/advance', { token: adminToken, body: { seconds: 1, to: '2025-01-02T11:00:00' } })).status, 400);
  t.equal((await api('PUT', '/api/admin/clock', { token: adminToken, body: { mode: 'manual', time: 'noon' } })).status, 400);
  t.equal((await api('GET', '/api/admin/clock', { token: adminToken })).body.data.mode, 'real');
});

t.test('admin reports: the period in the station zone, per-pile rows in yuan and kWh; 400 on a bad period or date', async (t) => {
  const week = await api('GET', '/api/admin/reports?stationId=default&period=week&date=2025-01-02', { token: adminToken });
  t.equal(week.status, 200);
  t.same(fakes.last('billing.report'), {
    stationId: 'default', fromMs: Date.parse('2024-12-30T00:00:00+08:00'), toMs: Date.parse('2025-01-06T00:00:00+08:00'),
  }, 'the ISO week holding Thursday 2025-01-02, Monday to Monday');
  t.same(week.body, {
    code: 0,
    message: 'success',
    data: {
      stationId: 'default', period: 'week', from: '2024-12-30T00:00:00.000+08:00', to: '2025-01-06T00:00:00.000+08:00',
      rows: [
        { pileNo: 'F1', sessions: 2, durationMs: 4_800_000, energyKwh: 40, energyFeeYuan: 23.5, serviceFeeYuan: 32, totalYuan: 55.5 },
        { pileNo: 'T1', sessions: 1, durationMs: 3_600_000, energyKwh: 10.01, energyFeeYuan: 7, serviceFeeYuan: 8, totalYuan: 15 },
      ],
    },
  });

  const month = await api('GET', '/api/admin/reports?stationId=default&pileNo=T1&period=month&date=2025-02-14', { token: adminToken });
  t.same(fakes.last('billing.report'), {
    stationId: 'default', pileNo: 'T1', fromMs: Date.parse('2025-02-01T00:00:00+08:00'), toMs: Date.parse('2025-03-01T00:00:00+08:00'),
  });
  t.same(month.body.data.rows.map((r: { pileNo: string }) => r.pileNo), ['T1']);
  t.match(month.body.data, { period: 'month', from: '2025-02-01T00:00:00.000+08:00', to: '2025-03-01T00:00:00.000+08:00' });
  const day = await api('GET', '/api/admin/reports?stationId=default&period=day&date=2025-01-02', { token: adminToken });
  t.match(day.body.data, { from: '2025-01-02T00:00:00.000+08:00', to: '2025-01-03T00:00:00.000+08:00' });

  const calls = fakes.count('billing.report');
  for (const [query, says] of [
    ['stationId=default&period=year&date=2025-01-02', /period must be one of: day, week, month/],
    ['stationId=default&period=day&date=2025-02-30', /date must be a date YYYY-MM-DD/],
    ['stationId=default&period=day&date=20250102', /date/],
    ['stationId=default&period=day', /date/],
    ['period=day&date=2025-01-02', /stationId/],
  ] as const) {
    const bad = await api('GET', `/api/admin/reports?${query}`, { token: adminToken });
    t.equal(bad.status, 400, query);
    t.equal(bad.body.code, 9001);
    t.match(bad.body.message, says);
    t.equal(bad.body.data, null);
  }
  t.equal(fakes.count('billing.report'), calls, 'nothing invalid reached billing');

  const url = '/api/admin/reports?stationId=default&period=day&date=2025-01-02';
  t.same(await api('GET', url, { token: alice.token }), { status: 403, body: { code: 9003, message: 'admin only', data: null } });
  t.equal((await api('GET', url)).status, 401);
  t.equal(fakes.count('billing.report'), calls, 'nor anything unauthorised');
});

t.test('unknown /api routes answer in the same shape', async (t) => {
  const res = await api('GET', '/api/nothing/here', { token: alice.token });
  t.equal(res.status, 404);
  t.equal(res.body.code, 9004);
  t.equal(res.body.data, null);
});

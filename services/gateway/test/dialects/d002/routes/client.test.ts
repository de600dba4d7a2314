// Document 002 over real RPC: fake auth and fake order/billing/scheduler servers on the test's bus; `token` header.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { client002, refused002 } from '../../../support/d002-client.js';

const h = await startServiceHarness({ label: 'gw002', busName: 'gateway-d002-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const gateway = h.add(await runService({ ...gatewayService, env: h.env({ BILL_WAIT_MS: '500' }), exit: false }));
const http = gateway.ctx.http;

const call = client002(http);
const refused = refused002;

const reg = await call('POST', '/client/register', { body: { account: 'alice@example.com', password: 'alice-pass', name: 'Alice' } });
const alice = reg.body.data.token as string;
const bob = (await call('POST', '/client/register', { body: { account: 'bob@example.com', password: 'bob-pass', name: 'Bob' } })).body.data.token as string;

t.test('register and login', async (t) => {
  t.same(reg.body.code, 0);
  t.type(alice, 'string');
  refused(t, await call('POST', '/client/register', { body: { account: 'not-an-email', password: 'x', name: 'X' } }), 'account not an e-mail');
  refused(t, await call('POST', '/client/register', { body: { account: 'alice@example.com', password: 'alice-pass', name: 'A' } }), 'account taken');
  refused(t, await call('POST', '/client/register', { body: { account: 'c@example.com', password: 'p', name: 'C', role: 'admin' } }), 'unknown field');
  const login = await call('POST', '/client/login', { body: { account: 'alice@example.com', password: 'alice-pass' } });
  t.equal(login.body.code, 0);
  t.type(login.body.data.token, 'string');
  refused(t, await call('POST', '/client/login', { body: { account: 'alice@example.com', password: 'wrong-pass' } }), 'wrong password');
});

t.test('information, home page and cars', async (t) => {
  refused(t, await call('GET', '/client/index/information'), 'no token');
  refused(t, await call('GET', '/client/index/information', { token: 'not.a.jwt' }), 'bad token');
  const info = await call('GET', '/client/index/information', { token: alice });
  t.match(info.body, { code: 0, data: { id: String, account: 'alice@example.com', name: 'Alice', car_array: [], balance: 0 } });
  t.match((await call('GET', '/client/index', { token: alice })).body, { code: 0, data: { account: 'alice@example.com', balance: 0 } });

  t.equal((await call('POST', '/client/index/information', { token: alice, body: { name: 'Ali' } })).body.code, 0);
  refused(t, await call('POST', '/client/index/information', { token: alice, body: { old_password: 'wrong', new_password: 'new-pass', name: 'Nope' } }), 'wrong old password');
  t.equal((await call('GET', '/client/index/information', { token: alice })).body.data.name, 'Ali', 'a refused change stores nothing');
  refused(t, await call('POST', '/client/index/information', { token: alice, body: { new_password: 'x' } }), 'new without old');
  t.equal((await call('POST', '/client/index/information', { token: alice, body: { old_password: 'alice-pass', new_password: 'alice-pass-2' } })).body.code, 0);
  t.equal((await call('POST', '/client/login', { body: { account: 'alice@example.com', password: 'alice-pass-2' } })).body.code, 0);

  t.same((await call('POST', '/client/index/car', { token: alice, body: { name: 'ZJ-A001', power_capacity: 60, power_current: 10 } })).body, { code: 0, msg: '添加成功!', data: {} });
  refused(t, await call('POST', '/client/index/car', { token: alice, body: { name: 'ZJ-A002', power_capacity: 'lots' } }), 'malformed capacity');
  const cars = (await call('GET', '/client/index/car', { token: alice })).body.data;
  t.match(cars, [{ car_id: String, name: 'ZJ-A001', power_capacity: 60, power_current: 0 }]);
  const carId = cars[0].car_id as string;
  t.equal((await call('PATCH', '/client/index/car', { token: alice, body: { car_id: carId, power_capacity: 70 } })).body.code, 0);
  t.equal((await call('GET', '/client/index/car', { token: alice })).body.data[0].power_capacity, 70);
  refused(t, await call('PATCH', '/client/index/car', { token: bob, body: { car_id: carId, name: 'MINE' } }), "another user's car");
  refused(t, await call('DELETE', '/client/index/car', { token: bob, body: { car_id: carId } }), "another user's car (delete)");
  t.equal((await call('GET', '/client/index/car', { token: alice })).body.data.length, 1);
  t.equal((await call('DELETE', '/client/index/car', { token: alice, body: { car_id: carId } })).body.code, 0);
  t.same((await call('GET', '/client/index/car', { token: alice })).body.data, []);
});

t.test('the current order', async (t) => {
  await call('POST', '/client/index/car', { token: alice, body: { name: 'ZJ-B001', power_capacity: 60 } });
  const carId = (await call('GET', '/client/index/car', { token: alice })).body.data[0].car_id as string;
  t.same((await call('GET', '/client/index/order?mode=CURRENT', { token: alice })).body, { code: 0, msg: 'success', data: [] });
  refused(t, await call('POST', '/client/index/order', { token: alice, body: { car_id: carId, mode: 'X', apply_kwh: 10 } }), 'bad mode');
  refused(t, await call('POST', '/client/index/order', { token: alice, body: { car_id: carId, mode: 'F', apply_kwh: -1 } }), 'negative kWh');
  refused(t, await call('POST', '/client/index/order', { body: { car_id: carId, mode: 'F', apply_kwh: 10 } }), 'no token');
  refused(t, await call('POST', '/client/index/order', { token: bob, body: { car_id: carId, mode: 'F', apply_kwh: 10 } }), "another user's car");
  t.equal(fakes.orders.size, 0, 'nothing stored');

  const made = await call('POST', '/client/index/order', { token: alice, body: { car_id: carId, mode: 'F', apply_kwh: 10.5 } });
  t.match(made.body, { code: 0, data: { id: String, car_id: carId, mode: 'F', apply_kwh: 10.5, state: 'WAITING', number: 1, front_cars: 0, charge_id: '' } });
  t.match(made.body.data.create_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  const id = made.body.data.id as string;
  t.match((await call('GET', '/client/index/order?mode=CURRENT', { token: alice })).body.data, [{ id }]);
  refused(t, await call('GET', '/client/index/order?mode=NOW', { token: alice }), 'bad query mode');

  refused(t, await call('PATCH', '/client/index/order', { token: bob, body: { id, apply_kwh: 5 } }), "another user's order");
  const changed = await call('PATCH', '/client/index/order', { token: alice, body: { id, mode: 'T', apply_kwh: 20 } });
  t.match(changed.body, { code: 0, data: { id, mode: 'T', apply_kwh: 20 } });
  fakes.orders.get(id)!.state = 'charging';
  refused(t, await call('PATCH', '/client/index/order', { token: alice, body: { id, apply_kwh: 30 } }), 'a change while charging');
  refused(t, await call('DELETE', '/client/index/order', { token: bob, body: { id } }), "another user's order (end)");
  const ended = await call('DELETE', '/client/index/order', { token: alice, body: { id } });
  t.equal(ended.body.code, 0);
  t.equal(ended.body.data.id, id);
  t.type((await call('GET', '/client/index/order?mode=HISTORY', { token: alice })).body.data, Array);
});

t.test('a full waiting area: a non-zero code that says so, nothing stored', async (t) => {
  // a gateway whose station is 'full' (the fakes answer WAITING_AREA_FULL for it)
  const full = h.add(await runService({ ...gatewayService, env: h.env({ DEFAULT_STATION_ID: 'full' }), exit: false })).ctx.http;
  const token = (await call('POST', '/client/register', { body: { account: 'fay@example.com', password: 'fay-pass-1', name: 'Fay' } })).body.data.token as string;
  await call('POST', '/client/index/car', { token, body: { name: 'ZJ-F001', power_capacity: 60 } });
  const carId = (await call('GET', '/client/index/car', { token })).body.data[0].car_id as string;
  const orders = fakes.orders.size;
  const res = await full.inject({ method: 'POST', url: '/client/index/order', headers: { token }, payload: { car_id: carId, mode: 'F', apply_kwh: 10 } });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { code: 1, msg: /full/ });
  t.equal(fakes.orders.size, orders, 'no order stored');
});

t.test('recharge and balance (002 and 004)', async (t) => {
  refused(t, await call('POST', '/client/index/recharge?amount=10.505', { token: alice }), 'three decimals');
  refused(t, await call('POST', '/client/index/recharge?amount=0', { token: alice }), 'zero');
  refused(t, await call('POST', '/client/index/recharge?amount=-5', { token: alice }), 'negative');
  refused(t, await call('POST', '/client/index/recharge?amount=100000.01', { token: alice }), 'above the maximum');
  refused(t, await call('POST', '/client/index/recharge', { token: alice }), 'no amount');
  refused(t, await call('POST', '/client/index/recharge?amount=5'), 'no token');
  t.equal(fakes.count('billing.recharge'), 0, 'nothing credited');
  const once = await call('POST', '/client/index/recharge?amount=10.50', { token: alice, headers: { 'idempotency-key': 'k1' } });
  t.same(once.body, { code: 0, msg: '充值成功', data: { balance: 10.5 } });
  t.same((await call('POST', '/client/index/recharge?amount=10.50', { token: alice, headers: { 'idempotency-key': 'k1' } })).body.data, { balance: 10.5 }, 'a retry with the key credits once');
  t.same((await call('POST', '/client/index/recharge?amount=1', { token: alice })).body.data, { balance: 11.5 });
  t.equal((await call('GET', '/client/index/information', { token: alice })).body.data.balance, 11.5);
  t.equal((await call('GET', '/client/index', { token: alice })).body.data.balance, 11.5);
  const login004 = await http.inject({ method: 'POST', url: '/api/user/login', payload: { username: 'alice@example.com', password: 'alice-pass-2' } });
  const info004 = await http.inject({ url: '/api/user/info', headers: { authorization: `Bearer ${login004.json().data.token}` } });
  t.equal(info004.json().data.balance, 11.5, "004's user info shows billing's balance");
});

t.test('admin login and a user on admin routes', async (t) => {
  const admin = await call('POST', '/admin/login', { body: { account: 'admin', password: 'admin-pass-1' } });
  t.match(admin.body, { code: 0, data: { token: String, account: 'admin' } });
  refused(t, await call('POST', '/admin/login', { body: { account: 'admin', password: 'wrong' } }), 'wrong admin password');
  t.same((await call('GET', '/admin/index', { token: admin.body.data.token })).body, { code: 0, msg: 'success', data: {} });
  refused(t, await call('GET', '/admin/index', { token: alice }), 'a user on admin routes');
  refused(t, await call('GET', '/admin/index'), 'no token');
  refused(t, await call('GET', '/client/nowhere'), 'unknown path answers in 002 shape');
  const bad = await http.inject({ method: 'POST', url: '/client/login', headers: { 'content-type': 'application/json' }, payload: '{bad' });
  t.equal(bad.json().code !== 0 && typeof bad.json().msg === 'string', true, 'malformed JSON in 002 shape');
});

t.test('OpenAPI documents 002 under its tag', async (t) => {
  const res = await http.inject({ url: '/docs/json' });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const spec = res.json();
  t.equal(spec.paths?.['/client/index/order']?.post?.tags?.[0], '002');
});

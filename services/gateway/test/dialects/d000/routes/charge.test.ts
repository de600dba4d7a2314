// Document 000's charge calls over the bus (fake auth, fake order/billing): the live request is the one acted on;
// refusals are `{code: -1, msg}` in an HTTP 200 with nothing stored.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({
  label: 'gwd000c',
  busName: 'gateway-d000-charge-test',
  queues: [...Object.keys(rpcSchemas).map((method) => `rpc.${method}`), 'gateway.transient'],
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;
// a gateway whose station's waiting area is full (the fakes refuse station "full")
const fullHttp = h.add(await runService({ ...gatewayService, env: h.env({ DEFAULT_STATION_ID: 'full' }), exit: false })).ctx.http;

const formOf = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});
async function call(method: 'GET' | 'POST', url: string, token: string | undefined, fields?: Record<string, string>, on = http): Promise<any> {
  const full = token ? `${url}?token=${encodeURIComponent(token)}` : url;
  const res = await on.inject({ method, url: full, ...(fields ? formOf(fields) : {}) });
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode} ${res.body}`);
  return res.json();
}
async function registered(username: string): Promise<string> {
  const res = await call('POST', '/u/register', undefined, { username, password: `${username}-pw1`, email: `${username}@example.com` });
  return res.token as string;
}

const alice = await registered('alice');
const bob = await registered('bob');

t.test('apply, info, modify, cancel on the live request', async (t) => {
  const applied = await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: '100.4' });
  t.match(applied, { code: 200, data: /^F\d+$/ });
  const info = await call('GET', '/user/charge/info', alice);
  t.equal(info.code, 200);
  t.match(info.data, { charging_type: 'fast', request_power: 100.4, queue_num: applied.data, state: false });
  t.type(info.data.user_id, 'string');
  t.type(info.data.time_duration, 'number');
  t.type(info.data.created_at, 'string');
  const sameMode = await call('POST', '/user/charge/modify', alice, { quantity: '20' });
  t.same(sameMode, { code: 200, msg: '修改成功', data: applied.data }, 'a new amount keeps the number');
  const newMode = await call('POST', '/user/charge/modify', alice, { mode: 'slow' });
  t.match(newMode, { code: 200, data: /^T\d+$/ }, 'a new mode gives a new number');
  const cancelled = await call('POST', '/user/charge/cancel', alice);
  t.same(cancelled, { code: 200, msg: '取消成功' });
  t.match(await call('GET', '/user/charge/info', alice), { code: -1 }, 'no live request any more');
});

t.test("the request is for the user's car (register's license_plate); a user without one asks without a car", async (t) => {
  const withCar = (await call('POST', '/u/register', undefined, { username: 'cara', password: 'cara-pw1', email: 'cara@example.com', license_plate: 'ZJ-C001', battery_capcity: '60' })).token as string;
  t.equal((await call('POST', '/user/charge/apply', withCar, { mode: 'fast', quantity: '10' })).code, 200);
  t.equal(fakes.last('order.request')?.carId, 'ZJ-C001', "the car /user/detail shows");
  t.equal((await call('POST', '/user/charge/cancel', withCar)).code, 200);
  t.equal((await call('POST', '/user/charge/apply', bob, { mode: 'fast', quantity: '10' })).code, 200);
  t.equal(fakes.last('order.request')?.carId, undefined, 'no car: none named');
  t.equal((await call('POST', '/user/charge/cancel', bob)).code, 200);
});

t.test('a JSON body is read too', async (t) => {
  const res = await http.inject({ method: 'POST', url: `/user/charge/apply?token=${bob}`, payload: { mode: 'slow', quantity: 7.5 } });
  t.match(res.json(), { code: 200, data: /^T/ });
  t.equal((await call('POST', '/user/charge/cancel', bob)).code, 200);
});

t.test('refusals', async (t) => {
  const before = fakes.orders.size;
  t.match(await call('POST', '/user/charge/apply', undefined, { mode: 'fast', quantity: '10' }), { code: -1, msg: /token/ }, 'no token');
  t.match(await call('POST', '/user/charge/apply', alice, { mode: 'turbo', quantity: '10' }), { code: -1 }, 'unknown mode');
  t.match(await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: 'ten' }), { code: -1 }, 'quantity not a number');
  t.match(await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: '0' }), { code: -1 }, 'quantity zero');
  t.match(await call('POST', '/user/charge/apply', alice, { mode: 'fast' }), { code: -1 }, 'no quantity');
  t.match(await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: '1', extra: 'x' }), { code: -1 }, 'unknown field');
  const full = await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: '10' }, fullHttp);
  t.match(full, { code: -1, msg: /full/ }, 'a full waiting area');
  t.equal(fakes.orders.size, before, 'nothing stored');
  t.match(await call('POST', '/user/charge/modify', alice, {}), { code: -1 }, 'a change of nothing');
  t.match(await call('POST', '/user/charge/cancel', alice), { code: -1 }, 'nothing to cancel');

  // another user's request is never acted on: bob's calls reach only bob's own live request
  const own = await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: '5' });
  t.match(await call('GET', '/user/charge/info', bob), { code: -1 }, "bob sees no request (alice's is not his)");
  t.match(await call('POST', '/user/charge/cancel', bob), { code: -1 }, "bob cannot cancel alice's");
  t.match(await call('GET', '/user/charge/info', alice), { code: 200, data: { queue_num: own.data } }, "alice's is untouched");

  // a change while charging: refused, the request kept
  const order = [...fakes.orders.values()].find((o) => o.queueNo === own.data && o.state === 'waiting');
  if (!order) throw new Error('no order');
  order.state = 'charging';
  t.match(await call('POST', '/user/charge/modify', alice, { quantity: '9' }), { code: -1, msg: /cancel/ }, 'a change while charging');
  t.match(await call('GET', '/user/charge/info', alice), { code: 200, data: { request_power: 5, state: true } });
  t.equal((await call('POST', '/user/charge/cancel', alice)).code, 200, 'cancel while charging stops it');
});

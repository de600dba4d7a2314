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
  label: 'gwd000l',
  busName: 'gateway-d000-log-test',
  queues: [...Object.keys(rpcSchemas).map((method) => `rpc.${method}`), 'gateway.transient'],
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

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

t.test('the log: one record per bill, integer ids, fees as text', async (t) => {
  t.same(await call('GET', '/user/log/get', alice), { code: 200, msg: '获取成功', log: [] });
  await call('POST', '/user/charge/apply', alice, { mode: 'fast', quantity: '15' });
  const order = [...fakes.orders.values()].find((o) => o.userId !== undefined && o.state === 'waiting');
  if (!order) throw new Error('no order');
  order.state = 'charging';
  t.equal((await call('POST', '/user/charge/cancel', alice)).code, 200);
  const res = await call('GET', '/user/log/get?num=5', undefined, undefined);
  t.match(res, { code: -1, msg: /token/ }, 'no token');
  const log = (await http.inject({ method: 'GET', url: `/user/log/get?token=${encodeURIComponent(alice)}&num=5` })).json();
  t.equal(log.code, 200);
  t.equal(log.log.length, 1);
  const [rec] = log.log;
  t.ok(Number.isInteger(rec.record_id) && Number.isInteger(rec.request_id) && Number.isInteger(rec.charging_station_id));
  t.match(rec, { actual_power: '15.00', service_fee: '12.00', charging_fee: '15.00', total_fee: '27.00' });
  t.same((await call('GET', '/user/log/get', bob)).log, [], "bob sees none of alice's");
  for (const bad of ['0', '201', 'ten']) {
    const r = (await http.inject({ method: 'GET', url: `/user/log/get?token=${encodeURIComponent(alice)}&num=${bad}` })).json();
    t.equal(r.code, -1, `num=${bad} refused`);
  }
});

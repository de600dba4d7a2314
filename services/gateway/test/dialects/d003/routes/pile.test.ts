// Document 003's admin login and pile switch over the bus (fake auth, fake scheduler): admins only, -1 refusals.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({
  label: 'gwd003',
  busName: 'gateway-d003-test',
  queues: [...Object.keys(rpcSchemas).map((method) => `rpc.${method}`), 'gateway.transient'],
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;
const form = (fields: Record<string, string>) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const post = async (url: string, fields?: Record<string, string>): Promise<any> => {
  const res = await http.inject({ method: 'POST', url, ...(fields ? form(fields) : {}) });
  t.equal(res.statusCode, 200);
  return res.json();
};

t.test('admin login and pile switches', async (t) => {
  const login = await post('/a/login', { username: 'admin', password: 'admin-pass-1' });
  t.match(login, { code: 200, token: String });
  const token = encodeURIComponent(login.token);
  t.same(await post(`/admin/charge/status/set?token=${token}&id=1&status=off`), { code: 200, msg: '设置成功' });
  t.match(fakes.last('scheduler.pileStatus'), { pileNo: 'F1', status: 'off' });
  t.equal((await post(`/admin/charge/status/set?token=${token}&id=102&status=repair`)).code, 200);
  t.match(fakes.last('scheduler.pileStatus'), { pileNo: 'T2', status: 'repair' });
  const before = fakes.count('scheduler.pileStatus');
  t.match(await post(`/admin/charge/status/set?token=${token}&id=1&status=offline`), { code: -1, msg: /offline/ });
  t.match(await post(`/admin/charge/status/set?token=${token}&id=1&status=broken`), { code: -1 });
  t.match(await post(`/admin/charge/status/set?token=${token}&id=100&status=on`), { code: -1 });
  t.match(await post(`/admin/charge/status/set?token=${token}&status=on`), { code: -1 });
  t.match(await post('/admin/charge/status/set?id=1&status=on'), { code: -1, msg: /token/ }, 'no token');
  const user = await post('/u/register', { username: 'notadmin', password: 'not-admin-1', email: 'n@example.com' });
  t.match(await post(`/admin/charge/status/set?token=${encodeURIComponent(user.token)}&id=1&status=on`), { code: -1, msg: /admin/ }, 'a non-admin');
  t.equal(fakes.count('scheduler.pileStatus'), before, 'nothing switched');
  t.match(await post('/a/login', { username: 'admin', password: 'wrong-pass-1' }), { code: -1 });
  t.match(await post('/a/login', { username: 'notadmin', password: 'not-admin-1' }), { code: -1 }, 'a user is no admin');
});

t.test("one pile's queue and every pile's state (GET /admin/charge/queue, /admin/charge/status/get)", async (t) => {
  const get = async (url: string): Promise<any> => {
    const res = await http.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    return res.json();
  };
  const token = encodeURIComponent((await post('/a/login', { username: 'admin', password: 'admin-pass-1' })).token);

  // the fake board: F1 (id 1) charges user 2's request of 30 kWh (no car named); T1 (id 101) is faulty and empty
  const queue = await get(`/admin/charge/queue?token=${token}&id=1`);
  t.same(queue, { code: 200, msg: '获取成功', data: [{ user_id: '2', battery_capacity: 0, request_quantity: 30, waiting_time: 0 }] });
  t.same((await get(`/admin/charge/queue?token=${token}&id=101`)).data, [], 'a pile without cars');
  t.match(fakes.last('scheduler.board'), { stationId: 'default' });
  for (const [query, what] of <[string, string][]>[['id=100', 'an id no pile can have'], ['id=2', 'a pile the station does not have'], ['id=x', 'a non-integer id'], ['', 'no id'], ['id=1&extra=1', 'an unknown field']]) {
    t.match(await get(`/admin/charge/queue?token=${token}&${query}`), { code: -1, msg: String }, what);
  }
  t.match(await get('/admin/charge/queue?id=1'), { code: -1, msg: /token/ }, 'no token');

  // the fake report: F1 2 sessions, 40 kWh, 80 min; T1 1 session, 10.005 kWh, 1 h
  const status = await get(`/admin/charge/status/get?token=${token}`);
  t.same(status, {
    code: 200,
    msg: '获取成功',
    data: [
      { charging_station_id: 1, status: 'on', total_charging_times: 2, total_charging_power: 40, total_charging_duration: 1.33 },
      { charging_station_id: 101, status: 'repair', total_charging_times: 1, total_charging_power: 10.01, total_charging_duration: 1 },
    ],
  });
  t.match(fakes.last('billing.report'), { stationId: 'default', fromMs: 0 }, 'totals of every bill');
  t.equal(fakes.last('billing.report')?.pileNo, undefined);
  t.match(await get(`/admin/charge/status/get?token=${token}&id=1`), { code: -1 }, 'an unknown field');
  t.match(await get('/admin/charge/status/get'), { code: -1, msg: /token/ }, 'no token');
  const user = await post('/u/login', { username: 'notadmin', password: 'not-admin-1' });
  t.match(await get(`/admin/charge/status/get?token=${encodeURIComponent(user.token)}`), { code: -1, msg: /admin/ }, 'a non-admin');
  t.match(await get(`/admin/charge/queue?token=${encodeURIComponent(user.token)}&id=1`), { code: -1, msg: /admin/ }, 'a non-admin (queue)');
});

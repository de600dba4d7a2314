// GET /api/admin/bills: every user's bills for operators, filtered by station, user and time, with whose each is;
// a user's token is refused (403), a bad filter is 400; fake auth and fake billing on the test's bus.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { bill } from '../../../support/fixtures.js';

const h = await startServiceHarness({ label: 'gw004b', busName: 'gateway-d004-bills-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function get(url: string, token?: string) {
  const res = await http.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: res.json() };
}
const admin = (await http.inject({ method: 'POST', url: '/api/admin/login', payload: { username: 'admin', password: 'admin-pass-1' } })).json().data.token as string;
const user = (await http.inject({ method: 'POST', url: '/api/user/register', payload: { username: 'uma004', password: 'uma-password' } })).json().data.token as string;
fakes.bills.set('b-7', bill({ billId: 'b-7', userId: '7' }));
fakes.bills.set('b-8', bill({ billId: 'b-8', userId: '8', totalFen: 1234 }));

t.test("an operator lists every user's bills, each with its user", async (t) => {
  const res = await get('/api/admin/bills?pageNum=1&pageSize=10', admin);
  t.equal(res.status, 200);
  t.equal(res.body.data.total, 2);
  t.same(res.body.data.list.map((b: { billId: string; userId: number }) => [b.billId, b.userId]).sort(), [['b-7', 7], ['b-8', 8]]);
  t.match(res.body.data.list.find((b: { billId: string }) => b.billId === 'b-8'), { totalYuan: 12.34, energyKwh: Number, tiers: Array });
  t.same(fakes.last('billing.listBills'), { pageNum: 1, pageSize: 10 }, 'no user filter unless asked');

  await get('/api/admin/bills?userId=8&stationId=default&from=2025-01-02&to=2025-01-02T12:00:00%2B08:00&pageSize=5', admin);
  t.same(fakes.last('billing.listBills'), {
    pageNum: 1, pageSize: 5, stationId: 'default', userId: '8',
    fromMs: Date.parse('2025-01-02T00:00:00+08:00'), toMs: Date.parse('2025-01-02T12:00:00+08:00'),
  }, 'a date is the start of that local day; a date-time is that instant');
  await get('/api/admin/bills?to=2025-01-02', admin);
  t.equal(fakes.last('billing.listBills')?.toMs, Date.parse('2025-01-03T00:00:00+08:00'), "a date as `to` includes that day");
});

t.test('refusals', async (t) => {
  const calls = fakes.count('billing.listBills');
  t.match(await get('/api/admin/bills', user), { status: 403, body: { code: 9003 } }, "a user's token");
  t.match(await get('/api/admin/bills'), { status: 401, body: { code: 9002 } });
  for (const q of ['from=yesterday', 'from=2025-01-03&to=2025-01-02', 'userId=abc', 'pageSize=1000', 'colour=red']) {
    t.match(await get(`/api/admin/bills?${q}`, admin), { status: 400, body: { code: 9001, data: null } }, q);
  }
  t.equal(fakes.count('billing.listBills'), calls, 'billing was not asked');
});

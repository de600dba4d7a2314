// GET /api/admin/orders: every user's orders for operators, filtered by station, user and time, with whose each
// is; a user's token is refused (403), a bad filter is 400; fake auth and fake orders on the test's bus.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { order } from '../../../support/fixtures.js';

const h = await startServiceHarness({ label: 'gw004o', busName: 'gateway-d004-orders-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function get(url: string, token?: string) {
  const res = await http.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: res.json() };
}
const admin = (await http.inject({ method: 'POST', url: '/api/admin/login', payload: { username: 'admin', password: 'admin-pass-1' } })).json().data.token as string;
const user = (await http.inject({ method: 'POST', url: '/api/user/register', payload: { username: 'ula004', password: 'ula-password' } })).json().data.token as string;
fakes.orders.set('o-7', order({ orderId: 'o-7', userId: '7' }));
fakes.orders.set('o-8', order({ orderId: 'o-8', userId: '8', state: 'finished' }));

t.test("an operator lists every user's orders, each with its user", async (t) => {
  const res = await get('/api/admin/orders', admin);
  t.equal(res.status, 200);
  t.same(res.body.data.list.map((o: { id: string; userId: number }) => [o.id, o.userId]).sort(), [['o-7', 7], ['o-8', 8]]);
  t.same(fakes.last('order.list'), { pageNum: 1, pageSize: 10 }, 'no user filter unless asked');
  await get('/api/admin/orders?userId=7&stationId=default&from=2025-01-02T08:00:00Z&to=2025-01-05', admin);
  t.same(fakes.last('order.list'), {
    pageNum: 1, pageSize: 10, stationId: 'default', userId: '7',
    fromMs: Date.parse('2025-01-02T08:00:00Z'), toMs: Date.parse('2025-01-06T00:00:00+08:00'),
  });
});

t.test('refusals', async (t) => {
  const calls = fakes.count('order.list');
  t.match(await get('/api/admin/orders', user), { status: 403, body: { code: 9003 } }, "a user's token");
  for (const q of ['to=soon', 'from=2025-01-05T00:00:00Z&to=2025-01-05T00:00:00Z', 'userId=-1', 'pageNum=0']) {
    t.match(await get(`/api/admin/orders?${q}`, admin), { status: 400, body: { code: 9001 } }, q);
  }
  t.equal(fakes.count('order.list'), calls, 'the order service was not asked');
});

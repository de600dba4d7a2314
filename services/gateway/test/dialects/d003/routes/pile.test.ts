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

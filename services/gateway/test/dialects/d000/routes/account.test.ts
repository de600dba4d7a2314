// Document 000's accounts over the bus (fake auth with real tokens): form and JSON bodies, the query token, and
// refusals as `{code: -1, msg}` in an HTTP 200 with nothing stored.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({
  label: 'gwd000',
  busName: 'gateway-d000-test',
  queues: [...Object.keys(rpcSchemas).map((method) => `rpc.${method}`), 'gateway.transient'],
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
const gw = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const http = gw.ctx.http;

const form = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

async function post(url: string, fields: Record<string, string>): Promise<any> {
  const res = await http.inject({ method: 'POST', url, ...form(fields) });
  t.equal(res.statusCode, 200, `${url} answers HTTP 200`);
  return res.json();
}

t.test('register by form logs in; login and detail follow', async (t) => {
  const reg = await post('/u/register', { username: 'wyc2002', password: '123456wyc', email: 'wyc@example.com', license_plate: '京A12345', battery_capcity: '60.5' });
  t.equal(reg.code, 200);
  t.type(reg.token, 'string');
  const login = await post('/u/login', { username: 'wyc2002', password: '123456wyc' });
  t.equal(login.code, 200);
  t.equal(login.msg, '登录成功');
  const detail = (await http.inject({ method: 'GET', url: `/user/detail?token=${encodeURIComponent(login.token)}` })).json();
  t.equal(detail.code, 200);
  t.match(detail.data, { username: 'wyc2002', email: 'wyc@example.com', license_plate: '京A12345', battery_capacity: 60.5 });
  t.type(detail.data.user_id, 'string');
  t.type(detail.data.created_at, 'string');
  t.type(detail.data.updated_at, 'string');
});

t.test('a JSON body is read too', async (t) => {
  const res = await http.inject({ method: 'POST', url: '/u/register', payload: { username: 'jsonuser', password: 'json-pass-1', email: 'j@example.com' } });
  t.equal(res.json().code, 200);
});

t.test('refusals: -1 with a message, nothing stored', async (t) => {
  const noEmail = await post('/u/register', { username: 'nomail', password: 'nomail-pass' });
  t.equal(noEmail.code, -1);
  t.ok(noEmail.msg);
  const unknownField = await post('/u/register', { username: 'extra', password: 'extra-pass', email: 'e@example.com', admin: '1' });
  t.equal(unknownField.code, -1);
  const badCapacity = await post('/u/register', { username: 'badcap', password: 'badcap-pass', email: 'b@example.com', license_plate: 'X1', battery_capcity: 'lots' });
  t.equal(badCapacity.code, -1);
  for (const username of ['nomail', 'extra', 'badcap']) {
    t.equal((await post('/u/login', { username, password: `${username}-pass` })).code, -1, `${username} was not registered`);
  }
  const twice = await post('/u/register', { username: 'wyc2002', password: 'other-pass', email: 'x@example.com' });
  t.equal(twice.code, -1, 'a taken name');
  const wrong = await post('/u/login', { username: 'wyc2002', password: 'wrong-password' });
  t.same(Object.keys(wrong).sort(), ['code', 'msg']);
  t.equal(wrong.code, -1);
  const noToken = await http.inject({ method: 'GET', url: '/user/detail' });
  t.equal(noToken.statusCode, 200);
  t.match(noToken.json(), { code: -1, msg: /token/ });
  t.equal((await http.inject({ method: 'GET', url: '/user/detail?token=garbage' })).json().code, -1);
  const badJson = await http.inject({ method: 'POST', url: '/u/login', payload: '{"username":', headers: { 'content-type': 'application/json' } });
  t.equal(badJson.json().code, -1);
  const unknownPath = await http.inject({ method: 'GET', url: '/user/nothing-here' });
  t.equal(unknownPath.json().code, -1, 'a 404 under /user answers in 000 shape');
});

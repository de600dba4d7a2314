// 001's /login and /register over real RPC (fake auth on the test's bus): query parameters, {code: 200, token},
// refusals {code: -1, msg} with HTTP 200 and nothing stored.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({ label: 'gw001', busName: 'gateway-d001-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
const gateway = h.add(await runService({ ...gatewayService, env: h.env({}), exit: false }));
const http = gateway.ctx.http;

async function post(path: string, query: Record<string, string>) {
  const res = await http.inject({ method: 'POST', url: `${path}?${new URLSearchParams(query).toString()}` });
  return { status: res.statusCode, body: res.json() };
}

t.test('register by query with any non-empty code, then log in; the token works at /api', async (t) => {
  const reg = await post('/register', { username: 'dora01', password: 'dora-password', code: '1234' });
  t.equal(reg.status, 200);
  t.match(reg.body, { code: 200, token: String });
  const login = await post('/login', { username: 'dora01', password: 'dora-password' });
  t.match(login, { status: 200, body: { code: 200, token: String } });
  const info = await http.inject({ url: '/api/user/info', headers: { authorization: `Bearer ${login.body.token}` } });
  t.equal(info.json().code, 0, "001's token is accepted by 004");
});

t.test('register refusals: -1 with msg, nothing stored', async (t) => {
  const noCode = await post('/register', { username: 'eve001', password: 'eve-password' });
  t.match(noCode, { status: 200, body: { code: -1, msg: /code/ } });
  const emptyCode = await post('/register', { username: 'eve001', password: 'eve-password', code: '' });
  t.match(emptyCode, { status: 200, body: { code: -1, msg: String } });
  t.match(await post('/login', { username: 'eve001', password: 'eve-password' }), { body: { code: -1 } }, 'nothing stored');
  const extra = await post('/register', { username: 'eve001', password: 'eve-password', code: '1', nickname: 'x' });
  t.match(extra, { status: 200, body: { code: -1, msg: String } }, 'unknown parameters are refused');
  await post('/register', { username: 'fred01', password: 'fred-password', code: '9' });
  const taken = await post('/register', { username: 'fred01', password: 'other-password', code: '9' });
  t.same(taken, { status: 200, body: { code: -1, msg: 'username exists' } });
  t.match(await post('/login', { username: 'fred01', password: 'other-password' }), { body: { code: -1 } }, 'the taken name keeps its password');
});

t.test('login refusals', async (t) => {
  await post('/register', { username: 'gina01', password: 'gina-password', code: 'x' });
  t.match(await post('/login', { username: 'gina01', password: 'wrong-password' }), { status: 200, body: { code: -1, msg: String } });
  t.match(await post('/login', { username: 'gina01' }), { status: 200, body: { code: -1, msg: /password/ } });
  const get = await http.inject({ method: 'GET', url: '/login?username=gina01&password=gina-password' });
  t.equal(get.json().code, -1, "an unknown method under 001's path answers in 001's shape");
});

t.test('OpenAPI carries both, tagged 001', async (t) => {
  const spec = (await http.inject({ url: '/docs/json' })).json();
  t.same(spec.paths['/login'].post.tags, ['001']);
  t.same(spec.paths['/register'].post.tags, ['001']);
});

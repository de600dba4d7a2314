// Issue 8, gateway side: what a client sends that a route does not take is refused in the API's shape and never
// reaches a service (defects 1, 8, 9, 10 and their classes). Fake auth behind the gateway (users, cars, real
// tokens), fake order/billing/scheduler servers on the test's own bus; requests through fastify's inject.
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../test/support/service-harness.js';
import { BODY_LIMIT_BYTES, MAX_JSON_DEPTH, MAX_PARAM_LENGTH } from '../../src/edge.js';
import { gatewayService } from '../../src/main.js';
import { serveFakeAuth } from '../support/fake-auth.js';
import { serveFakes } from '../support/fakes.js';

const h = await startServiceHarness({
  label: 'gwedge',
  busName: 'gateway-edge-test',
  queues: Object.keys(rpcSchemas).map((method) => `rpc.${method}`),
});
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const gateway = h.add(await runService({ ...gatewayService, env: h.env({ BILL_WAIT_MS: '500' }), exit: false }));
const http = gateway.ctx.http;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Answer {
  status: number;
  body: { code: number; message: string; data: any };
  raw: string;
}

/** A request as a client sends it: a body given as text goes out as it is (JSON that JSON.stringify cannot make). */
async function send(method: Method, url: string, opts: { token?: string; body?: unknown; contentType?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined || opts.contentType) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await http.inject({
    method,
    url,
    headers,
    ...(opts.body !== undefined ? { payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
  });
  let body: Answer['body'];
  try {
    body = res.json();
  } catch {
    body = { code: NaN, message: `not JSON: ${res.body.slice(0, 100)}`, data: undefined };
  }
  return { status: res.statusCode, body, raw: res.body };
}

/** The API's shape of a refusal: a 4xx, `{code, message, data: null}`, a code of the platform's table. */
function isRefusal(t: Test, res: Answer, status: number | RegExp, what: string): void {
  if (typeof status === 'number') t.equal(res.status, status, `${what}: HTTP ${status}`);
  else t.match(String(res.status), status, `${what}: HTTP ${String(status)}`);
  t.ok(res.status >= 400 && res.status < 500, `${what}: a 4xx (got ${res.status})`);
  t.same(Object.keys(res.body).sort(), ['code', 'data', 'message'], `${what}: {code, message, data} (got ${res.raw.slice(0, 160)})`);
  t.type(res.body.code, 'number', `${what}: numeric code`);
  t.ok(res.body.code >= 1000, `${what}: a business code, not fastify's (got ${String(res.body.code)})`);
  t.type(res.body.message, 'string', `${what}: a message`);
}

async function register(username: string, password = `${username}-password`): Promise<{ token: string; userId: number }> {
  const res = await send('POST', '/api/user/register', { body: { username, password } });
  if (res.status !== 200) throw new Error(`register ${username}: ${res.raw}`);
  return res.body.data;
}

const alice = await register('alice2');
const adminToken = (await send('POST', '/api/admin/login', { body: { username: 'admin', password: 'admin-pass-1' } })).body.data.token as string;
const spec = (await http.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, { parameters?: { in: string }[] }>> };
// document 004's routes: this file checks 004's shape (each other dialect's refusals are tested in test/dialects/)
// WeChat's notify answers WeChat in XML, never in the JSON envelope (its refusals: test/dialects/d004/routes/payments)
const routes = Object.entries(spec.paths).filter(([path]) => path.startsWith('/api/') && path !== '/api/payment/wechat/notify').flatMap(([path, ops]) =>
  Object.keys(ops).map((method) => ({ method: method.toUpperCase() as Method, path, hasPathParams: path.includes('{') })),
);
const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);

t.test('defect 1: PUT /api/user/update takes only the profile fields of document 004', async (t) => {
  const bob = await register('bobby2', 'bobby2-password');
  const before = (await send('GET', '/api/user/info', { token: bob.token })).body.data;
  const calls = fakes.calls.length;
  const forbidden: Record<string, unknown> = {
    role: 'admin',
    passwordHash: 'x',
    password: 'new-password-1',
    username: 'alice2',
    createdAt: 'x',
    lastLoginAt: 0,
    userId: 'u-1',
    _id: 'x',
    id: 1,
    openId: 'o',
    balance: 1000,
    points: 10,
    __v: 9,
  };
  for (const [field, value] of Object.entries(forbidden)) {
    const res = await send('PUT', '/api/user/update', { token: bob.token, body: { nickname: 'Bobby', [field]: value } });
    isRefusal(t, res, 400, `{${field}}`);
    t.equal(res.body.code, 9001, `{${field}}: 9001 bad request`);
    t.match(res.body.message, new RegExp(`unknown field "${field}"`), `{${field}}: the message names the field`);
  }
  t.equal(fakes.calls.length, calls, 'no refused request reached a service');
  t.same((await send('GET', '/api/user/info', { token: bob.token })).body.data, before, 'the profile is unchanged, nickname included');

  const admin = await send('POST', '/api/admin/login', { body: { username: 'bobby2', password: 'bobby2-password' } });
  isRefusal(t, admin, 401, 'the user is no admin');
  t.equal((await send('GET', '/api/admin/clock', { token: bob.token })).status, 403, 'admin routes stay closed');
  const login = await send('POST', '/api/user/login', { body: { username: 'bobby2', password: 'bobby2-password' } });
  t.equal(login.status, 200, 'the owner still logs in with the old password');
  t.equal(login.body.data.userId, bob.userId, 'the account keeps its name');
  t.equal((await send('POST', '/api/user/login', { body: { username: 'alice2', password: 'alice2-password' } })).body.data.userId, alice.userId, 'alice keeps hers');

  const allowed = { nickname: 'Bob', avatar: 'https://a/b.png', gender: 1, country: 'CN', province: 'ZJ', city: 'Hangzhou', language: 'zh' };
  t.equal((await send('PUT', '/api/user/update', { token: bob.token, body: allowed })).status, 200, "document 004's fields still update");
  t.match((await send('GET', '/api/user/info', { token: bob.token })).body.data, allowed);

  // the same on the other writes a user makes
  isRefusal(t, await send('POST', '/api/user/register', { body: { username: 'carol2', password: 'carol2-password', role: 'admin' } }), 400, 'register {role}');
  t.equal((await send('POST', '/api/user/login', { body: { username: 'carol2', password: 'carol2-password' } })).status, 401, 'nobody was registered');
  isRefusal(t, await send('POST', '/api/user/cars', { token: bob.token, body: { plate: 'ZJ-B1', userId: String(alice.userId) } }), 400, 'car {userId}');
  isRefusal(t, await send('POST', '/api/queue/requests', { token: bob.token, body: { mode: 'fast', energyKwh: 1, userId: 'other' } }), 400, 'request {userId}');
  isRefusal(t, await send('PATCH', '/api/queue/requests/o-1', { token: bob.token, body: { state: 'finished' } }), 400, 'modify {state}');
  isRefusal(t, await send('GET', '/api/orders?userId=1', { token: bob.token }), 400, 'orders ?userId');
  t.same((await send('GET', '/api/user/cars', { token: bob.token })).body.data, [], 'no car was added');
});

t.test('defect 10: a number is no string (bodies are not coerced)', async (t) => {
  const res = await send('POST', '/api/user/register', { body: '{"username": 1e999, "password": "password-123"}' });
  isRefusal(t, res, 400, '{"username": 1e999}');
  t.match(res.body.message, /username must be string/);
  t.equal((await send('POST', '/api/user/login', { body: { username: 'Infinity', password: 'password-123' } })).status, 401, 'no user "Infinity"');
  isRefusal(t, await send('POST', '/api/user/register', { body: '{"username": 1234567, "password": "password-123"}' }), 400, 'username 1234567');
  isRefusal(t, await send('POST', '/api/user/register', { body: '{"username": "dave22", "password": 123456789}' }), 400, 'password 123456789');
  t.equal((await send('POST', '/api/user/login', { body: { username: 'dave22', password: '123456789' } })).status, 401, 'dave22 was not registered');
  isRefusal(t, await send('POST', '/api/user/login', { body: '{"username": "alice2", "password": true}' }), 400, 'password true');
  isRefusal(t, await send('POST', '/api/user/cars', { token: alice.token, body: '{"plate": 12345}' }), 400, 'plate 12345');
  isRefusal(t, await send('POST', '/api/user/cars', { token: alice.token, body: '{"plate": "ZJ-C1", "carId": 7}' }), 400, 'carId 7');
  isRefusal(t, await send('PUT', '/api/user/update', { token: alice.token, body: '{"nickname": 1e999}' }), 400, 'nickname 1e999');
  isRefusal(t, await send('PUT', '/api/user/update', { token: alice.token, body: '{"gender": "1"}' }), 400, 'gender "1"');
  isRefusal(t, await send('POST', '/api/queue/requests', { token: alice.token, body: '{"mode": "fast", "energyKwh": "5"}' }), 400, 'energyKwh "5"');
  isRefusal(t, await send('POST', '/api/queue/requests', { token: alice.token, body: '{"mode": "fast", "energyKwh": 5, "stationId": 1}' }), 400, 'stationId 1');
  isRefusal(t, await send('POST', '/api/admin/clock/advance', { token: adminToken, body: '{"seconds": 1e999}' }), 400, 'seconds 1e999');
  t.same((await send('GET', '/api/user/cars', { token: alice.token })).body.data, [], 'no car was added');
  // query strings are text: their numbers are still read as numbers
  const page = await send('GET', '/api/orders?pageNum=2&pageSize=5', { token: alice.token });
  t.equal(page.status, 200);
  t.match(page.body.data, { pageNum: 2, pageSize: 5 });
  isRefusal(t, await send('GET', '/api/orders?pageNum=two', { token: alice.token }), 400, 'pageNum=two');
  for (const pageNum of ['1e300', '9007199254740993', '1.5', '0']) {
    isRefusal(t, await send('GET', `/api/orders?pageNum=${pageNum}`, { token: alice.token }), 400, `pageNum=${pageNum}`);
    isRefusal(t, await send('GET', `/api/bills?pageNum=${pageNum}`, { token: alice.token }), 400, `bills pageNum=${pageNum}`);
  }
  // found by the fuzz test: a query number that overflows to Infinity skipped the range check (status is 0..4)
  for (const status of ['1e999', '-1e999', 'Infinity']) {
    isRefusal(t, await send('GET', `/api/orders?status=${status}`, { token: alice.token }), 400, `status=${status}`);
  }
});

t.test('defect 8: JSON nested 50,000 levels deep is a 400 on every route', async (t) => {
  const N = 50_000;
  const bodies = {
    arrays: '['.repeat(N) + ']'.repeat(N),
    objects: '{"a":'.repeat(N) + '1' + '}'.repeat(N),
    'in a field': '{"username":"deep-user","password":"deep-password","nickname":' + '{"a":'.repeat(N) + '1' + '}'.repeat(N + 1),
    'in an extra field': '{"username":"deep-user","password":"deep-password","mode":"fast","energyKwh":1,"status":"on","x":' + '['.repeat(N) + ']'.repeat(N) + '}',
  };
  const calls = fakes.calls.length;
  for (const route of routes.filter((r) => r.method !== 'GET')) {
    for (const [name, body] of Object.entries(bodies)) {
      const token = route.path.startsWith('/api/admin') ? adminToken : alice.token;
      const res = await send(route.method, fill(route.path, 'x1'), { token, body });
      isRefusal(t, res, 400, `${route.method} ${route.path} ${name}`);
    }
  }
  t.equal(fakes.calls.length, calls, 'nothing reached a service');
  t.equal((await send('POST', '/api/user/login', { body: { username: 'deep-user', password: 'deep-password' } })).status, 401, 'nobody was registered');
  // the limit is on depth, not on shape: a body just inside it is read and validated as usual
  const inside = `{"nickname":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
  t.match((await send('PUT', '/api/user/update', { token: alice.token, body: inside })).body.message, /nickname must be string/);
});

t.test('defect 9: bad %-escapes and long path parameters answer in shape on every route', async (t) => {
  const withParams = routes.filter((r) => r.hasPathParams);
  t.ok(withParams.length >= 5, 'routes with path parameters');
  for (const route of withParams) {
    const token = route.path.startsWith('/api/admin') ? adminToken : alice.token;
    for (const bad of ['%zz', '%', '%E0%A4%A', 'a%00b%']) {
      isRefusal(t, await send(route.method, fill(route.path, bad), { token }), 400, `${route.method} ${route.path} with ${bad}`);
    }
    isRefusal(t, await send(route.method, fill(route.path, 'x'.repeat(MAX_PARAM_LENGTH + 1)), { token }), 414, `${route.method} ${route.path} over ${MAX_PARAM_LENGTH}`);
    isRefusal(t, await send(route.method, fill(route.path, 'x'.repeat(129)), { token }), 400, `${route.method} ${route.path} with 129 characters`);
  }
  for (const url of ['/x/%zz', '/%', `/api/nowhere/${'y'.repeat(5000)}`]) {
    isRefusal(t, await send('GET', url), /^4/, `GET ${url.slice(0, 30)}`);
  }

  // an id that can be created can be addressed
  for (const carId of ['c'.repeat(120), 'c'.repeat(128), '电'.repeat(128), '😀'.repeat(64), 'a/b?c#d%e f&g=h']) {
    const added = await send('POST', '/api/user/cars', { token: alice.token, body: { plate: `P-${carId.length}-${carId.codePointAt(0)}`, carId } });
    t.equal(added.status, 200, `car id of ${carId.length} characters created`);
    const removed = await send('DELETE', `/api/user/cars/${encodeURIComponent(carId)}`, { token: alice.token });
    t.equal(removed.status, 200, `and deleted (${removed.raw.slice(0, 80)})`);
    t.equal(removed.body.data?.carId, carId, 'the same car');
  }
  isRefusal(t, await send('POST', '/api/user/cars', { token: alice.token, body: { plate: 'P-129', carId: 'c'.repeat(129) } }), 400, 'a car id over 128 characters is refused at creation');
  t.same((await send('GET', '/api/user/cars', { token: alice.token })).body.data, [], 'no car left behind');
});

t.test('every framework refusal is in shape with its own status', async (t) => {
  const token = alice.token;
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: '{"nickname": "a"' }), 400, 'malformed JSON');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: '' }), 400, 'empty JSON body');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: '{"__proto__": {"role": "admin"}}' }), 400, '__proto__');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: '{"constructor": {"prototype": {}}}' }), 400, 'constructor');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: 'nickname=x', contentType: 'text/plain' }), 415, 'text/plain');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: 'nickname=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'a form');
  for (const contentType of ['json', 'application/', 'a b/c']) {
    const res = await send('PUT', '/api/user/update', { token, body: '{}', contentType });
    isRefusal(t, res, 415, `content type ${contentType}`);
  }
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: JSON.stringify({ nickname: 'x'.repeat(2 * 1024 * 1024) }) }), 413, 'body over 1 MiB');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: '[]' }), 400, 'an array body');
  isRefusal(t, await send('PUT', '/api/user/update', { token, body: 'null' }), 400, 'a null body');
  isRefusal(t, await send('POST', '/nowhere', { body: '{bad' }), 400, 'malformed JSON outside /api');
  isRefusal(t, await send('POST', '/nowhere', { body: 'x', contentType: 'text/plain' }), 404, 'text/plain outside /api');
  // a DELETE with a JSON content type and no body is a plain DELETE
  const order = await send('POST', '/api/queue/requests', { token, body: { mode: 'slow', energyKwh: 2 } });
  const cancelled = await http.inject({ method: 'DELETE', url: `/api/queue/requests/${order.body.data.orderId}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': '0' } });
  t.equal(cancelled.statusCode, 200, 'DELETE with an empty JSON body');
});

t.test('a body over the limit gets its 413 and the connection goes on (no reset that loses the answer)', async (t) => {
  // one socket, as a keep-alive client uses it: a 2 MB register, then a second request behind it
  const { port } = new URL(gateway.address);
  const body = JSON.stringify({ username: 'x'.repeat(2 * BODY_LIMIT_BYTES), password: 'password-123' });
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => void (received += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(`POST /api/user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
  socket.write(body);
  socket.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await closed;
  const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
  t.same(statuses, [413, 200], 'the 413, then the next request on the same connection answered');
  t.match(received, /"code":\d+,"message":"[^"]+","data":null/, 'the 413 in the API shape');
});

t.test('every request schema of /api is closed', async (t) => {
  for (const route of routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE')) {
    const token = route.path.startsWith('/api/admin') ? adminToken : alice.token;
    const res = await send(route.method, fill(route.path, 'x1'), { token, body: { zzUnknown: 1 } });
    isRefusal(t, res, 400, `${route.method} ${route.path} {zzUnknown}`);
  }
});

// Issue 8 through the gateway with the real auth service: defect 1 (a profile update cannot reach role, username,
// passwordHash, createdAt), defect 7 (a validly signed token for an account that does not exist, or no longer has
// the token's role, is refused) and defect 6 (failed logins and registrations limited per account and address,
// 429 / 9006 with Retry-After, the same answers for known and unknown names).
import t, { type Test } from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../test/support/service-harness.js';
import { configSchema as authConfigSchema } from '../../auth/src/config.js';
import { loadSigningKeys } from '../../auth/src/store/signing-keys.js';
import { authService } from '../../auth/src/main.js';
import { gatewayService } from '../src/service.js';
import { serveFakes } from './fakes.js';

const h = await startServiceHarness({
  label: 'gwlg',
  busName: 'gateway-guards-test',
  queues: Object.keys(rpcSchemas).map((method) => `rpc.${method}`),
});
t.teardown(() => h.close());
const auth = h.add(await runService({
  name: 'auth',
  configSchema: authConfigSchema,
  env: h.env({ SCRYPT_N: '16384', VOLTQ_ADMIN_USER: 'admin', VOLTQ_ADMIN_PASSWORD: 'admin-pass-1' }),
  exit: false,
  start: authService.start,
}));
const fakes = serveFakes(h.bus);
// the documented defaults: 5 failures per username per 15 min, 20 per address per minute
const gateway = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const http = gateway.ctx.http;
const users = auth.ctx.mongo!.collection('users');

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: { code: number; message: string; data: any };
}

let addressSeq = 0;
/** A fresh client address per scenario (the address limit is per address). */
const newAddress = () => `10.8.0.${++addressSeq}`;

async function api(method: 'GET' | 'POST' | 'PUT', url: string, opts: { token?: string; body?: unknown; from?: string } = {}): Promise<Answer> {
  const res = await http.inject({
    method,
    url,
    remoteAddress: opts.from ?? '10.9.9.9',
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

async function register(username: string, password: string, from = newAddress()): Promise<{ token: string; userId: number }> {
  const res = await api('POST', '/api/user/register', { body: { username, password }, from });
  if (res.status !== 200) throw new Error(`register ${username}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

const login = (username: string, password: string, from: string) => api('POST', '/api/user/login', { body: { username, password }, from });
const adminLogin = (username: string, password: string, from: string) => api('POST', '/api/admin/login', { body: { username, password }, from });

function isLimited(t: Test, res: Answer, maxSeconds: number, what: string): void {
  t.equal(res.status, 429, `${what}: 429`);
  t.equal(res.body.code, 9006, `${what}: 9006`);
  t.equal(res.body.data, null);
  const seconds = Number(res.headers['retry-after']);
  t.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= maxSeconds, `${what}: Retry-After ${String(res.headers['retry-after'])}`);
}

const adminToken = (await adminLogin('admin', 'admin-pass-1', newAddress())).body.data.token as string;
const keys = await loadSigningKeys(auth.ctx.mongo!);
const signed = async (userId: string, role: 'user' | 'admin') => (await keys.sign({ userId, username: 'ghost', role }, 600)).token;

t.test('defect 7: a validly signed token for a user that does not exist is refused', async (t) => {
  const ghost = await signed('999999', 'user');
  const info = await api('GET', '/api/user/info', { token: ghost });
  t.same(info.body, { code: 9002, message: 'invalid token: its account is gone or its role changed', data: null });
  t.equal(info.status, 401);
  const before = fakes.count('order.request');
  const order = await api('POST', '/api/queue/requests', { token: ghost, body: { mode: 'fast', energyKwh: 10 } });
  t.equal(order.status, 401, 'cannot create an order');
  t.equal(order.body.code, 9002);
  t.equal((await api('PUT', '/api/user/update', { token: ghost, body: { nickname: 'x' } })).status, 401);
  t.equal(fakes.count('order.request'), before, 'nothing reached the order service');

  // an admin must exist too, and hold the admin role now
  t.equal((await api('GET', '/api/admin/stations/default/board', { token: await signed('999998', 'admin') })).status, 401, 'an admin id that never was');
  const plain = await register('plainuser1', 'plain-password');
  t.equal((await api('GET', '/api/admin/stations/default/board', { token: await signed(String(plain.userId), 'admin') })).status, 401, 'a user id with an admin claim');
  t.equal((await api('GET', '/api/admin/stations/default/board', { token: adminToken })).status, 200, 'the real admin passes');

  // a deleted account: its token (never used before, so not cached) is refused
  const gone = await register('goneuser1', 'gone-password');
  await users.deleteOne({ userId: String(gone.userId) });
  t.equal((await api('GET', '/api/user/info', { token: gone.token })).status, 401, 'a deleted user');
  t.equal((await api('POST', '/api/queue/requests', { token: gone.token, body: { mode: 'slow', energyKwh: 5 } })).status, 401);
  t.equal(fakes.count('order.request'), before);
  t.equal((await api('GET', '/api/user/info', { token: plain.token })).status, 200, 'a live user passes');
});

t.test('defect 1: PUT /api/user/update cannot reach role, username, passwordHash, createdAt', async (t) => {
  const me = await register('climber01', 'climber-password');
  await register('bystander1', 'bystander-password');
  const stored = await users.findOne({ username: 'climber01' });
  for (const body of [{ role: 'admin' }, { passwordHash: 'x' }, { username: 'bystander1' }, { username: 'renamed01' }, { createdAt: 'x' }, { nickname: 'ok', role: 'admin' }, { balance: 1000 }]) {
    const res = await api('PUT', '/api/user/update', { token: me.token, body });
    t.equal(res.status, 400, `refused: ${JSON.stringify(body)}`);
    t.equal(res.body.code, 9001);
  }
  t.same(await users.findOne({ username: 'climber01' }), stored, 'nothing stored');
  t.equal((await adminLogin('climber01', 'climber-password', newAddress())).status, 401, 'no admin login');
  t.equal((await api('GET', '/api/admin/stations/default/board', { token: me.token })).status, 403, 'no admin route');
  t.equal((await login('climber01', 'climber-password', newAddress())).status, 200, 'the owner still logs in');
  t.equal((await login('bystander1', 'bystander-password', newAddress())).status, 200, 'the other account is intact');
});

t.test('defect 6: 100 wrong passwords -> 429 / 9006 with Retry-After after the limit; the right one is refused too', async (t) => {
  await register('victim001', 'victim-password');
  const from = newAddress();
  const answers: Answer[] = [];
  for (let i = 0; i < 100; i++) answers.push(await login('victim001', `guess-${i}`, from));
  for (const res of answers.slice(0, 5)) t.same(res.body, { code: 1002, message: 'wrong username or password', data: null });
  const rest = answers.slice(5);
  t.equal(rest.filter((r) => r.status === 429 && r.body.code === 9006).length, 95, 'every attempt after the fifth is refused');
  isLimited(t, rest[0]!, 900, 'the sixth');
  isLimited(t, rest[94]!, 900, 'the hundredth');
  isLimited(t, await login('victim001', 'victim-password', from), 900, 'the right password while limited');
  isLimited(t, await login('victim001', 'victim-password', newAddress()), 900, 'the right password from another address');
});

t.test('defect 6: admin login is limited the same way', async (t) => {
  const from = newAddress();
  for (let i = 0; i < 5; i++) t.equal((await adminLogin('admin', `nope-${i}`, from)).status, 401);
  isLimited(t, await adminLogin('admin', 'nope-5', from), 900, 'sixth wrong admin password');
  isLimited(t, await adminLogin('admin', 'admin-pass-1', newAddress()), 900, 'the right admin password while limited');
  t.equal((await api('GET', '/api/admin/clock', { token: adminToken })).status, 200, 'tokens issued before stay valid');
});

t.test('defect 6: a success starts the account over', async (t) => {
  await register('resetme01', 'resetme-password');
  const from = newAddress();
  for (let i = 0; i < 4; i++) t.equal((await login('resetme01', 'wrong', from)).status, 401);
  t.equal((await login('resetme01', 'resetme-password', from)).status, 200);
  for (let i = 0; i < 4; i++) t.equal((await login('resetme01', 'wrong', from)).status, 401, `after the success, failure ${i + 1}`);
  t.equal((await login('resetme01', 'resetme-password', from)).status, 200);
});

t.test('defect 6: known and unknown usernames get the same answers', async (t) => {
  await register('knownuser1', 'known-password');
  const from = newAddress();
  const known: Answer[] = [];
  const unknown: Answer[] = [];
  for (let i = 0; i < 7; i++) {
    known.push(await login('knownuser1', 'wrong-password', from));
    unknown.push(await login('nosuchuser', 'wrong-password', from));
  }
  const shape = (r: Answer) => ({ status: r.status, code: r.body.code, message: r.body.message.replace(/\d+/g, 'N'), data: r.body.data, retry: r.headers['retry-after'] !== undefined });
  t.same(known.map(shape), unknown.map(shape), 'same statuses, codes, messages and headers, attempt by attempt');
  t.same(known[0]!.body, { code: 1002, message: 'wrong username or password', data: null });
  t.equal(known[6]!.status, 429);
});

t.test('defect 6: an address is limited across usernames (20 failures a minute)', async (t) => {
  await register('spray0001', 'spray-password');
  const from = newAddress();
  for (let i = 0; i < 20; i++) t.equal((await login(`sprayed${i}`, 'password1', from)).status, 401, `guess ${i + 1}`);
  isLimited(t, await login('spray0001', 'spray-password', from), 60, 'the 21st attempt, even a right one');
  t.equal((await login('spray0001', 'spray-password', newAddress())).status, 200, 'the account itself is not locked');
});

t.test('defect 6: registration is limited too (taken names per address and per name)', async (t) => {
  await register('takenname', 'taken-password');
  const from = newAddress();
  for (let i = 0; i < 5; i++) t.equal((await api('POST', '/api/user/register', { body: { username: 'takenname', password: 'another-pw' }, from })).body.code, 1003);
  const res = await api('POST', '/api/user/register', { body: { username: 'takenname', password: 'another-pw' }, from: newAddress() });
  isLimited(t, res, 900, 'the sixth try of a taken name');
  // successful registrations from one address are not counted: many users behind one address can sign up
  const crowd = newAddress();
  for (let i = 0; i < 25; i++) await register(`crowd${String(i).padStart(4, '0')}`, 'crowd-password', crowd);
  t.pass('25 registrations from one address');
});

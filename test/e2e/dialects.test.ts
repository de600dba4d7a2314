// Issue 10, end to end: all six services as processes, driven through the gateway in the conventions of documents
// 000–004 (shared/api-docs/), each exactly where its document puts things (query `token`, header `token`, Bearer;
// form bodies, query parameters, JSON). One platform, one manual clock from 06:10 (valley tariff):
//   (4) a recharge through 002 shows in 002's and 004's user info;
//   (5) one identity: an e-mail account registered through 002 logs in through 000, 001 and 004, and a token works
//       at another dialect's door.
// The queue checks across dialects (000's car in 003's queue and 002's board, 001's socket settlement, a switch-off
// through 003 on 002's board) join this file with 003's queue/status views, 002's admin board and 001's socket.
import t, { type Test } from 'tap';
import { startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';
import { GatewayClient } from '../support/gateway-client.js';

const ADMIN = { username: 'admin', password: 'e2e-admin-password-1' };
const DAY = '2026-12-07';
const at = (hhmm: string) => `${DAY}T${hhmm}:00+08:00`;
const PASSWORD = 'password-123';

const namespace = testNamespace('e2edial');
let platform: Platform;
let api: GatewayClient;
let admin004: string;

t.before(async () => {
  platform = await startPlatform({
    namespace,
    randomPorts: true,
    env: { VOLTQ_ADMIN_USER: ADMIN.username, VOLTQ_ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn' },
  });
  api = new GatewayClient(platform.gatewayUrl);
  admin004 = (await api.post('/api/admin/login', ADMIN)).body.data.token as string;
  const clock = await api.put('/api/admin/clock', { mode: 'manual', time: at('06:10') }, admin004);
  if (clock.body.code !== 0) throw new Error(`manual clock: ${JSON.stringify(clock.body)}`);
});
t.teardown(async () => {
  await platform?.stop();
  await removeNamespace(namespace);
});

interface Call {
  query?: Record<string, string | number>;
  /** application/x-www-form-urlencoded, as 000's and 003's key/value bodies */
  form?: Record<string, string | number>;
  json?: unknown;
  /** 002's header named `token` */
  token?: string;
  bearer?: string;
}

/** One request as the dialect's own app sends it; `{status, body}` back (body parsed when JSON). */
async function call(method: string, path: string, c: Call = {}): Promise<{ status: number; body: any }> {
  const url = new URL(path, platform.gatewayUrl);
  for (const [k, v] of Object.entries(c.query ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (c.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(Object.entries(c.form).map(([k, v]) => [k, String(v)] as [string, string])).toString();
  } else if (c.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(c.json);
  }
  if (c.token) headers.token = c.token;
  if (c.bearer) headers.authorization = `Bearer ${c.bearer}`;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  try {
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: res.status, body: text };
  }
}

const unique = (name: string) => `${name}${Date.now() % 1_000_000}`;

let admin003 = '';
let admin002 = '';
async function admins(t: Test) {
  if (!admin003) {
    const login = await call('POST', '/a/login', { form: ADMIN });
    t.equal(login.body?.code, 200, `003 /a/login answers code 200 (003:95): ${JSON.stringify(login.body)}`);
    admin003 = login.body?.token ?? '';
  }
  if (!admin002) {
    const login = await call('POST', '/admin/login', { json: { account: ADMIN.username, password: ADMIN.password, session: '' } });
    t.equal(login.body?.code, 0, `002 /admin/login answers code 0: ${JSON.stringify(login.body)}`);
    t.equal(login.body?.data?.account, ADMIN.username, '002 /admin/login names the account (002:332)');
    admin002 = login.body?.data?.token ?? '';
  }
}

t.test('(5) one identity: a 002 e-mail account logs in through 000, 001 and 004; a token works at another door', async (t) => {
  const account = `${unique('eve')}@example.com`;
  const reg = await call('POST', '/client/register', { json: { account, password: PASSWORD, name: 'Eve' } });
  t.equal(reg.body?.code, 0, `002 register: ${JSON.stringify(reg.body)}`);
  t.type(reg.body?.data?.token, 'string', '002 register returns data.token (002:895)');

  const l000 = await call('POST', '/u/login', { form: { username: account, password: PASSWORD } });
  t.equal(l000.body?.code, 200, `000 /u/login: ${JSON.stringify(l000.body)}`);
  t.type(l000.body?.token, 'string', '000 token at the top level (000:76)');
  const l001 = await call('POST', '/login', { query: { username: account, password: PASSWORD } });
  t.equal(l001.body?.code, 200, `001 /login by query: ${JSON.stringify(l001.body)}`);
  t.type(l001.body?.token, 'string');
  const l004 = await api.post('/api/user/login', { username: account, password: PASSWORD });
  t.equal(l004.body?.code, 0, `004 /api/user/login: ${JSON.stringify(l004.body)}`);
  const l002 = await call('POST', '/client/login', { json: { account, password: PASSWORD } });
  t.equal(l002.body?.code, 0, `002 /client/login: ${JSON.stringify(l002.body)}`);

  // 002's token as 004's Bearer
  const info004by002 = await api.get('/api/user/info', reg.body?.data?.token);
  t.equal(info004by002.body?.code, 0, `004 /api/user/info with 002's token: ${JSON.stringify(info004by002.body)}`);
  // 002's token in 000's query `token`: the same user
  const detail = await call('GET', '/user/detail', { query: { token: reg.body?.data?.token ?? '' } });
  t.equal(detail.body?.code, 200, `000 /user/detail with 002's token: ${JSON.stringify(detail.body)}`);
  t.equal(detail.body?.data?.username, account, 'the account is the username');
  t.equal(detail.body?.data?.email, account, "002's account is also the e-mail (docs/api/README.md)");
  // 000's token in 002's header `token`, 001's token as 004's Bearer
  const info002 = await call('GET', '/client/index/information', { token: l000.body?.token ?? '' });
  t.equal(info002.body?.code, 0, `002 information with 000's token: ${JSON.stringify(info002.body)}`);
  t.equal(info002.body?.data?.account, account);
  t.equal(String(info002.body?.data?.id), String(detail.body?.data?.user_id), 'one user id');
  const info004 = await api.get('/api/user/info', l001.body?.token);
  t.equal(info004.body?.code, 0, `004 /api/user/info with 001's token: ${JSON.stringify(info004.body)}`);
  t.equal(String(info004.body?.data?.userId), String(detail.body?.data?.user_id), 'one user id at 004 too');

  // an admin of 003 is an admin of 004: its token moves the clock's door
  await admins(t);
  const clock = await api.get('/api/admin/clock', admin003);
  t.equal(clock.body?.code, 0, `003's admin token at 004's /api/admin/clock: ${JSON.stringify(clock.body)}`);
  // and a user's token is no admin's at 003's door
  const refused = await call('POST', '/admin/charge/status/set', { query: { token: l000.body?.token ?? '', id: '1', status: 'off' } });
  t.equal(refused.body?.code, -1, "a user's token is refused at 003's admin door");
  t.match(String(refused.body?.msg), /admin|forbidden|permission/i, `refused as no admin: ${JSON.stringify(refused.body)}`);
});

t.test('(4) a recharge through 002 shows in 002 and 004 user info', async (t) => {
  const account = `${unique('rita')}@example.com`;
  const reg = await call('POST', '/client/register', { json: { account, password: PASSWORD, name: 'Rita' } });
  t.equal(reg.body?.code, 0, `002 register: ${JSON.stringify(reg.body)}`);
  const token = reg.body?.data?.token ?? '';
  // 002:1269: `amount` in the query, yuan with two decimals
  const recharge = await call('POST', '/client/index/recharge', { query: { amount: '100.50' }, token });
  t.equal(recharge.body?.code, 0, `002 recharge: ${JSON.stringify(recharge.body)}`);
  const info002 = await call('GET', '/client/index/information', { token });
  t.equal(info002.body?.data?.balance, 100.5, `002 information shows balance 100.5: ${JSON.stringify(info002.body)}`);
  const info004 = await api.get('/api/user/info', token);
  t.equal(info004.body?.data?.balance, 100.5, `004 /api/user/info shows balance 100.5: ${JSON.stringify(info004.body)}`);
});

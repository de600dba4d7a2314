// Issue 10, end to end: all six services as processes, driven through the gateway in the conventions of documents
// 000–004 (shared/api-docs/), each exactly where its document puts things (query `token`, header `token`, Bearer;
// form bodies, query parameters, JSON). One platform, one manual clock from 06:10 (valley tariff):
//   (1) a car queued through 000 is in 003's pile queue and on 002's board;
//   (2) 001's socket is called to its pile, told of the start and settled with the bill 002 and 004 show, then closed;
//   (3) a pile switched off through 003 runs rule 5 (the car is stopped, billed and sent on) and 002's board shows it;
//   (4) a recharge through 002 shows in 002's and 004's user info;
//   (5) one identity: an e-mail account registered through 002 logs in through 000, 001 and 004, and a token works
//       at another dialect's door.
import t, { type Test } from 'tap';
import { startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';
import { eventually, GatewayClient } from '../support/gateway-client.js';
import { openSocket } from '../support/ws-client.js';

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

/** The manual clock moved to `hhmm` on the test day (every due session end is processed before it answers). */
async function clockTo(t: Test, hhmm: string) {
  const moved = await api.post('/api/admin/clock/advance', { to: at(hhmm) }, admin004);
  t.equal(moved.body?.code, 0, `clock to ${hhmm}: ${JSON.stringify(moved.body)}`);
}

t.test('(2) 001: the socket queues, is called to its pile, starts, and is settled with the bill 002 and 004 show', async (t) => {
  const username = unique('wyc');
  const reg = await call('POST', '/register', { query: { username, password: PASSWORD, code: '0000' } });
  t.equal(reg.body?.code, 200, `001 register: ${JSON.stringify(reg.body)}`);
  const token = reg.body?.token as string;
  const url = new URL('/user/charge', platform.gatewayUrl);
  url.search = new URLSearchParams({ token, mode: 'fast', quantity: '10' }).toString();
  const socket = openSocket(url);
  const queued = await socket.next((f) => f.type === 'queued', 10_000);
  t.match(queued, { code: 200, msg: '您已经成功进入队列，请等待', mode: 'fast', quantity: 10 }, 'the answer to the opening (001:136)');
  const called = await socket.next((f) => f.type === 'call', 10_000);
  t.match(called, { code: 200, stationId: Number, place: 0 }, 'called to a fast pile (001:140)');
  t.ok(called.stationId >= 1 && called.stationId < 100, `a fast pile's integer id: ${called.stationId}`);
  t.match(await socket.next((f) => f.type === 'start', 10_000), { code: 200, stationId: called.stationId });

  // 10 kWh at 30 kW take 20 minutes: 06:10 -> 06:30, all valley
  await clockTo(t, '06:31');
  const settled = await socket.next((f) => f.type === 'settlement', 15_000);
  t.match(settled, { code: 200, state: 'finished', complete: true, quantity: 10, stationId: called.stationId });
  t.equal(settled.bills.length, 1, 'one session, one bill');
  t.equal((await socket.closed).code, 1000, 'closed after settlement (001:140)');
  t.same(socket.frames.map((f) => f.type).filter((type) => type !== 'modified'), ['queued', 'call', 'start', 'stop', 'settlement'], 'in the order they happened');

  // the same bill through 004 (Bearer) and 002 (header token), with the same token
  const bills004 = await api.get('/api/bills?pageNum=1&pageSize=10', token);
  t.equal(bills004.body?.data?.total, 1, `004 lists one bill: ${JSON.stringify(bills004.body)}`);
  const bill = bills004.body.data.list[0];
  t.equal(bill.totalYuan, settled.cost, "004's bill total is the settlement's cost");
  t.equal(bill.energyKwh, settled.quantity);
  t.equal(bill.energyFeeYuan, settled.costOfCharge);
  t.equal(bill.serviceFeeYuan, settled.costOfService);
  const history002 = await call('GET', '/client/index/order', { query: { mode: 'HISTORY' }, token });
  t.equal(history002.body?.code, 0, `002 history: ${JSON.stringify(history002.body)}`);
  t.match(history002.body.data, [{ state: 'FINISHED', charge_kwh: 10, fee: settled.cost, service_price: settled.costOfService }], "002's order shows the same fee");
  const log = await call('GET', '/user/lognew', { query: { token, num: 5 } });
  t.match(log.body, { code: 200, log: [{ quantity: 10, cost: settled.cost, stationId: called.stationId }] }, "001's own history has it too");
});

let carOwner = { token: '', userId: '' };
let pileId = 0;

t.test('(1) a car queued through 000 is in 003\'s pile queue and on 002\'s board', async (t) => {
  await admins(t);
  const username = unique('owner');
  const reg = await call('POST', '/u/register', { form: { username, password: PASSWORD, email: `${username}@example.com`, license_plate: 'ZJ-E001', battery_capcity: 60 } });
  t.equal(reg.body?.code, 200, `000 register: ${JSON.stringify(reg.body)}`);
  const token = reg.body?.token as string;
  const detail = await call('GET', '/user/detail', { query: { token } });
  carOwner = { token, userId: String(detail.body?.data?.user_id) };
  const applied = await call('POST', '/user/charge/apply', { query: { token }, form: { mode: 'fast', quantity: 30 } });
  t.equal(applied.body?.code, 200, `000 apply: ${JSON.stringify(applied.body)}`);
  t.match(applied.body?.data, /^F\d+$/, 'a fast queue number');

  const onPile = await eventually(async () => {
    const info = await call('GET', '/user/charge/info', { query: { token } });
    return info.body?.data?.state === true ? info : undefined;
  });
  t.equal(onPile.body.data.queue_num, applied.body.data, '000 sees the car called');
  const status = await call('GET', '/admin/charge/status/get', { query: { token: admin003 } });
  t.equal(status.body?.code, 200, `003 status/get: ${JSON.stringify(status.body)}`);
  // the pile whose queue holds the car, found through 003's queue view
  for (const pile of status.body.data as { charging_station_id: number }[]) {
    const queue = await call('GET', '/admin/charge/queue', { query: { token: admin003, id: pile.charging_station_id } });
    if ((queue.body?.data ?? []).some((car: { user_id: string }) => String(car.user_id) === carOwner.userId)) pileId = pile.charging_station_id;
  }
  t.ok(pileId >= 1 && pileId < 100, `003's queue of a fast pile holds the car (pile ${pileId})`);
  const queue = await call('GET', '/admin/charge/queue', { query: { token: admin003, id: pileId } });
  t.match(queue.body.data, [{ user_id: carOwner.userId, request_quantity: 30, battery_capacity: 60 }], '003 shows the request and the car');
  t.match(status.body.data.find((p: { charging_station_id: number }) => p.charging_station_id === pileId), { status: 'on' });

  const board = await call('GET', '/admin/index/manage', { token: admin002 });
  t.equal(board.body?.code, 0, `002 board: ${JSON.stringify(board.body)}`);
  const pile002 = board.body.data.charge_array.find((p: { id: string }) => p.id === `F${pileId}`);
  t.match(pile002, { mode: 'F', state: 'WORK', car_blocks: [{ user_id: carOwner.userId, state: 'CHARGING', apply_kwh: 30, name: 'ZJ-E001', power_capacity: 60 }] }, "002's board shows the car on its pile");
});

t.test('(3) a pile switched off through 003 stops and bills its car, sends it on, and 002\'s board shows it', async (t) => {
  t.ok(pileId > 0, 'the pile of (1)');
  await clockTo(t, '06:37'); // 6 minutes on the pile: 3 kWh
  const off = await call('POST', '/admin/charge/status/set', { query: { token: admin003, id: pileId, status: 'off' } });
  t.equal(off.body?.code, 200, `003 switch off: ${JSON.stringify(off.body)}`);

  const board = await eventually(async () => {
    const res = await call('GET', '/admin/index/manage', { token: admin002 });
    const piles = res.body?.data?.charge_array as { id: string; state: string; car_blocks: { user_id: string; state: string }[] }[] | undefined;
    const moved = piles?.find((p) => p.id !== `F${pileId}` && p.car_blocks.some((c) => c.user_id === carOwner.userId));
    return piles?.find((p) => p.id === `F${pileId}`)?.state === 'OFF' && moved ? { piles, moved } : undefined;
  }, 15_000);
  t.match(board.piles.find((p) => p.id === `F${pileId}`), { state: 'OFF', car_blocks: [] }, "002's board: the pile is off and empty");
  t.match(board.moved, { state: 'WORK', car_blocks: [{ user_id: carOwner.userId, state: 'CHARGING' }] }, 'the car charges on the other fast pile (rule 5)');
  const status = await call('GET', '/admin/charge/status/get', { query: { token: admin003 } });
  t.match(status.body.data.find((p: { charging_station_id: number }) => p.charging_station_id === pileId), { status: 'off' }, "003's status says off");

  // the interrupted session was billed: 000's log has its record
  const log = await eventually(async () => {
    const res = await call('GET', '/user/log/get', { query: { token: carOwner.token } });
    return res.body?.log?.length === 1 ? res : undefined;
  });
  t.match(log.body.log, [{ charging_station_id: pileId, actual_power: '3.00' }], 'the 3 kWh before the switch-off, billed on the old pile');

  const on = await call('POST', '/admin/charge/status/set', { query: { token: admin003, id: pileId, status: 'on' } });
  t.equal(on.body?.code, 200, `003 switch on: ${JSON.stringify(on.body)}`);
  const cancelled = await call('POST', '/user/charge/cancel', { query: { token: carOwner.token } });
  t.equal(cancelled.body?.code, 200, `000 cancel: ${JSON.stringify(cancelled.body)}`);
});

// End to end: all six services as processes, driven only through the gateway, exactly as an app and an admin
// would: one fast charge of 30 kWh from 06:10 on the manual clock, billed 25 kWh valley + 5 kWh flat.
import t from 'tap';
import { startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';
import { GatewayClient, eventually } from '../support/gateway-client.js';

const ADMIN = { username: 'admin', password: 'e2e-admin-password-1' };
const DAY = '2026-03-02';

const namespace = testNamespace('e2e');
let platform: Platform;
let api: GatewayClient;

t.before(async () => {
  platform = await startPlatform({
    namespace,
    randomPorts: true,
    env: { VOLTQ_ADMIN_USER: ADMIN.username, VOLTQ_ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn' },
  });
  api = new GatewayClient(platform.gatewayUrl);
});
t.teardown(async () => {
  await platform?.stop();
  await removeNamespace(namespace);
});

async function newUser(name: string) {
  const username = `${name}${Date.now() % 100000}`;
  const registered = await api.post('/api/user/register', { username, password: 'password-123' });
  t.equal(registered.status, 200, `register ${name}`);
  t.equal(registered.body.code, 0);
  const login = await api.post('/api/user/login', { username, password: 'password-123' });
  t.equal(login.body.code, 0, `login ${name}`);
  t.type(login.body.data.token, 'string');
  return { username, token: login.body.data.token as string, userId: login.body.data.userId };
}

t.test('a fast charge from request to bill, through the gateway only', async (t) => {
  const adminLogin = await api.post('/api/admin/login', ADMIN);
  t.equal(adminLogin.body.code, 0, 'admin logs in');
  const admin = adminLogin.body.data.token as string;

  const clock = await api.put('/api/admin/clock', { mode: 'manual', time: `${DAY}T06:10:00+08:00` }, admin);
  t.equal(clock.body.code, 0, 'clock set to manual 06:10');
  t.equal(clock.body.data.mode, 'manual');
  t.equal(Date.parse(clock.body.data.time), Date.parse(`${DAY}T06:10:00+08:00`));

  const alice = await newUser('alice');
  const info = await api.get('/api/user/info', alice.token);
  t.equal(info.body.code, 0);
  t.equal(String(info.body.data.userId), String(alice.userId), 'user info is the caller');

  const applied = await api.post('/api/queue/requests', { mode: 'fast', energyKwh: 30 }, alice.token);
  t.equal(applied.body.code, 0, 'request accepted');
  t.equal(applied.body.data.queueNo, 'F1', 'first fast number of the day');
  const orderId = applied.body.data.orderId as string;

  const current = await eventually(async () => {
    const res = await api.get('/api/queue/requests/current', alice.token);
    return res.body.data?.state === 'CHARGING' ? res : undefined;
  });
  t.equal(current.body.data.pileNo, 'F1', 'dispatched to F1 and charging');
  t.equal(current.body.data.queueNo, 'F1');
  t.equal(current.body.data.carsAhead, 0);

  const board = await api.get('/api/admin/stations/default/board', admin);
  t.equal(board.body.code, 0);
  const f1 = board.body.data.piles.find((p: any) => p.pileNo === 'F1');
  t.equal(f1.queue.length, 1, 'F1 holds the car');
  t.equal(f1.queue[0].queueNo, 'F1');

  const advanced = await api.post('/api/admin/clock/advance', { to: `${DAY}T07:10:00+08:00` }, admin);
  t.equal(advanced.body.code, 0, 'clock advanced to 07:10');

  const finished = await eventually(async () => {
    const res = await api.get(`/api/order/${orderId}`, alice.token);
    return res.body.data?.status === 2 && res.body.data.totalAmount > 0 ? res : undefined;
  });
  t.equal(finished.body.data.powerConsumption, 30, 'order finished with 30 kWh');
  t.equal(finished.body.data.valleyElectricity, 25, '25 kWh at valley');
  t.equal(finished.body.data.valleyAmount, 10, 'for 10.00 yuan');
  t.equal(finished.body.data.flatElectricity, 5, '5 kWh at flat');
  t.equal(finished.body.data.flatAmount, 3.5, 'for 3.50 yuan: energy fee 13.50');
  t.equal(finished.body.data.serviceFee, 24, 'service fee 24.00 yuan');
  t.equal(finished.body.data.totalAmount, 37.5, 'total 37.50 yuan');
  t.equal(finished.body.data.amount, 37.5, 'the order amount is what the user pays');

  const bills = await api.get('/api/bills?pageNum=1&pageSize=10', alice.token);
  t.equal(bills.body.code, 0);
  t.equal(bills.body.data.total, 1, 'one bill');
  const bill = bills.body.data.list[0];
  t.equal(bill.energyKwh, 30);
  t.equal(bill.energyFeeYuan, 13.5);
  t.equal(bill.serviceFeeYuan, 24);
  t.equal(bill.totalYuan, 37.5);
  t.equal(bill.pileNo, 'F1');

  const own = await api.get(`/api/bills/${bill.billId}`, alice.token);
  t.equal(own.body.code, 0, 'the owner reads the bill');

  const bob = await newUser('bob');
  const stolen = await api.get(`/api/bills/${bill.billId}`, bob.token);
  t.equal(stolen.status, 404, 'another user cannot read it');
  t.not(stolen.body.code, 0);
  const othersOrder = await api.get(`/api/order/${orderId}`, bob.token);
  t.equal(othersOrder.status, 404, 'nor the order');
  const bobsBills = await api.get('/api/bills', bob.token);
  t.equal(bobsBills.body.data.total, 0, "bob's bill list is empty");

  const noToken = await api.get('/api/bills');
  t.equal(noToken.status, 401, 'no token: 401');
  const notAdmin = await api.get('/api/admin/stations/default/board', bob.token);
  t.equal(notAdmin.status, 403, 'a user is not an admin');
});

t.test('bad bodies get 400-class errors and change nothing', async (t) => {
  const carol = await newUser('carol');
  const admin = (await api.post('/api/admin/login', ADMIN)).body.data.token as string;
  const before = await api.get('/api/admin/stations/default/board', admin);

  for (const body of [
    { mode: 'turbo', energyKwh: 10 },
    { mode: 'fast', energyKwh: -5 },
    { mode: 'fast', energyKwh: 'lots' },
    { energyKwh: 10 },
  ]) {
    const res = await api.post('/api/queue/requests', body, carol.token);
    t.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status}`);
    t.not(res.body.code, 0, 'error code in the body');
    t.type(res.body.message, 'string');
  }
  const badLogin = await api.post('/api/user/login', { username: carol.username });
  t.ok(badLogin.status >= 400 && badLogin.status < 500, 'login without password is a 4xx');
  const badClock = await api.put('/api/admin/clock', { mode: 'sideways' }, admin);
  t.ok(badClock.status >= 400 && badClock.status < 500, 'bad clock mode is a 4xx');

  const after = await api.get('/api/admin/stations/default/board', admin);
  t.same(after.body.data, before.body.data, 'the station is unchanged');
  const current = await api.get('/api/queue/requests/current', carol.token);
  t.notOk(current.body.data?.orderId, 'carol has no live request');
  const orders = await api.get('/api/orders', carol.token);
  t.equal(orders.body.data.total, 0, 'and no order');
});

t.test('a billing crash between the end of a session and its bill loses nothing and doubles nothing', async (t) => {
  const admin = (await api.post('/api/admin/login', ADMIN)).body.data.token as string;
  const dave = await newUser('dave');
  const start = await api.get('/api/admin/clock', admin);
  const startMs = Date.parse(start.body.data?.time ?? `${DAY}T07:10:00+08:00`);

  const applied = await api.post('/api/queue/requests', { mode: 'slow', energyKwh: 10 }, dave.token);
  t.equal(applied.body.code, 0, 'slow request accepted');
  await eventually(async () => {
    const res = await api.get('/api/queue/requests/current', dave.token);
    return res.body.data?.state === 'CHARGING' ? res : undefined;
  });

  await platform.killService('billing', 'SIGKILL');
  const advanced = await api.post('/api/admin/clock/advance', { seconds: 2 * 3600 }, admin);
  t.equal(advanced.body.code, 0, 'the session ends while billing is down');
  t.ok(Date.parse(advanced.body.data.time) >= startMs + 2 * 3600 * 1000);

  await platform.startService('billing');
  const bills = await eventually(async () => {
    const res = await api.get('/api/bills', dave.token);
    return res.body.data?.total >= 1 ? res : undefined;
  });
  // Give redelivery a chance to double it if it were going to.
  await new Promise((r) => setTimeout(r, 1500));
  const again = await api.get('/api/bills', dave.token);
  t.equal(again.body.data.total, 1, 'exactly one bill after the restart');
  t.equal(bills.body.data.list[0].energyKwh, 10, 'for the whole 10 kWh');
});

// Issue 8, defect 3, end to end: all six services as processes, driven through the gateway. Redis loses its data
// (every key of the run's namespace deleted, as FLUSHALL or a restart without persistence would do; the shared
// Redis itself is never flushed) while cars charge and wait. Every /readyz reports it and recovers by itself, the
// board is the same, the manual clock keeps its time, the accepted orders finish and are billed once each with
// bill numbers that never repeat, and a new request works, without restarting anything.
import t from 'tap';
import { SERVICE_NAMES, startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace, removeRedisNamespace } from '../support/cleanup.js';
import { GatewayClient, eventually } from '../support/gateway-client.js';

const ADMIN = { username: 'admin', password: 'e2e-admin-password-1' };
const DAY = '2026-12-04';
const at = (hhmm: string) => `${DAY}T${hhmm}:00+08:00`;

const namespace = testNamespace('e2eloss');
let platform: Platform;
let api: GatewayClient;

t.before(async () => {
  platform = await startPlatform({
    namespace,
    randomPorts: true,
    // only probes notice the loss (no 1 s check in between): the first probe after it sees it, as a rule
    env: { VOLTQ_ADMIN_USER: ADMIN.username, VOLTQ_ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', REDIS_GENERATION_CHECK_MS: '3600000' },
  });
  api = new GatewayClient(platform.gatewayUrl);
});
t.teardown(async () => {
  await platform?.stop();
  await removeNamespace(namespace);
});

async function newUser(name: string): Promise<string> {
  const username = `${name}${Date.now() % 100000}`;
  await api.post('/api/user/register', { username, password: 'password-123' });
  const login = await api.post('/api/user/login', { username, password: 'password-123' });
  if (login.body.code !== 0) throw new Error(`login ${name}: ${JSON.stringify(login.body)}`);
  return login.body.data.token as string;
}

const readyz = async (name: (typeof SERVICE_NAMES)[number]) =>
  (await fetch(`http://127.0.0.1:${platform.ports[name]}/readyz`, { signal: AbortSignal.timeout(5000) })).status;

/** The service's voltq_redis_data_losses_total. */
async function lossesCounted(name: (typeof SERVICE_NAMES)[number]): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${platform.ports[name]}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('voltq_redis_data_losses_total'));
  return line ? Number(line.split(' ').pop()) : NaN;
}

t.test('Redis loses its data mid-flow: noticed, rebuilt, nothing lost, nothing repeated', async (t) => {
  const admin = (await api.post('/api/admin/login', ADMIN)).body.data.token as string;
  t.equal((await api.put('/api/admin/clock', { mode: 'manual', time: at('06:10') }, admin)).body.code, 0);

  const users = await Promise.all(['ann', 'ben', 'cat', 'dan'].map(newUser));
  const orders: string[] = [];
  for (const [i, token] of users.entries()) {
    const applied = await api.post('/api/queue/requests', i < 3 ? { mode: 'fast', energyKwh: 30 } : { mode: 'slow', energyKwh: 10 }, token);
    t.equal(applied.body.code, 0, `request ${i + 1} accepted`);
    orders.push(applied.body.data.orderId as string);
  }
  // every order knows where it is before the loss (its events reached the order service)
  await eventually(async () => {
    const states = await Promise.all(users.map(async (u) => (await api.get('/api/queue/requests/current', u)).body.data?.state));
    return states.join() === 'CHARGING,CHARGING,DISPATCHED,CHARGING' ? states : undefined;
  });
  const before = (await api.get('/api/admin/stations/default/board', admin)).body.data;
  for (const name of SERVICE_NAMES) t.equal(await readyz(name), 200, `${name} ready before`);

  await removeRedisNamespace(namespace);

  // the first probe reports the loss, unless the service already noticed it and rebuilt (its counter says so)
  for (const name of SERVICE_NAMES) {
    const status = await readyz(name);
    if (status === 503) t.pass(`${name}: the first probe after the loss reports it`);
    else t.equal(await lossesCounted(name), 1, `${name}: ready at the first probe (${status}) only because it had already noticed the loss`);
  }
  await eventually(async () => {
    const statuses = await Promise.all(SERVICE_NAMES.map(readyz));
    return statuses.every((s) => s === 200) ? statuses : undefined;
  }, 15_000);
  t.pass('all six ready again by themselves');
  for (const name of SERVICE_NAMES) t.equal(await lossesCounted(name), 1, `${name} counted the loss once (voltq_redis_data_losses_total)`);

  const board = await api.get('/api/admin/stations/default/board', admin);
  t.equal(board.body.code, 0);
  t.same(board.body.data, before, 'the same piles, queues and waiting cars');
  const clock = await api.get('/api/admin/clock', admin);
  t.equal(Date.parse(clock.body.data.time), Date.parse(at('06:10')), 'the manual clock kept its time');
  t.equal(clock.body.data.mode, 'manual');

  const eve = await newUser('eve');
  const late = await api.post('/api/queue/requests', { mode: 'fast', energyKwh: 10 }, eve);
  t.equal(late.body.code, 0, 'a new request works');
  t.equal(late.body.data.queueNo, 'F4', "the day's numbering goes on");
  orders.push(late.body.data.orderId as string);

  t.equal((await api.post('/api/admin/clock/advance', { to: at('09:00') }, admin)).body.code, 0);
  const billNos: string[] = [];
  for (const [i, token] of [...users, eve].entries()) {
    const bills = await eventually(async () => {
      const res = await api.get('/api/bills?pageNum=1&pageSize=10', token);
      return res.body.data?.total === 1 ? res.body.data.list : undefined;
    }, 15_000);
    t.equal(bills[0].orderId, orders[i], `order ${i + 1} finished and was billed once`);
    billNos.push(bills[0].billNo as string);
  }
  t.equal(new Set(billNos).size, billNos.length, `no bill number repeats: ${billNos.join(' ')}`);
});

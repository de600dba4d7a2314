// 001's history over the bus (fake auth, fake orders): /user/log lists records, /user/lognew wraps them in
// {code: 200, log}; only the caller's past (finished or cancelled) orders, `num` of them.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { KWH, order, T0 } from '../../../support/fixtures.js';

const h = await startServiceHarness({ label: 'gwd001l', busName: 'gateway-d001-log-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function register(username: string): Promise<{ token: string; userId: string }> {
  const res = await http.inject({ method: 'POST', url: `/register?${new URLSearchParams({ username, password: `${username}-password`, code: '1' }).toString()}` });
  const token = res.json().token as string;
  // the token's subject is the platform's user id
  return { token, userId: String(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub) };
}
const get = async (path: string, query: Record<string, string>) => {
  const res = await http.inject({ url: `${path}?${new URLSearchParams(query).toString()}` });
  return { status: res.statusCode, body: res.json() };
};

const ann = await register('ann001');
const bob = await register('bob001');
// a finished order of 1.5 h on F1, 30 kWh, 30 + 24 yuan; a live one (not history); bob's
fakes.orders.set('o-ann-1', order({
  orderId: 'o-ann-1', orderNo: '20250102-0007', userId: ann.userId, state: 'finished', pileNo: 'F1', requestChargedWms: 30 * KWH, chargingMs: 5_400_000,
  energyFeeFen: 3000, serviceFeeFen: 2400, requestFeeFen: 5400, createdAt: T0, startedAt: T0 + 60_000, endedAt: T0 + 5_460_000,
}));
fakes.orders.set('o-ann-2', order({ orderId: 'o-ann-2', orderNo: '20250102-0008', userId: ann.userId, state: 'waiting' }));
fakes.orders.set('o-ann-3', order({ orderId: 'o-ann-3', orderNo: '20250102-0009', userId: ann.userId, state: 'cancelled', endedAt: T0 + 120_000 }));
fakes.orders.set('o-bob-1', order({ orderId: 'o-bob-1', orderNo: '20250102-0010', userId: bob.userId, state: 'finished', pileNo: 'T1' }));

const finished = {
  id: 202501020007, time: '2025-01-02 10:00:00', stationId: 1, quantity: 30, timeOfUse: 1.5,
  startTime: '2025-01-02 10:01:00', endTime: '2025-01-02 11:31:00', costOfCharge: 30, costOfService: 24, cost: 54,
};
const cancelled = {
  id: 202501020009, time: '2025-01-02 10:00:00', stationId: 0, quantity: 0, timeOfUse: 0,
  startTime: '', endTime: '2025-01-02 10:02:00', costOfCharge: 0, costOfService: 0, cost: 0,
};

t.test('/user/log: the records as a list, as typed in its table', async (t) => {
  const res = await get('/user/log', { token: ann.token, num: '10' });
  t.equal(res.status, 200);
  t.same(res.body, [finished, cancelled], "only the caller's finished and cancelled orders");
  t.same((await get('/user/log', { token: ann.token, num: '1' })).body, [finished], 'num records');
  t.same(fakes.last('order.list'), { userId: ann.userId, pageNum: 1, pageSize: 1, states: ['finished', 'cancelled'] });
  await get('/user/log', { token: ann.token });
  t.equal(fakes.last('order.list')?.pageSize, 10, 'num defaults to 10 (001:182)');
});

t.test('/user/lognew: {code: 200, log} with id and timeOfUse as text', async (t) => {
  const res = await get('/user/lognew', { token: ann.token, num: '5' });
  t.same(res.body, { code: 200, log: [{ ...finished, id: '202501020007', timeOfUse: '1.50' }, { ...cancelled, id: '202501020009', timeOfUse: '0.00' }] });
  t.same((await get('/user/lognew', { token: bob.token })).body.log.map((r: { id: string }) => r.id), ['202501020010'], "bob sees only his");
});

t.test('refusals: {code: -1, msg}', async (t) => {
  for (const path of ['/user/log', '/user/lognew']) {
    t.match(await get(path, {}), { status: 200, body: { code: -1, msg: /token/ } }, `${path} without a token`);
    t.match(await get(path, { token: 'garbage' }), { status: 200, body: { code: -1, msg: String } }, `${path} with a bad token`);
    t.match(await get(path, { token: ann.token, num: '0' }), { status: 200, body: { code: -1, msg: /num/ } }, `${path} num 0`);
    t.match(await get(path, { token: ann.token, num: 'ten' }), { status: 200, body: { code: -1, msg: /num/ } });
  }
});

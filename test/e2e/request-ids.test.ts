// End to end (all six services as processes, through the gateway only): the ids a charge request names are the
// caller's (issue 8, defect 4) and a request is idempotent by its Idempotency-Key (defect 5).
import t from 'tap';
import { startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';
import { GatewayClient } from '../support/gateway-client.js';

const ADMIN = { username: 'admin', password: 'e2e-admin-password-1' };

const namespace = testNamespace('e2eid');
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

async function newUser(name: string): Promise<string> {
  const username = `${name}${Date.now() % 100000}`;
  const registered = await api.post('/api/user/register', { username, password: 'password-123' });
  if (registered.body?.code !== 0) throw new Error(`register ${name}: ${JSON.stringify(registered.body)}`);
  return registered.body.data.token as string;
}

/** POST /api/queue/requests with an optional Idempotency-Key. */
async function apply(token: string, body: Record<string, unknown>, key?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${platform.gatewayUrl}/api/queue/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.json() };
}

async function ordersOf(token: string): Promise<number> {
  return (await api.get('/api/orders?pageNum=1&pageSize=50', token)).body.data.total as number;
}

t.test("a request's car must be the caller's; one live request per car", async (t) => {
  const alice = await newUser('alice');
  const bob = await newUser('bob');
  const car = `car-${Date.now()}`;
  t.equal((await api.post('/api/user/cars', { plate: 'ZJ-E2E01', carId: car }, alice)).body.code, 0, 'alice registers her car');

  for (const carId of [car, 'made-up-1', 'made-up-2']) {
    const res = await apply(bob, { mode: 'fast', energyKwh: 5, carId });
    t.same(res, { status: 404, body: { code: 9004, message: `car ${carId} is not one of your cars`, data: null } }, `bob with ${carId}`);
  }
  t.equal(await ordersOf(bob), 0, 'nothing stored for bob');

  const mine = await apply(alice, { mode: 'fast', energyKwh: 5, carId: car });
  t.equal(mine.status, 200, 'the owner is not blocked by the refused attempts');
  const second = await apply(alice, { mode: 'slow', energyKwh: 6, carId: car });
  t.equal(second.body.code, 3005, 'one live request per car');
  t.equal(await ordersOf(alice), 1);
});

t.test('Idempotency-Key: the retry gets the same order; the key for another request is refused', async (t) => {
  const carol = await newUser('carol');
  const key = `retry-${Date.now()}`;
  const first = await apply(carol, { mode: 'slow', energyKwh: 4 }, key);
  t.equal(first.status, 200);
  const retry = await apply(carol, { mode: 'slow', energyKwh: 4 }, key);
  t.equal(retry.status, 200, 'not CAR_HAS_ACTIVE_REQUEST');
  t.equal(retry.body.data.orderId, first.body.data.orderId, 'the same order');
  t.equal(retry.body.data.queueNo, first.body.data.queueNo);
  const other = await apply(carol, { mode: 'slow', energyKwh: 9 }, key);
  t.same([other.status, other.body.code], [400, 9005], 'the same key with another request');
  const tooLong = await apply(carol, { mode: 'slow', energyKwh: 4 }, 'k'.repeat(129));
  t.same([tooLong.status, tooLong.body.code], [400, 9001], 'a key over 128 characters');
  t.equal(await ordersOf(carol), 1, 'one order exists');

  // without a key, the same request again while the first is live is answered with it
  const dave = await newUser('dave');
  const a = await apply(dave, { mode: 'fast', energyKwh: 3 });
  const b = await apply(dave, { mode: 'fast', energyKwh: 3 });
  t.equal(b.body.data.orderId, a.body.data.orderId);
  t.equal((await apply(dave, { mode: 'fast', energyKwh: 7 })).body.code, 3005, 'a different request is refused');
  t.equal(await ordersOf(dave), 1);
});

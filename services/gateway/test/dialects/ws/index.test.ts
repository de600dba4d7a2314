// GET /api/ws over real sockets: two gateway replicas on one namespace (any replica holds any socket), fake auth
// (real tokens) and fake order/scheduler servers on the test's bus; the platform's events are published on that bus.
import t from 'tap';
import { rpcSchemas, type MessagePayload, type MessageType } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../test/support/service-harness.js';
import { PUSH_CLOSE } from '../../../src/core/push-hub.js';
import { gatewayService } from '../../../src/main.js';
import { serveFakeAuth } from '../../support/fake-auth.js';
import { serveFakes } from '../../support/fakes.js';
import { openSocket, type Client } from '../../../../../test/support/ws-client.js';

const h = await startServiceHarness({
  label: 'gwws',
  busName: 'gateway-ws-test',
  queues: [...Object.keys(rpcSchemas).map((method) => `rpc.${method}`), 'gateway.transient'],
});
t.teardown(() => h.close());
const auth = await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
const replicaA = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const replicaB = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const httpB = replicaB.ctx.http;

async function post(url: string, body: unknown, token?: string): Promise<any> {
  const res = await httpB.inject({ method: 'POST', url, payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json().data;
}
const register = async (username: string): Promise<{ token: string; userId: number }> => post('/api/user/register', { username, password: `${username}-password` });

function connect(address: string, opts: { token?: string; header?: boolean } = {}): Client {
  const url = new URL('/api/ws', address);
  if (opts.token && !opts.header) url.searchParams.set('token', opts.token);
  return openSocket(url, opts.token && opts.header ? { authorization: `Bearer ${opts.token}` } : {});
}

/** A socket the gateway accepted (its first frame says so). */
async function subscribed(address: string, opts: { token: string; header?: boolean }): Promise<Client> {
  const c = connect(address, opts);
  await c.next((f) => f.type === 'subscribed');
  return c;
}

const publish = <K extends MessageType>(type: K, payload: MessagePayload<K>) => h.bus.publish(type, payload);

const alice = await register('alice1');
const bob = await register('bobby1');
const adminToken = (await post('/api/admin/login', { username: 'admin', password: 'admin-pass-1' })).token as string;

t.test('a socket on replica A gets the push of its own order requested through replica B, and not another user\'s', async (t) => {
  const aliceWs = await subscribed(replicaA.address, { token: alice.token });
  const bobWs = await subscribed(replicaA.address, { token: bob.token, header: true });
  t.match(aliceWs.frames[0], { type: 'subscribed', userId: alice.userId, role: 'user' }, 'token in the query');
  t.match(bobWs.frames[0], { type: 'subscribed', userId: bob.userId, role: 'user' }, 'token in Authorization');

  const request = await post('/api/queue/requests', { mode: 'fast', energyKwh: 20 }, alice.token);
  const ref = { orderId: request.orderId as string, userId: String(alice.userId), stationId: 'default' };
  await publish('order.dispatched', { ...ref, queueNo: request.queueNo, pileNo: 'F1', place: 0, dispatchedAt: Date.now() });
  const push = await aliceWs.next((f) => f.type === 'order.dispatched');
  t.match(push, { type: 'order.dispatched', order: { id: request.orderId, userId: alice.userId, orderNo: String, status: Number } }, "document 004's order view");
  t.same(Object.keys(push).sort(), ['order', 'type']);

  await publish('session.started', { ...ref, sessionId: `${ref.orderId}#1`, pileNo: 'F1', queueNo: request.queueNo, mode: 'fast', powerW: 30_000, targetEnergyWms: 1, startedAt: Date.now() });
  await aliceWs.next((f) => f.type === 'session.started');
  t.same(aliceWs.frames.map((f) => f.type), ['subscribed', 'order.dispatched', 'session.started'], 'in event order');

  // bob's own order reaches bob; by then alice's two events would have reached him too had they been routed to him
  const bobRequest = await post('/api/queue/requests', { mode: 'slow', energyKwh: 5 }, bob.token);
  await publish('order.cancelled', { orderId: bobRequest.orderId, userId: String(bob.userId), stationId: 'default', queueNo: bobRequest.queueNo, cancelledAt: Date.now() });
  await bobWs.next((f) => f.type === 'order.cancelled');
  t.same(bobWs.frames.map((f) => f.type), ['subscribed', 'order.cancelled'], "bob never saw alice's pushes");
  t.notOk(aliceWs.frames.some((f) => f.order?.id === bobRequest.orderId), "alice never saw bob's");
});

t.test('an admin gets board changes; a user does not', async (t) => {
  const admin = await subscribed(replicaB.address, { token: adminToken, header: true });
  const user = await subscribed(replicaA.address, { token: alice.token });
  await publish('pile.faulted', { stationId: 'default', pileNo: 'T1', reason: 'test', faultedAt: Date.now() });
  const push = await admin.next((f) => f.type === 'board');
  t.match(push, { type: 'board', event: 'pile.faulted', stationId: 'default', board: { stationId: 'default', piles: [{ pileNo: 'F1' }, { pileNo: 'T1', state: String }], waitingArea: Array } });
  await new Promise((r) => setTimeout(r, 300));
  t.same(user.frames.map((f) => f.type), ['subscribed'], 'no board for a user');
});

t.test('bad, missing and expired tokens, and a deleted account, are refused with 4401', async (t) => {
  const expired = (await auth.keys.sign({ userId: String(alice.userId), username: 'alice1', role: 'user' }, 60, Date.now() - 3_600_000)).token;
  const gone = await register('gone01');
  await auth.users.deleteOne({ userId: String(gone.userId) });
  const cases: [string, Client][] = [
    ['no token', connect(replicaA.address)],
    ['garbage', connect(replicaA.address, { token: 'not-a-jwt' })],
    ['garbage in the header', connect(replicaA.address, { token: 'not.a.jwt', header: true })],
    ['expired', connect(replicaB.address, { token: expired })],
    ['a signed token of a user that is gone', connect(replicaA.address, { token: gone.token })],
  ];
  for (const [name, client] of cases) {
    const { code, reason } = await client.closed;
    t.equal(code, PUSH_CLOSE.unauthorized, `${name}: 4401`);
    t.match(reason, /^unauthorized: /, `${name}: says why (${reason})`);
    t.same(client.frames, [], `${name}: no frame`);
  }
  t.match((await cases[3]![1].closed).reason, /expired/);
});

t.test('the OpenAPI document names the socket', async (t) => {
  const spec = (await httpB.inject({ url: '/docs/json' })).json();
  t.ok(spec.paths['/api/ws']?.get, 'GET /api/ws');
  t.same(spec.paths['/api/ws'].get.tags, ['004'], 'a platform addition of document 004');
});

t.test('a plain GET (no upgrade) is told to upgrade, in the API shape', async (t) => {
  const res = await httpB.inject({ url: '/api/ws' });
  t.equal(res.statusCode, 426);
  t.same(res.json(), { code: 9001, message: 'GET /api/ws is a WebSocket: send Upgrade: websocket', data: null });
});

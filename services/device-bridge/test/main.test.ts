// The device-bridge in-process against real RabbitMQ + Redis and the embedded MongoDB (namespaced per run):
// piles on both doors, refused logins, malformed input, fault/recovery/offline events, pile commands.
import t from 'tap';
import { Redis } from 'ioredis';
import { deviceNames, type Envelope, type MessageType } from '@voltq/contracts';
import { createLocalClock, runService } from '@voltq/kit';
import { derivePileSecret, SimPile } from '@voltq/pile-sim';
import { REDIS_URL } from '../../../test/support/env.js';
import { startServiceHarness } from '../../../test/support/service-harness.js';
import { deviceBridgeService } from '../src/main.js';
import { RawPile, type Msg } from './support/helpers.js';
import { freePort } from './support/ports.js';

// the test bus is an observer, as the scheduler would be
const h = await startServiceHarness({ label: 'db', busName: 'observer', clock: createLocalClock(), queues: ['device-bridge.transient'] });
const redis = new Redis(REDIS_URL);
t.teardown(async () => {
  redis.disconnect();
  await h.close();
});
const ns = h.ns;
const MASTER = 'test-master-key-0123';
const HEARTBEAT_MS = 400;
const replicaId = `replica-${ns}`;
const secret = (pileId: string) => derivePileSecret(MASTER, pileId);

const tcpPort = await freePort();
const service = h.add(await runService({
  ...deviceBridgeService,
  exit: false,
  env: h.env({
    PILE_TCP_PORT: String(tcpPort),
    PILE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    PILE_HEARTBEAT_MISSES: '3',
    PILE_MASTER_KEY: MASTER,
    PILE_SEED: 'default-F1,default-F2,default-T1,default-T2,default-T3,lab-P1,lab-P2,lab-P3,lab-P4',
    REPLICA_ID: replicaId,
  }),
}));
const wsUrl = `${service.address.replace(/^http/, 'ws')}/piles`;

await h.record(['device.pile-online', 'device.pile-offline', 'device.pile-fault', 'device.pile-recovered', 'device.command-acked', 'device.command-failed']);
const pileOf = (e: Envelope) => (e.payload as { pileId: string }).pileId;
const waitEvent = (type: MessageType, pileId: string, timeoutMs = 5000) => h.waitFor(type, (e) => pileOf(e) === pileId, timeoutMs);
const eventsOf = (type: string, pileId: string) => h.events.filter((e) => e.type === type && pileOf(e) === pileId);
const isType = (type: string) => (m: Msg) => m.type === type;

t.test('a pile logs in over WebSocket and is registered on this replica', async (t) => {
  const pile = await RawPile.ws(wsUrl);
  const ok = await pile.ask({ type: 'login', pileId: 'default-F1', secret: secret('default-F1') }, 'l1');
  t.match(ok, { type: 'login.ok', pileId: 'default-F1', stationId: 'default', pileNo: 'F1', heartbeatIntervalMs: HEARTBEAT_MS, heartbeatIntervalS: 0.4, faulted: false });
  t.match(ok.serverTime, /^\d{4}-\d\d-\d\dT.*[+-]\d\d:\d\d$/, 'server time with offset');
  const online = await waitEvent('device.pile-online', 'default-F1');
  t.match(online.payload, { pileId: 'default-F1', stationId: 'default', pileNo: 'F1', replicaId, protocol: 'ws', faulted: false });
  t.equal(await redis.get(deviceNames.pileOwnerKey(ns, 'default-F1')), replicaId, 'registry names the replica');
  t.match(await redis.hgetall(deviceNames.pileTelemetryKey(ns, 'default-F1')), { online: '1', door: 'ws', replicaId });

  t.match(await pile.ask({ type: 'heartbeat' }, 'h1'), { type: 'heartbeat.ok' });
  t.same(await pile.ask({ type: 'meter', energyWms: 7_200_000, powerW: 30000 }, 'm1'), { type: 'ack', for: 'meter', id: 'm1' });
  t.equal(await redis.hget(deviceNames.pileTelemetryKey(ns, 'default-F1'), 'energyWms'), '7200000', 'telemetry kept in Redis');
  t.same(await pile.ask({ type: 'logout' }, 'bye'), { type: 'ack', for: 'logout', id: 'bye' });
  await pile.whenClosed();
  const offline = await waitEvent('device.pile-offline', 'default-F1');
  t.match(offline.payload, { reason: 'logout', replicaId });
  t.equal(await redis.get(deviceNames.pileOwnerKey(ns, 'default-F1')), null, 'registry entry removed');
});

t.test('a pile logs in over TCP; malformed and early messages get errors and change nothing', async (t) => {
  const pile = await RawPile.tcp(tcpPort);
  t.match(await pile.ask({ type: 'status', state: 'idle' }, 'early'), { type: 'error', code: 'NOT_LOGGED_IN' });
  t.match(await pile.ask({ type: 'login', pileId: 'default-F2', secret: secret('default-F2') }, 'l'), { type: 'login.ok', pileId: 'default-F2' });
  t.match((await waitEvent('device.pile-online', 'default-F2')).payload, { protocol: 'tcp' });

  pile.sendRaw('{"type":"status", state: idle}');
  t.match(await pile.next(isType('error')), { code: 'MALFORMED', message: /not valid JSON/ });
  t.match(await pile.ask({ type: 'status', state: 'on fire' }, 's1'), { type: 'error', code: 'INVALID', message: /\/state/ });
  t.match(await pile.ask({ type: 'teleport' }, 'x1'), { type: 'error', code: 'UNKNOWN_TYPE' });
  pile.sendRaw(JSON.stringify({ type: 'status', state: 'idle', pad: 'x'.repeat(70_000) }));
  t.match(await pile.next(isType('error')), { code: 'TOO_LARGE' });
  t.notOk(pile.closed, 'bad messages do not end the connection');
  t.equal(await redis.hget(deviceNames.pileTelemetryKey(ns, 'default-F2'), 'state'), null, 'nothing stored from them');

  t.same(await pile.ask({ type: 'status', state: 'charging', meter: { energyWms: 5 } }, 's2'), { type: 'ack', for: 'status', id: 's2' });
  t.match(await redis.hgetall(deviceNames.pileTelemetryKey(ns, 'default-F2')), { state: 'charging', energyWms: '5' });

  pile.end();
  await pile.whenClosed();
  t.match((await waitEvent('device.pile-offline', 'default-F2')).payload, { reason: 'connection-closed' });
});

t.test('a bad secret and an unknown pile are refused and disconnected', async (t) => {
  for (const [door, pileId, pw] of [
    ['ws', 'default-T1', 'wrong'],
    ['tcp', 'default-T1', secret('default-T2')],
    ['ws', 'default-X9', secret('default-X9')],
    ['tcp', 'nowhere-F1', 'whatever'],
  ] as const) {
    const pile = door === 'ws' ? await RawPile.ws(wsUrl) : await RawPile.tcp(tcpPort);
    const answer = await pile.ask({ type: 'login', pileId, secret: pw }, 'l');
    t.same(answer, { type: 'error', code: 'AUTH_FAILED', message: 'unknown pile or wrong secret', id: 'l' }, `${pileId} over ${door}`);
    await pile.whenClosed();
  }
  t.same(eventsOf('device.pile-online', 'default-T1'), [], 'no online event for a refused pile');
  t.equal(await redis.get(deviceNames.pileOwnerKey(ns, 'default-T1')), null);
});

t.test('fault reports and recoveries are published once each', async (t) => {
  const pile = await RawPile.ws(wsUrl);
  await pile.ask({ type: 'login', pileId: 'default-T2', secret: secret('default-T2') }, 'l');
  t.same(await pile.ask({ type: 'fault', reason: 'overheated', errorCode: 'E-TEMP' }, 'f1'), { type: 'ack', for: 'fault', id: 'f1' });
  const fault = await waitEvent('device.pile-fault', 'default-T2');
  t.match(fault.payload, { pileId: 'default-T2', stationId: 'default', pileNo: 'T2', info: 'overheated', errorCode: 'E-TEMP' });
  t.type((fault.payload as { at: number }).at, 'number');
  t.same(await pile.ask({ type: 'fault', reason: 'overheated' }, 'f2'), { type: 'ack', for: 'fault', id: 'f2', duplicate: true }, 'a repeated report');

  // the fault outlives the connection: a reconnecting pile is told, and its online event says so
  pile.end();
  await waitEvent('device.pile-offline', 'default-T2');
  const again = await RawPile.tcp(tcpPort);
  t.match(await again.ask({ type: 'login', pileId: 'default-T2', secret: secret('default-T2') }, 'l'), { type: 'login.ok', faulted: true });
  await t.resolves(async () => {
    for (;;) {
      if (eventsOf('device.pile-online', 'default-T2').some((e) => (e.payload as { faulted?: boolean }).faulted === true)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  t.same(await again.ask({ type: 'recovered' }, 'r1'), { type: 'ack', for: 'recovered', id: 'r1' });
  t.match((await waitEvent('device.pile-recovered', 'default-T2')).payload, { pileId: 'default-T2', pileNo: 'T2' });
  t.same(await again.ask({ type: 'recovered' }, 'r2'), { type: 'ack', for: 'recovered', id: 'r2', duplicate: true });
  await new Promise((r) => setTimeout(r, 200));
  t.equal(eventsOf('device.pile-fault', 'default-T2').length, 1, 'one fault event');
  t.equal(eventsOf('device.pile-recovered', 'default-T2').length, 1, 'one recovery event');
  again.end();
});

t.test('heartbeat loss publishes device.pile-offline and closes the connection', async (t) => {
  const pile = await RawPile.tcp(tcpPort);
  await pile.ask({ type: 'login', pileId: 'lab-P1', secret: secret('lab-P1') }, 'l');
  const started = Date.now();
  // silent from now on
  const offline = await waitEvent('device.pile-offline', 'lab-P1', 5000);
  const after = Date.now() - started;
  t.match(offline.payload, { pileId: 'lab-P1', stationId: 'lab', pileNo: 'P1', reason: 'heartbeat-timeout', replicaId });
  t.ok(after >= 3 * HEARTBEAT_MS - 50, `not before 3 intervals (${after} ms)`);
  t.match(await pile.next(isType('error')), { code: 'HEARTBEAT_TIMEOUT' });
  await pile.whenClosed();
  t.equal(await redis.sismember(deviceNames.onlinePilesKey(ns), 'lab-P1'), 0);
});

t.test('a heartbeating pile stays online', async (t) => {
  const sim = new SimPile({ pileId: 'lab-P2', secret: secret('lab-P2'), door: 'ws', wsUrl, tcp: { host: '127.0.0.1', port: tcpPort } });
  sim.start();
  await waitEvent('device.pile-online', 'lab-P2');
  await new Promise((r) => setTimeout(r, 5 * HEARTBEAT_MS));
  t.ok(sim.online, 'still online after 5 intervals');
  t.same(eventsOf('device.pile-offline', 'lab-P2'), []);
  await sim.stop();
  t.match((await waitEvent('device.pile-offline', 'lab-P2')).payload, { reason: 'logout' });
});

t.test('pile.command reaches the pile through the replica named in the registry', async (t) => {
  const piles = [
    new SimPile({ pileId: 'default-T3', secret: secret('default-T3'), door: 'ws', wsUrl, tcp: { host: '127.0.0.1', port: tcpPort } }),
    new SimPile({ pileId: 'lab-P3', secret: secret('lab-P3'), door: 'tcp', wsUrl, tcp: { host: '127.0.0.1', port: tcpPort } }),
  ];
  for (const sim of piles) sim.start();
  await Promise.all(piles.map((p) => waitEvent('device.pile-online', p.pileId)));

  for (const sim of piles) {
    // what the scheduler does: look the replica up, send to its routing key
    const owner = await redis.get(deviceNames.pileOwnerKey(ns, sim.pileId));
    t.equal(owner, replicaId);
    const got = new Promise<Msg>((resolve) => sim.once('command', resolve));
    const ack = new Promise<Msg>((resolve) =>
      sim.on('message', (m: Msg) => {
        if (m.type === 'ack' && m.for === 'command.ack') resolve(m);
      }),
    );
    await h.bus.send(
      'pile.command',
      { commandId: `c-${sim.pileId}`, pileId: sim.pileId, action: 'start', sessionId: 'o-1#1', powerW: sim.powerW },
      { routingKey: deviceNames.pileCommandRoutingKey(owner!) },
    );
    t.match(await got, { type: 'start', commandId: `c-${sim.pileId}`, sessionId: 'o-1#1', powerW: sim.powerW }, `start reached ${sim.pileId}`);
    await ack;
    t.ok(sim.charging, 'the simulated pile is charging');
    // the pile's acknowledgement goes back to the sender as an event, with the command it answers
    const acked = await waitEvent('device.command-acked', sim.pileId);
    t.match(acked.payload, { pileId: sim.pileId, commandId: `c-${sim.pileId}`, action: 'start', sessionId: 'o-1#1', accepted: true, replicaId });
    await t.resolves(async () => {
      while ((await redis.hget(deviceNames.pileTelemetryKey(ns, sim.pileId), 'state')) !== 'charging') await new Promise((r) => setTimeout(r, 20));
    }, 'its status reached the telemetry');
  }
  await Promise.all(piles.map((p) => p.stop()));
});

t.test('a command for a pile this replica does not hold is answered with command-failed, not dropped', async (t) => {
  // lab-P2 is not connected; a sender that still believes this replica holds it (the pile left a moment ago)
  const cmd = { commandId: 'c-gone-1', pileId: 'lab-P2', stationId: 'lab', pileNo: 'P2', action: 'start' as const, sessionId: 'o-9#1', powerW: 10000 };
  await h.bus.send('pile.command', cmd, { routingKey: deviceNames.pileCommandRoutingKey(replicaId), correlationId: 'corr-gone' });
  const failed = await waitEvent('device.command-failed', 'lab-P2');
  t.match(failed.payload, { pileId: 'lab-P2', commandId: 'c-gone-1', reason: 'not-connected', replicaId, command: cmd });
  t.equal(failed.correlationId, 'corr-gone', 'under the command\'s correlation id');

  // the registry still names a replica that died (its queue is gone): the forward comes back from the broker and is
  // answered the same way
  await redis.set(deviceNames.pileOwnerKey(ns, 'lab-P2'), 'ghost-replica', 'PX', 60_000);
  await h.bus.send('pile.command', { ...cmd, commandId: 'c-ghost-1' }, { routingKey: deviceNames.pileCommandRoutingKey(replicaId) });
  const ghost = await h.waitFor('device.command-failed', (e) => e.payload.commandId === 'c-ghost-1');
  t.match(ghost.payload, { pileId: 'lab-P2', reason: 'not-connected', command: { commandId: 'c-ghost-1', action: 'start' } });
  await redis.del(deviceNames.pileOwnerKey(ns, 'lab-P2'));

  // a pile that refuses a start says so, and the refusal reaches the sender as well
  const sim = new SimPile({ pileId: 'lab-P2', secret: secret('lab-P2'), door: 'tcp', wsUrl, tcp: { host: '127.0.0.1', port: tcpPort } });
  sim.start();
  await h.waitFor('device.pile-online', (e) => e.payload.pileId === 'lab-P2' && e.payload.protocol === 'tcp');
  sim.fault('broken relay');
  await waitEvent('device.pile-fault', 'lab-P2');
  await h.bus.send('pile.command', { ...cmd, commandId: 'c-refused-1' }, { routingKey: deviceNames.pileCommandRoutingKey(replicaId) });
  const refused = await h.waitFor('device.command-acked', (e) => e.payload.commandId === 'c-refused-1');
  t.match(refused.payload, { commandId: 'c-refused-1', accepted: false, reason: 'pile is faulted', action: 'start', sessionId: 'o-9#1' });
  sim.recover();
  await waitEvent('device.pile-recovered', 'lab-P2');
  await sim.stop();
});

t.test('a logout sent right before closing the connection still counts as a logout', async (t) => {
  const pile = await RawPile.ws(wsUrl);
  await pile.ask({ type: 'login', pileId: 'lab-P1', secret: secret('lab-P1') }, 'l');
  pile.send({ type: 'logout' });
  pile.end();
  await t.resolves(async () => {
    for (;;) {
      const last = eventsOf('device.pile-offline', 'lab-P1').at(-1);
      if (last && eventsOf('device.pile-offline', 'lab-P1').length === 2) return t.match(last.payload, { reason: 'logout' });
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

t.test('a second login of the same pile replaces the first without an offline event', async (t) => {
  const first = await RawPile.ws(wsUrl);
  await first.ask({ type: 'login', pileId: 'lab-P4', secret: secret('lab-P4') }, 'l');
  const second = await RawPile.tcp(tcpPort);
  t.match(await second.ask({ type: 'login', pileId: 'lab-P4', secret: secret('lab-P4') }, 'l'), { type: 'login.ok' });
  t.match(await first.next(isType('error')), { code: 'REPLACED' });
  await first.whenClosed();
  t.match(await second.ask({ type: 'heartbeat' }, 'h'), { type: 'heartbeat.ok' }, 'the new connection works');
  await new Promise((r) => setTimeout(r, 200));
  t.same(eventsOf('device.pile-offline', 'lab-P4'), []);
  second.end();
  await waitEvent('device.pile-offline', 'lab-P4');
});

t.test('piles of a vanished replica are swept offline by a surviving one', async (t) => {
  // what a crashed replica leaves behind: the pile in the online set, its registration expired
  await redis.sadd(deviceNames.onlinePilesKey(ns), 'default-T1');
  await redis.hset(deviceNames.pileTelemetryKey(ns, 'default-T1'), { online: '1', replicaId: 'crashed-replica' });
  const offline = await waitEvent('device.pile-offline', 'default-T1', 3000);
  t.match(offline.payload, { pileId: 'default-T1', replicaId: 'crashed-replica', reason: 'heartbeat-timeout' });
  t.equal(eventsOf('device.pile-offline', 'default-T1').length, 1);
});

t.test('the OCPP door refuses an unknown charge point at the upgrade (404); plain HTTP is told to upgrade', async (t) => {
  const WebSocket = (await import('ws')).default;
  const ws = new WebSocket(`${service.address.replace(/^http/, 'ws')}/ocpp/CP-1`, 'ocpp1.6');
  const status = await new Promise<number>((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('the OCPP door accepted a connection')));
    ws.on('error', () => undefined);
  });
  t.equal(status, 404);
  ws.terminate();
  const res = await fetch(`${service.address}/ocpp/CP-1`);
  t.equal(res.status, 426);
});

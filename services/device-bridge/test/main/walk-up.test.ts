// Walk-up piles with ports, two device-bridge replicas in-process on real RabbitMQ + Redis and the embedded
// MongoDB (namespaced per run): registration over RPC, a login with the answered secret, a start through
// device.command (forwarded to the replica holding the pile), meter readings per port, the pile stopping at the
// target, card starts, a pile that never answers, a disconnected one, and removal closing the connection.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { WMS_PER_KWH, type Envelope } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { runWalkUpPiles, type WalkUpPiles } from '@voltq/pile-sim';
import { serveCardOwner, startBridgeHarness } from '../support/bridge-harness.js';
import { deviceBridgeService } from '../../src/main.js';
import { RawPile } from '../support/helpers.js';
import { freePort } from '../support/ports.js';

const run = randomBytes(3).toString('hex');
const replicaIds = ['a', 'b'].map((r) => `replica-${r}-${run}`);
const [replicaA, replicaB] = replicaIds as [string, string];
const h = await startBridgeHarness('dbw', replicaIds);
t.teardown(() => h.close());

await serveCardOwner(h);

const tcpPorts: number[] = [];
const services = [];
for (const replicaId of replicaIds) {
  const tcpPort = await freePort();
  tcpPorts.push(tcpPort);
  services.push(h.add(await runService({
    ...deviceBridgeService,
    exit: false,
    env: h.env({
      PILE_TCP_PORT: String(tcpPort),
      PILE_HEARTBEAT_INTERVAL_MS: '1000',
      PILE_MASTER_KEY: 'test-master-key-0123',
      PILE_SEED: 'default-F1',
      REPLICA_ID: replicaId,
    }),
  })));
}
const wsA = `${services[0]!.address.replace(/^http/, 'ws')}/piles`;
const wsB = `${services[1]!.address.replace(/^http/, 'ws')}/piles`;

await h.record(['device.pile-online', 'device.pile-offline', 'device.meter', 'device.session-started', 'device.session-stopped', 'device.command-acked']);
const of = (type: string, pileId: string) => h.events.filter((e) => e.type === type && (e.payload as { pileId: string }).pileId === pileId);
const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 8000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const register = (over: Record<string, unknown> = {}) =>
  h.bus.call('device.register', { deviceId: 'IMEI-1', stationId: 'park', protocol: 'json', pileNo: 'P1', pileType: 2, powerKw: 7, ports: 2, manufacturer: 'ACME', ...over } as never);
const command = (deviceId: string, control: unknown, extra: Record<string, unknown> = {}, shard?: string) =>
  h.bus.call('device.command', { deviceId, control, ...extra } as never, { timeoutMs: 15_000, ...(shard ? { shard } : {}) });

let secret = '';
let sim: WalkUpPiles | undefined;
t.teardown(async () => sim?.stop());

t.test('an operator registers a pile with two ports; its secret is answered once', async (t) => {
  await t.rejects(register({ stationId: 'nowhere' }), { code: 'NOT_FOUND', details: { resource: 'station' } });
  await t.rejects(register({ powerKw: 7.0001 }), { code: 'VALIDATION', message: /3 decimals/ });
  const answer = await register();
  t.match(answer, { deviceId: 'IMEI-1', pileId: 'park-P1' });
  t.match(answer.secret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  secret = answer.secret;
  await t.rejects(register({ pileNo: 'P9' }), { code: 'CONFLICT' }, 'the device id exists');
  await t.rejects(register({ deviceId: 'IMEI-9' }), { code: 'CONFLICT' }, 'the station has that pile number');

  const view = await h.bus.call('device.get', { code: 'P1' });
  t.match(view, { deviceId: 'IMEI-1', pileId: 'park-P1', stationId: 'park', protocol: 'json', pileType: 2, powerW: 7000, ports: 2, manufacturer: 'ACME', connected: false, status: 0 });
  t.same(view.portStates.map((p) => [p.portId, p.status]), [['park-P1-1', 0], ['park-P1-2', 0]]);
  t.notOk(JSON.stringify(view).includes(secret), 'the secret is never shown again');
  t.notOk(JSON.stringify(view).includes('secretHash'));

  // a seeded queue pile is a registered device as well
  t.match(await h.bus.call('device.get', { pileId: 'default-F1' }), { deviceId: 'default-F1', pileId: 'default-F1', protocol: 'json', ports: 1, pileType: 1, powerW: 0 });
  await t.rejects(h.bus.call('device.get', { code: 'nothing-here' }), { code: 'NOT_FOUND', details: { resource: 'pile' } });
});

t.test('a wrong secret is refused; the answered one logs the pile in', async (t) => {
  const raw = await RawPile.tcp(tcpPorts[1]!);
  t.match(await raw.ask({ type: 'login', deviceId: 'IMEI-1', secret: 'x'.repeat(43) }, 'l'), { type: 'error', code: 'AUTH_FAILED' });
  await raw.whenClosed();

  // on replica A; every command below goes through the shared queue, so some reach B and are forwarded to A
  sim = await runWalkUpPiles({ url: wsA, piles: [{ deviceId: 'IMEI-1', secret, ports: 2, powerKw: 7 }], speed: 360, meterIntervalMs: 100 });
  const online = await h.waitFor('device.pile-online', (e) => e.payload.pileId === 'park-P1');
  t.match(online.payload, { pileId: 'park-P1', stationId: 'park', pileNo: 'P1', replicaId: replicaA, protocol: 'ws' });
  await until('device.get shows the pile connected', async () => (await h.bus.call('device.get', { deviceId: 'IMEI-1' })).connected);
  const view = await h.bus.call('device.get', { deviceId: 'IMEI-1' });
  t.match(view, { connected: true, replicaId: replicaA, endpoint: `ws://${replicaA}`, status: 1 });
  t.type(view.connectedAt, 'number');
  t.same(view.portStates.map((p) => p.status), [1, 1]);
});

t.test('a start through device.command: the ack with the register, meter readings, a stop at the target', async (t) => {
  const targetWms = 2 * WMS_PER_KWH; // 7 kW x 360: about 2.9 s
  const started = await command('IMEI-1', { command: 'start', portNo: 1, sessionId: 'sess-1', orderId: 'order-1', targetEnergyWms: targetWms });
  t.match(started, { deviceId: 'IMEI-1', accepted: true, meterWms: 0, data: { status: 'Accepted' } });
  t.type(started.at, 'number');
  t.same(of('device.command-acked', 'park-P1'), [], 'the RPC is the answer: no command-acked event for the scheduler');

  await until('some readings of port 1', () => of('device.meter', 'park-P1').length >= 3);
  const busy = await command('IMEI-1', { command: 'start', portNo: 1, sessionId: 'sess-x' });
  t.match(busy, { accepted: false, data: { status: 'Rejected', reason: 'port is busy' } }, 'the pile refuses a busy port; the caller decides');

  const charging = await h.bus.call('device.get', { code: 'park-P1' });
  t.match(charging, { status: 2 });
  t.match(charging.portStates[0], { portNo: 1, status: 2, connectorState: 'charging', sessionId: 'sess-1', orderId: 'order-1', powerW: 7000, voltageV: 220 });
  t.ok(charging.portStates[0]!.sessionEnergyWms > 0 && charging.portStates[0]!.sessionEnergyWms < targetWms, `energy so far ${charging.portStates[0]!.sessionEnergyWms}`);
  t.ok(charging.portStates[0]!.currentA > 30, 'current of 7 kW at 220 V');
  t.match(charging.portStates[1], { status: 1, sessionEnergyWms: 0 });

  const stopped = await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === 'sess-1', 10_000);
  t.match(stopped.payload, { pileId: 'park-P1', portNo: 1, sessionId: 'sess-1', meterStopWms: targetWms, reason: 'other' });
  const meters = of('device.meter', 'park-P1') as Envelope<'device.meter'>[];
  t.ok(meters.every((m) => m.payload.portNo === 1 && m.payload.sessionId === 'sess-1'), 'every reading names the port and its session');
  const registers = meters.map((m) => m.payload.meterWms);
  t.same(registers, [...registers].sort((a, b) => a - b), 'the register never goes back');
  t.equal(registers.at(-1), targetWms);

  await until('port 1 idle again', async () => (await h.bus.call('device.get', { deviceId: 'IMEI-1' })).portStates[0]!.status === 1);
  const after = await h.bus.call('device.get', { deviceId: 'IMEI-1' });
  t.match(after.portStates[0], { status: 1, connectorState: 'idle', sessionEnergyWms: 0, meterWms: targetWms, powerW: 0 });
  t.notOk(after.portStates[0]!.sessionId, 'the session is over');
  t.equal(after.status, 1);
});

t.test('a stop command, and operator commands through either replica', async (t) => {
  t.match(await command('IMEI-1', { command: 'start', portNo: 2, sessionId: 'sess-2' }), { accepted: true, meterWms: 0 });
  await until('a reading of port 2', () => of('device.meter', 'park-P1').some((e) => (e.payload as { portNo: number }).portNo === 2));
  t.match(await command('IMEI-1', { command: 'stop', portNo: 2, sessionId: 'sess-2' }), { accepted: true });
  const stopped = await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === 'sess-2');
  t.match(stopped.payload, { portNo: 2, reason: 'remote' });
  t.ok(stopped.payload.meterStopWms > 0);

  // the shared queue has both replicas: round robin sends some of these to B, which forwards them to A
  for (let i = 0; i < 4; i++) {
    t.match(await command('IMEI-1', { command: 'get-configuration' }), { accepted: true, data: { status: 'Accepted', configurationKey: [{ key: 'MeterValueSampleInterval' }] } });
  }
  t.match(await command('IMEI-1', { command: 'config', config: [1, 2, 3] }), { accepted: true, data: { status: 'Accepted' } });
  t.match(await command('IMEI-1', { command: 'reset', type: 'Soft' }, {}, replicaA), { accepted: true }, 'the holder\'s own queue');
  await t.rejects(command('IMEI-1', { command: 'reset', type: 'Soft' }, {}, replicaB), { code: 'PILE_STATE', details: { reason: 'PILE_OFFLINE' } },
    'a replica never forwards a forwarded command again');
  await t.rejects(command('IMEI-404', { command: 'reset', type: 'Soft' }), { code: 'NOT_FOUND', details: { resource: 'pile' } });
});

t.test('a card at the pile: a known card starts a session of its owner, an unknown one is refused', async (t) => {
  const pile = sim!.get('IMEI-1');
  t.same(await pile.cardStart(1, 'CARD-X'), { refused: 'CARD_REFUSED' });
  const ok = await pile.cardStart(1, 'CARD-7');
  if (!('sessionId' in ok)) throw new Error(`card refused: ${ok.refused}`);
  const started = await h.waitFor('device.session-started', (e) => e.payload.sessionId === ok.sessionId);
  t.match(started.payload, { pileId: 'park-P1', portNo: 1, cardId: 'CARD-7', userId: 'user-7', meterStartWms: 2 * WMS_PER_KWH });
  t.equal(h.events.filter((e) => e.type === 'device.session-started').length, 1, 'nothing for the refused card');
  await until('port 1 charging the card session', async () => (await h.bus.call('device.get', { deviceId: 'IMEI-1' })).portStates[0]!.sessionId === ok.sessionId);
  t.match(await command('IMEI-1', { command: 'stop', portNo: 1, sessionId: ok.sessionId }), { accepted: true });
  t.match((await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === ok.sessionId)).payload, { reason: 'remote' });
});

t.test('a pile that never answers times out; a disconnected one is offline', async (t) => {
  const reg = await register({ deviceId: 'IMEI-2', pileNo: 'P2', ports: 1 });
  const slow = await RawPile.tcp(tcpPorts[1]!);
  t.match(await slow.ask({ type: 'login', deviceId: 'IMEI-2', secret: reg.secret }, 'l'), { type: 'login.ok', pileId: 'park-P2' });
  const began = Date.now();
  await t.rejects(command('IMEI-2', { command: 'start', portNo: 1, sessionId: 'sess-m' }, { timeoutMs: 600 }), { code: 'TIMEOUT', details: { reason: 'PILE_TIMEOUT' } });
  t.ok(Date.now() - began >= 550, 'after the timeout asked for');
  // the pile answers late: the bridge keeps what the pile says (it is charging) but announces no acknowledgement
  const start = await slow.next((m) => m.type === 'start');
  t.same(await slow.ask({ type: 'command.ack', commandId: start.commandId, accepted: true, meterWms: 0 }, 'late'), { type: 'ack', for: 'command.ack', id: 'late' });
  t.match((await h.bus.call('device.get', { deviceId: 'IMEI-2' })).portStates[0], { sessionId: 'sess-m' });
  t.same(h.events.filter((e) => e.type === 'device.command-acked' && e.payload.commandId === start.commandId), [], 'no command-acked for a device.command');
  slow.end();
  await h.waitFor('device.pile-offline', (e) => e.payload.pileId === 'park-P2');
  await t.rejects(command('IMEI-2', { command: 'reset', type: 'Hard' }), { code: 'PILE_STATE', details: { reason: 'PILE_OFFLINE' } });
  const list = await h.bus.call('device.list', { stationId: 'park' });
  t.same(list.items.map((d) => [d.deviceId, d.connected]), [['IMEI-1', true], ['IMEI-2', false]]);
  t.same((await h.bus.call('device.list', { stationId: 'park', connectedOnly: true })).items.map((d) => d.deviceId), ['IMEI-1']);
});

t.test('the port messages at the wire: ranges, retries answered once, a pile.command with its port', async (t) => {
  const reg = await register({ deviceId: 'IMEI-3', pileNo: 'P3', ports: 2 });
  const raw = await RawPile.tcp(tcpPorts[0]!);
  t.match(await raw.ask({ type: 'login', deviceId: 'IMEI-3', secret: reg.secret }, 'l'), { type: 'login.ok', pileId: 'park-P3', deviceId: 'IMEI-3', ports: 2 });
  t.match(await raw.ask({ type: 'meter', portNo: 3, energyWms: 5 }, 'm0'), { type: 'error', code: 'INVALID', message: /port 3 does not exist/ });
  t.same(await raw.ask({ type: 'status', portNo: 2, state: 'unavailable' }, 's1'), { type: 'ack', for: 'status', id: 's1' });
  t.match((await h.bus.call('device.get', { deviceId: 'IMEI-3' })).portStates[1], { isDisabled: true, connectorState: 'unavailable', status: 1 });

  // a card.start repeated after a lost answer is the same session; its stop reported twice is announced once
  const first = await raw.ask({ type: 'card.start', portNo: 1, cardId: 'CARD-7', energyWms: 1000 }, 'c1');
  t.match(first, { type: 'card.ok', id: 'c1', sessionId: /^card-/ });
  t.same(await raw.ask({ type: 'card.start', portNo: 1, cardId: 'CARD-7', energyWms: 1000 }, 'c2'), { type: 'card.ok', id: 'c2', sessionId: first.sessionId });
  // the outbox relays the event after the answer: wait for it, then make sure no second one follows
  await h.waitFor('device.session-started', (e) => e.payload.sessionId === first.sessionId);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(h.events.filter((e) => e.type === 'device.session-started' && e.payload.sessionId === first.sessionId).length, 1, 'one session-started');
  t.same(await raw.ask({ type: 'meter', portNo: 1, energyWms: 4600, powerW: 3600 }, 'm1'), { type: 'ack', for: 'meter', id: 'm1' });
  const reading = await h.waitFor('device.meter', (e) => e.payload.pileId === 'park-P3');
  t.match(reading.payload, { portNo: 1, sessionId: first.sessionId, meterWms: 4600, powerW: 3600 }, 'the reading belongs to the port\'s session');
  t.match((await h.bus.call('device.get', { deviceId: 'IMEI-3' })).portStates[0], { sessionId: first.sessionId, sessionEnergyWms: 3600 });
  const stop = { type: 'session.stopped', portNo: 1, sessionId: first.sessionId, energyWms: 5000, reason: 'local' };
  t.same(await raw.ask(stop, 'x1'), { type: 'ack', for: 'session.stopped', id: 'x1' });
  t.same(await raw.ask(stop, 'x2'), { type: 'ack', for: 'session.stopped', id: 'x2', duplicate: true });
  await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === first.sessionId);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(h.events.filter((e) => e.type === 'device.session-stopped' && e.payload.sessionId === first.sessionId).length, 1, 'one event');

  // the scheduler's pile.command names the port: the ack comes back as device.command-acked with the register
  await h.bus.send('pile.command', { commandId: 'pc-1', pileId: 'park-P3', action: 'start', portNo: 1, sessionId: 'sess-pc', orderId: 'order-pc' },
    { routingKey: `pile.command.${replicaA}` });
  const start = await raw.next((m) => m.type === 'start');
  t.match(start, { commandId: 'pc-1', portNo: 1, sessionId: 'sess-pc', orderId: 'order-pc' });
  t.same(await raw.ask({ type: 'command.ack', commandId: 'pc-1', accepted: true, meterWms: 5000 }, 'a1'), { type: 'ack', for: 'command.ack', id: 'a1' });
  const acked = await h.waitFor('device.command-acked', (e) => e.payload.commandId === 'pc-1');
  t.match(acked.payload, { pileId: 'park-P3', action: 'start', portNo: 1, sessionId: 'sess-pc', accepted: true, meterWms: 5000 });
  t.match((await h.bus.call('device.get', { deviceId: 'IMEI-3' })).portStates[0], { sessionId: 'sess-pc', orderId: 'order-pc', sessionEnergyWms: 0 });
  raw.end();
  await raw.whenClosed();
});

t.test('a simulated car that is full ends its session by itself', async (t) => {
  const reg = await register({ deviceId: 'IMEI-4', pileNo: 'P4', ports: 1, powerKw: 60 });
  const full = await runWalkUpPiles({ tcp: { host: '127.0.0.1', port: tcpPorts[1]! }, piles: [{ deviceId: 'IMEI-4', secret: reg.secret, powerKw: 60 }], speed: 600, meterIntervalMs: 50, carKwh: 1 });
  t.teardown(() => full.stop());
  t.match(await command('IMEI-4', { command: 'start', portNo: 1, sessionId: 'sess-full' }), { accepted: true, meterWms: 0 });
  const stopped = await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === 'sess-full', 8000);
  t.match(stopped.payload, { pileId: 'park-P4', reason: 'full', meterStopWms: WMS_PER_KWH });
});

t.test('removing a device closes its connection and it cannot log in again', async (t) => {
  const pile = sim!.get('IMEI-1');
  const removed = await h.bus.call('device.remove', { deviceId: 'IMEI-1' });
  t.match(removed, { deviceId: 'IMEI-1', connected: true });
  const offline = await h.waitFor('device.pile-offline', (e) => e.payload.pileId === 'park-P1');
  t.match(offline.payload, { reason: 'removed', replicaId: replicaA });
  await until('the simulated pile is offline', () => !pile.online);
  await t.rejects(h.bus.call('device.get', { deviceId: 'IMEI-1' }), { code: 'NOT_FOUND', details: { resource: 'pile' } });
  const raw = await RawPile.ws(wsB);
  t.match(await raw.ask({ type: 'login', deviceId: 'IMEI-1', secret }, 'l'), { type: 'error', code: 'AUTH_FAILED' });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(of('device.pile-online', 'park-P1').length, 1, 'the pile did not come back');
});

// The OCPP 1.6J door, one device-bridge in-process on real RabbitMQ + Redis and the embedded MongoDB (namespaced
// per run), with a stand-in of the OcppTransactions service: charge points on ocpp-rpc's strict client are refused
// at the upgrade (401, 404), closed without the subprotocol, answered Boot/Heartbeat/StatusNotification, shown
// connected by device.get with their connector states, replaced by a reconnect, evicted when they stop answering
// pings, and commanded through device.command (answered with the charge point's reply, or PILE_TIMEOUT).
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import mongoose from 'mongoose';
import WebSocket from 'ws';
import { runService } from '@voltq/kit';
import { startBridgeHarness } from '../support/bridge-harness.js';
import type { OcppChargePoint, OcppTransactions } from '../../src/domain/ocpp.js';
import { makeDeviceBridgeService } from '../../src/main.js';
import { freePort } from '../support/ports.js';

const { RPCClient } = createRequire(import.meta.url)('ocpp-rpc') as typeof import('ocpp-rpc');
type Client = InstanceType<typeof RPCClient>;

const run = randomBytes(3).toString('hex');
const replicaId = `replica-ocpp-${run}`;
const h = await startBridgeHarness('dbo', [replicaId]);
t.teardown(() => h.close());


// the stand-in of OcppTransactions (its own helper writes the real one): records what the door hands it
const issued: { cp: OcppChargePoint; start: { connectorId: number; sessionId: string } }[] = [];
const standIn: OcppTransactions = {
  authorize: async () => ({ idTagInfo: { status: 'Accepted' } }),
  startTransaction: async () => ({ transactionId: 1, idTagInfo: { status: 'Accepted' } }),
  meterValues: async () => ({}),
  stopTransaction: async () => ({}),
  issueIdTag: async (cp, start) => {
    issued.push({ cp, start });
    return `VQ${issued.length}`;
  },
  transactionOf: async () => undefined,
};

const service = h.add(await runService({
  ...makeDeviceBridgeService({ ocppTransactions: () => standIn }),
  exit: false,
  env: h.env({
    PILE_TCP_PORT: String(await freePort()),
    PILE_HEARTBEAT_INTERVAL_MS: '1000',
    OCPP_PING_INTERVAL_MS: '300',
    PILE_MASTER_KEY: 'test-master-key-0123',
    PILE_SEED: 'default-F1',
    REPLICA_ID: replicaId,
  }),
}));
const ocppUrl = `${service.address.replace(/^http/, 'ws')}/ocpp`;

await h.record(['device.pile-online', 'device.pile-offline', 'device.pile-fault', 'device.pile-recovered']);
const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 8000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const command = (deviceId: string, control: unknown, extra: Record<string, unknown> = {}) =>
  h.bus.call('device.command', { deviceId, control, ...extra } as never, { timeoutMs: 15_000 });

const { secret } = await h.bus.call('device.register', { deviceId: 'CP-1', stationId: 'park', protocol: 'ocpp1.6', pileNo: 'O1', pileType: 2, powerKw: 22, ports: 2 } as never);
const json = await h.bus.call('device.register', { deviceId: 'IMEI-J', stationId: 'park', protocol: 'json', pileNo: 'J1', pileType: 2, powerKw: 7, ports: 1 } as never);

const clients: Client[] = [];
t.teardown(async () => Promise.allSettled(clients.map((c) => c.close({ force: true }))));
const chargePoint = (opts: { identity?: string; password?: string; protocols?: string[] } = {}) => {
  const c = new RPCClient({
    endpoint: ocppUrl,
    identity: opts.identity ?? 'CP-1',
    password: opts.password ?? secret,
    protocols: opts.protocols ?? ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
  } as never);
  clients.push(c);
  return c;
};
const upgradeStatus = async (c: Client) => {
  const err = await c.connect().then(() => undefined, (e: { upgrade?: { statusCode?: number }; code?: number }) => e);
  return err?.upgrade?.statusCode ?? (err as { code?: number } | undefined)?.code ?? 'connected';
};

t.test('refused at the upgrade: wrong or missing secret 401, unknown id or a JSON device 404', async (t) => {
  t.equal(await upgradeStatus(chargePoint({ password: 'x'.repeat(43) })), 401, 'wrong secret');
  t.equal(await upgradeStatus(chargePoint({ password: '' })), 401, 'no secret');
  t.equal(await upgradeStatus(chargePoint({ identity: 'CP-NOBODY' })), 404, 'unknown charge point');
  t.equal(await upgradeStatus(chargePoint({ identity: 'IMEI-J', password: json.secret })), 404, 'a JSON pile is no charge point');
  t.notOk((await h.bus.call('device.get', { deviceId: 'CP-1' })).connected);
});

t.test('a client offering no ocpp1.6 completes the handshake and is closed', async (t) => {
  const ws = new WebSocket(`${ocppUrl}/CP-1`, { headers: { authorization: `Basic ${Buffer.from(`CP-1:${secret}`).toString('base64')}` } });
  const opened = new Promise<string>((resolve, reject) => {
    ws.once('open', () => resolve(ws.protocol));
    ws.once('error', reject);
  });
  t.equal(await opened, '', 'no subprotocol agreed');
  const [code] = await new Promise<[number]>((resolve) => ws.once('close', (c) => resolve([c])));
  t.equal(code, 1002);
});

let cp: Client;
t.test('Boot, Heartbeat and StatusNotification are answered; device.get shows the charge point and its ports', async (t) => {
  cp = chargePoint();
  await cp.connect();
  const online = await h.waitFor('device.pile-online', (e) => e.payload.pileId === 'park-O1');
  t.match(online.payload, { pileId: 'park-O1', deviceId: 'CP-1', replicaId, protocol: 'ocpp1.6', faulted: false });

  const boot = await cp.call('BootNotification', { chargePointVendor: 'ACME', chargePointModel: 'AC22' }) as { status: string; currentTime: string; interval: number };
  t.equal(boot.status, 'Accepted');
  t.ok(Math.abs(Date.parse(boot.currentTime) - Date.now()) < 5000, 'currentTime is now');
  t.equal(boot.interval, 1, 'the heartbeat interval in s (1 s ±10% rounds to 1)');
  const hb = await cp.call('Heartbeat', {}) as { currentTime: string };
  t.ok(Math.abs(Date.parse(hb.currentTime) - Date.now()) < 5000);

  t.same(await cp.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' }), {});
  t.same(await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' }), {});
  t.same(await cp.call('StatusNotification', { connectorId: 2, errorCode: 'NoError', status: 'Unavailable' }), {});
  const view = await h.bus.call('device.get', { deviceId: 'CP-1' });
  t.match(view, { connected: true, replicaId, endpoint: `ocpp://${replicaId}`, protocol: 'ocpp1.6', status: 2, faulted: false });
  t.match(view.portStates.map((p) => ({ status: p.status, isDisabled: p.isDisabled })), [{ status: 2, isDisabled: false }, { status: 1, isDisabled: true }]);
  t.match(await cp.call('DataTransfer', { vendorId: 'SomeoneElse', messageId: 'x' }), { status: 'UnknownVendorId' });
  t.same(await cp.call('FirmwareStatusNotification', { status: 'Idle' }), {});

  // a Faulted connector faults the pile (rule 5 on a queue station); leaving Faulted recovers it
  await cp.call('StatusNotification', { connectorId: 2, errorCode: 'GroundFailure', status: 'Faulted' });
  const fault = await h.waitFor('device.pile-fault', (e) => e.payload.pileId === 'park-O1');
  t.match(fault.payload, { errorCode: 'GroundFailure', info: /connector 2/ });
  t.equal((await h.bus.call('device.get', { deviceId: 'CP-1' })).status, 3);
  await cp.call('StatusNotification', { connectorId: 2, errorCode: 'NoError', status: 'Available' });
  await h.waitFor('device.pile-recovered', (e) => e.payload.pileId === 'park-O1');

  // every message, both ways, is in the operators' raw log
  const conn = await mongoose.createConnection(h.env().MONGODB_URI!, { dbName: h.ns }).asPromise();
  try {
    await until('the raw log has the boot both ways', async () =>
      (await conn.collection('device_logs').countDocuments({ pileId: 'park-O1', kind: 'ocpp', 'detail.message': /BootNotification|"Accepted"/ })) >= 2);
    const inbound = await conn.collection('device_logs').findOne({ pileId: 'park-O1', kind: 'ocpp', 'detail.direction': 'in', 'detail.message': /BootNotification/ });
    t.match(inbound?.detail, { direction: 'in', message: /ACME/ });
  } finally {
    await conn.close();
  }
});

t.test('device.command: reset, get-configuration and start answered with the charge point reply', async (t) => {
  const seen: { method: string; params: unknown }[] = [];
  cp.handle('Reset', ({ params }) => (seen.push({ method: 'Reset', params }), Promise.resolve({ status: 'Accepted' })));
  cp.handle('GetConfiguration', ({ params }) => (seen.push({ method: 'GetConfiguration', params }),
  Promise.resolve({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '30' }], unknownKey: ['Nope'] })));
  cp.handle('RemoteStartTransaction', ({ params }) => (seen.push({ method: 'RemoteStartTransaction', params }), Promise.resolve({ status: 'Accepted' })));
  cp.handle('UnlockConnector', () => Promise.resolve({ status: 'UnlockFailed' }));

  t.match(await command('CP-1', { command: 'reset', type: 'Soft' }), { deviceId: 'CP-1', accepted: true, data: { status: 'Accepted' } });
  const conf = await command('CP-1', { command: 'get-configuration', keys: ['HeartbeatInterval', 'Nope'] });
  t.match(conf, { accepted: true, data: { configurationKey: [{ key: 'HeartbeatInterval', value: '30' }], unknownKey: ['Nope'] } });
  const start = await command('CP-1', { command: 'start', portNo: 1, sessionId: 'sess-o1', orderId: 'order-o1' });
  t.match(start, { accepted: true, data: { status: 'Accepted' } });
  t.match(await command('CP-1', { command: 'unlock', connectorId: 2 }), { accepted: false, data: { status: 'UnlockFailed' } });
  t.same(seen, [
    { method: 'Reset', params: { type: 'Soft' } },
    { method: 'GetConfiguration', params: { key: ['HeartbeatInterval', 'Nope'] } },
    { method: 'RemoteStartTransaction', params: { connectorId: 1, idTag: 'VQ1' } },
  ]);
  t.match(issued, [{ cp: { deviceId: 'CP-1', pileId: 'park-O1', ports: 2 }, start: { connectorId: 1, sessionId: 'sess-o1' } }], 'the idTag came from OcppTransactions');
  t.equal((await h.bus.call('device.get', { deviceId: 'CP-1' })).portStates[0]!.sessionId, 'sess-o1');
  await t.rejects(command('CP-1', { command: 'trigger', message: 'NoSuchMessage' }), { code: 'VALIDATION' });
});

t.test('a charge point that never answers a command: PILE_TIMEOUT', async (t) => {
  cp.handle('ChangeAvailability', () => new Promise(() => undefined));
  const began = Date.now();
  await t.rejects(command('CP-1', { command: 'availability', connectorId: 1, type: 'Inoperative' }, { timeoutMs: 600 }), { code: 'TIMEOUT', details: { reason: 'PILE_TIMEOUT' } });
  t.ok(Date.now() - began < 3000, 'within its timeout');
});

t.test('a reconnect of the same charge point replaces the old socket at once', async (t) => {
  const closed = new Promise<void>((resolve) => cp.once('close', () => resolve()));
  const offlineBefore = h.events.filter((e) => e.type === 'device.pile-offline').length;
  const next = chargePoint();
  await next.connect();
  await closed;
  t.pass('the old socket was closed');
  t.match(await next.call('Heartbeat', {}), { currentTime: String });
  t.ok((await h.bus.call('device.get', { deviceId: 'CP-1' })).connected);
  t.equal(h.events.filter((e) => e.type === 'device.pile-offline').length, offlineBefore, 'no offline for a replaced socket');
  await next.close();
  const offline = await h.waitFor('device.pile-offline', (e) => e.payload.pileId === 'park-O1');
  t.match(offline.payload, { reason: 'connection-closed', replicaId });
  await until('device.get shows it offline', async () => !(await h.bus.call('device.get', { deviceId: 'CP-1' })).connected);
});

t.test('a dead socket (no pongs) is evicted', async (t) => {
  const offlineBefore = h.events.filter((e) => e.type === 'device.pile-offline').length;
  const ws = new WebSocket(`${ocppUrl}/CP-1`, 'ocpp1.6', { headers: { authorization: `Basic ${Buffer.from(`CP-1:${secret}`).toString('base64')}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  t.teardown(() => ws.terminate());
  await until('device.get shows it connected', async () => (await h.bus.call('device.get', { deviceId: 'CP-1' })).connected);
  // the peer stops reading: no pong answers the bridge's pings any more (a half-open TCP connection)
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const began = Date.now();
  await until('the offline event', () => h.events.filter((e) => e.type === 'device.pile-offline').length > offlineBefore, 5000);
  t.ok(Date.now() - began < 2000, `evicted within a few ping intervals (${Date.now() - began} ms)`);
  t.notOk((await h.bus.call('device.get', { deviceId: 'CP-1' })).connected);
});

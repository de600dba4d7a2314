// The simulated OCPP 1.6J charge point against a strict ocpp-rpc RPCServer of the test's own standing in for the
// bridge's OCPP door (no services needed): every call and answer is schema-checked on both sides.
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { RPCServer } from 'ocpp-rpc';
import { SimChargePoint, type SimChargePointOptions } from '../src/ocpp-client.js';
import { parseSimArgs } from '../src/args.js';

interface Seen { method: string; params: Record<string, unknown>; atMs: number; connection: number }
type Client = { call(method: string, params: unknown): Promise<unknown>; identity: string };

/** A strict central system: Basic auth CP1/s3cret, transaction ids from `firstTx`, card BAD refused. */
async function centralSystem(port = 0, firstTx = 100) {
  const seen: Seen[] = [];
  const clients: Client[] = [];
  const violations: string[] = [];
  let nextTx = firstTx;
  let connections = 0;
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
  server.auth((accept, reject, handshake) => {
    if (handshake.endpoint !== '/ocpp') return reject(404, 'Not Found');
    if (handshake.identity === 'CP1' && handshake.password?.toString('utf8') === 's3cret') return accept({});
    reject(401, 'Unauthorized');
  });
  server.on('client', (client: Client & { handle: (h: (o: { method?: string; params?: Record<string, unknown> }) => unknown) => void; on: (e: string, f: (e: { method?: string; error?: Error }) => void) => void }) => {
    const connection = ++connections;
    clients.push(client);
    client.on('strictValidationFailure', (e) => violations.push(`${e.method}: ${e.error?.message}`));
    client.handle(({ method, params }) => {
      seen.push({ method: method!, params: params ?? {}, atMs: Date.now(), connection });
      const now = new Date().toISOString();
      switch (method) {
        case 'BootNotification': return { status: 'Accepted', interval: 1, currentTime: now };
        case 'Heartbeat': return { currentTime: now };
        case 'StatusNotification': return {};
        case 'Authorize': return { idTagInfo: { status: params?.idTag === 'BAD' ? 'Invalid' : 'Accepted' } };
        case 'StartTransaction': return { transactionId: nextTx++, idTagInfo: { status: 'Accepted' } };
        case 'MeterValues': return {};
        case 'StopTransaction': return { idTagInfo: { status: 'Accepted' } };
        default: return {};
      }
    });
  });
  const http = await server.listen(port, '127.0.0.1');
  return {
    port: (http.address() as AddressInfo).port,
    seen,
    violations,
    client: () => clients[clients.length - 1]!,
    of: (method: string) => seen.filter((s) => s.method === method),
    close: () => server.close({ force: true }),
  };
}

async function until(what: string, cond: () => boolean, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const register = (s: Seen) => {
  const values = (s.params.meterValue as { sampledValue: { measurand?: string; value: string; unit?: string }[] }[])[0]!.sampledValue;
  return Number(values.find((v) => v.measurand === 'Energy.Active.Import.Register')!.value);
};

function point(port: number, extra: Partial<SimChargePointOptions> = {}): SimChargePoint {
  return new SimChargePoint({
    url: `ws://127.0.0.1:${port}/ocpp`,
    deviceId: 'CP1',
    secret: 's3cret',
    connectors: 2,
    powerW: 7000,
    speed: 3600, // 7 kWh per real second
    meterIntervalMs: 100,
    backoffMinMs: 50,
    backoffMaxMs: 200,
    ...extra,
  });
}

t.test('boots as VoltQ Sim, heartbeats at the Boot interval, reports every connector Available', { timeout: 10_000 }, async (t) => {
  const cs = await centralSystem();
  const cp = point(cs.port);
  t.teardown(async () => {
    await cp.stop();
    await cs.close();
  });
  cp.start();
  await until('boot', () => cp.online);
  t.match(cs.of('BootNotification')[0]!.params, { chargePointVendor: 'VoltQ', chargePointModel: 'Sim' });
  await until('statuses', () => cs.of('StatusNotification').length >= 3);
  t.same(cs.of('StatusNotification').map((s) => [s.params.connectorId, s.params.status]), [[0, 'Available'], [1, 'Available'], [2, 'Available']]);
  await until('a heartbeat', () => cs.of('Heartbeat').length >= 1, 2500);
  t.same(cs.violations, []);

  const wrong = new SimChargePoint({ url: `ws://127.0.0.1:${cs.port}/ocpp`, deviceId: 'CP1', secret: 'nope' });
  const refused = new Promise<{ code: number }>((resolve) => wrong.once('refused', resolve));
  wrong.start();
  t.same(await refused, { code: 401 }, 'a wrong secret is refused at the upgrade and not retried');
  await wrong.stop();
});

t.test('a remote start meters the session with the given idTag and a remote stop ends it', { timeout: 10_000 }, async (t) => {
  const cs = await centralSystem();
  const cp = point(cs.port);
  t.teardown(async () => {
    await cp.stop();
    await cs.close();
  });
  cp.start();
  await until('boot', () => cp.online);

  t.same(await cs.client().call('RemoteStartTransaction', { connectorId: 1, idTag: 'ORDER-42' }), { status: 'Accepted' });
  t.same(await cs.client().call('RemoteStartTransaction', { connectorId: 1, idTag: 'ORDER-43' }), { status: 'Rejected' }, 'the connector is taken');
  await until('StartTransaction', () => cs.of('StartTransaction').length === 1);
  const start = cs.of('StartTransaction')[0]!;
  t.match(start.params, { connectorId: 1, idTag: 'ORDER-42', meterStart: 0 });
  t.ok(Math.abs(Date.parse(start.params.timestamp as string) - start.atMs) < 1000, 'the start carries its time');

  await until('three MeterValues', () => cs.of('MeterValues').length >= 3);
  const meters = cs.of('MeterValues');
  t.ok(meters.every((m) => m.params.transactionId === 100 && m.params.connectorId === 1), 'readings name the transaction');
  const registers = meters.map(register);
  t.ok(registers.every((wh, i) => i === 0 || wh > registers[i - 1]!), `the register grows: ${registers.join(', ')}`);
  const sampled = (meters[0]!.params.meterValue as { sampledValue: { measurand: string; unit: string }[] }[])[0]!.sampledValue;
  t.same(sampled.map((v) => `${v.measurand} ${v.unit}`), ['Energy.Active.Import.Register Wh', 'Power.Active.Import W', 'Voltage V', 'Current.Import A']);

  t.same(await cs.client().call('RemoteStopTransaction', { transactionId: 100 }), { status: 'Accepted' });
  await until('StopTransaction', () => cs.of('StopTransaction').length === 1);
  const stop = cs.of('StopTransaction')[0]!;
  t.match(stop.params, { transactionId: 100, reason: 'Remote', idTag: 'ORDER-42' });
  t.ok((stop.params.meterStop as number) >= registers[registers.length - 1]!, 'meterStop is the final register');
  const connector1Statuses = () => cs.of('StatusNotification').filter((s) => s.params.connectorId === 1).map((s) => s.params.status);
  await until('Available again', () => connector1Statuses().length === 5);
  const connector1 = connector1Statuses();
  t.same(connector1, ['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);

  // operator commands
  t.match(await cs.client().call('GetConfiguration', { key: ['MeterValueSampleInterval', 'Nope'] }), {
    configurationKey: [{ key: 'MeterValueSampleInterval', readonly: false }],
    unknownKey: ['Nope'],
  });
  t.same(await cs.client().call('ChangeConfiguration', { key: 'NumberOfConnectors', value: '5' }), { status: 'Rejected' });
  t.same(await cs.client().call('ChangeAvailability', { connectorId: 2, type: 'Inoperative' }), { status: 'Accepted' });
  t.same(await cs.client().call('RemoteStartTransaction', { connectorId: 2, idTag: 'X' }), { status: 'Rejected' });
  t.same(await cs.client().call('UnlockConnector', { connectorId: 1 }), { status: 'Unlocked' });
  t.same(await cs.client().call('TriggerMessage', { requestedMessage: 'Heartbeat' }), { status: 'Accepted' });
  t.same(await cs.client().call('DataTransfer', { vendorId: 'VoltQ', data: 'x' }), { status: 'Accepted' });
  t.same(cs.violations, []);
});

t.test('a card is authorized before its start; a full car stops with reason Other', { timeout: 10_000 }, async (t) => {
  const cs = await centralSystem();
  const cp = point(cs.port, { carKwh: 0.5, meterIntervalMs: 20 });
  t.teardown(async () => {
    await cp.stop();
    await cs.close();
  });
  cp.start();
  await until('boot', () => cp.online);

  t.same(await cp.cardStart(1, 'BAD'), { accepted: false, reason: 'Invalid' });
  t.same(await cp.cardStart(2, 'CARD-7'), { accepted: true, connectorId: 2 });
  await until('StartTransaction', () => cs.of('StartTransaction').length === 1);
  t.same(cs.of('Authorize').map((s) => s.params.idTag), ['BAD', 'CARD-7']);
  t.match(cs.of('StartTransaction')[0]!.params, { connectorId: 2, idTag: 'CARD-7', meterStart: 0 });
  const authorizeIdx = cs.seen.findIndex((s) => s.method === 'Authorize' && s.params.idTag === 'CARD-7');
  t.ok(authorizeIdx < cs.seen.findIndex((s) => s.method === 'StartTransaction'), 'Authorize came first');

  await until('the car is full', () => cs.of('StopTransaction').length === 1);
  t.match(cs.of('StopTransaction')[0]!.params, { transactionId: 100, reason: 'Other', meterStop: 500 });
  t.same(cs.violations, []);
});

t.test('offline: transaction messages are queued with their times and replayed in order after the reconnect', { timeout: 15_000 }, async (t) => {
  let cs = await centralSystem();
  const port = cs.port;
  const cp = point(port);
  t.teardown(async () => {
    await cp.stop();
    await cs.close();
  });
  cp.start();
  await until('boot', () => cp.online);
  await cp.cardStart(1, 'CARD-1');
  await until('two readings', () => cs.of('MeterValues').length >= 2);
  t.equal(cp.transactionId(1), 100);

  // the bridge goes away mid-session
  const before = cs;
  await before.close();
  await until('offline', () => !cp.online);
  const downAtMs = Date.now();
  await new Promise((r) => setTimeout(r, 350)); // readings of connector 1 pile up
  cp.localStop(1);
  t.same(await cp.cardStart(2, 'CARD-2'), { accepted: true, connectorId: 2 }, 'offline the card is taken locally');
  await new Promise((r) => setTimeout(r, 250)); // readings of connector 2, whose transactionId is not known yet
  t.equal(cp.transactionId(2), undefined);
  const queued = cp.queued;
  t.ok(queued >= 6, `queued while offline: ${queued}`);
  const upAtMs = Date.now();

  cs = await centralSystem(port, 101); // the bridge back, its transaction ids where they were
  await until('the replay', () => cp.queued === 0 && cs.of('MeterValues').length > 0 && cp.transactionId(2) !== undefined, 6000);
  const tx = cs.seen.filter((s) => ['StartTransaction', 'MeterValues', 'StopTransaction'].includes(s.method));
  const times = tx.map((s) => Date.parse((s.params.timestamp ?? (s.params.meterValue as { timestamp: string }[])[0]!.timestamp) as string));
  t.ok(times.every((ms, i) => i === 0 || ms >= times[i - 1]!), 'replayed in the order they happened');
  const offline = tx.filter((_, i) => times[i]! < upAtMs);
  t.ok(offline.length >= queued - 1, 'the queued messages keep their original timestamps');
  t.ok(times.slice(0, offline.length).every((ms) => ms >= downAtMs - 200), 'stamped while the link was down');

  const stop1 = tx.findIndex((s) => s.method === 'StopTransaction');
  t.ok(tx.slice(0, stop1).every((s) => s.method === 'MeterValues' && s.params.transactionId === 100), 'connector 1 readings first');
  t.match(tx[stop1]!.params, { transactionId: 100, reason: 'Local', idTag: 'CARD-1' });
  t.match(tx[stop1 + 1]!, { method: 'StartTransaction', params: { connectorId: 2, idTag: 'CARD-2' } });
  t.equal(cp.transactionId(2), 101, 'the offline start got its transactionId on replay');
  const after = tx.slice(stop1 + 2);
  t.ok(after.length >= 2 && after.every((s) => s.method === 'MeterValues' && s.params.transactionId === 101), 'its readings carry it');
  t.ok(cs.of('BootNotification').length === 1 && cs.seen[0]!.method === 'BootNotification', 'booted again first');
  t.same([...before.violations, ...cs.violations], []);
});

t.test('--ocpp on the command line', async (t) => {
  const plan = parseSimArgs(['--door', 'ocpp', '--ocpp', 'CP1:s3cr-t:2:22', '--ocpp', 'CP2:x', '--ports', '3', '--speed', '60', '--card', 'CP2:1:CARD-9@5s', '--fault', 'CP1:2@30s', '--recover', 'CP1:2@1m'], {
    DEVICE_BRIDGE_URL: 'ws://bridge:8085/piles',
  });
  t.same(plan.piles, [], 'no JSON piles with --door ocpp');
  t.same(plan.walkUp, []);
  t.same(plan.ocpp, [
    { deviceId: 'CP1', secret: 's3cr-t', connectors: 2, powerKw: 22 },
    { deviceId: 'CP2', secret: 'x', connectors: 3, powerKw: 7 },
  ]);
  t.equal(plan.ocppUrl, 'ws://bridge:8085/ocpp', 'derived from the JSON door URL');
  t.match(plan, { speed: 60, cards: [{ deviceId: 'CP2', portNo: 1, cardId: 'CARD-9', atMs: 5000 }] });
  t.same(plan.ocppFaults, [{ deviceId: 'CP1', connectorId: 2, atMs: 30_000 }]);
  t.same(plan.ocppRecoveries, [{ deviceId: 'CP1', connectorId: 2, atMs: 60_000 }]);
  t.same(plan.faults, []);

  t.equal(parseSimArgs(['--ocpp', 'CP1:s', '--ocpp-url', 'wss://x/ocpp']).ocppUrl, 'wss://x/ocpp');
  t.equal(parseSimArgs(['--ocpp', 'CP1:s'], { DEVICE_BRIDGE_OCPP_URL: 'ws://y:1/ocpp' }).ocppUrl, 'ws://y:1/ocpp');
  const mixed = parseSimArgs(['--walk-up', 'IMEI1:s', '--ocpp', 'CP1:s']);
  t.same(mixed.piles, [], 'no default queue piles beside charge points');
  t.equal(mixed.walkUp.length, 1);
  t.equal(mixed.ocpp.length, 1);
  t.equal(parseSimArgs([]).ocpp.length, 0, 'the old defaults stand');
  t.throws(() => parseSimArgs(['--door', 'ocpp']), /at least one --ocpp/);
  t.throws(() => parseSimArgs(['--door', 'ocpp', '--ocpp', 'CP1:s', '--piles', 'F1']), /--door ocpp/);
  t.throws(() => parseSimArgs(['--ocpp', 'CP1']), /--ocpp CP1: expected/);
  t.throws(() => parseSimArgs(['--ocpp', 'CP1:s', '--ocpp', 'CP1:t']), /listed twice/);
  t.throws(() => parseSimArgs(['--ocpp', 'CP1:s', '--fault', 'CP9:1@1s']), /CP9 is not simulated/);
  t.throws(() => parseSimArgs(['--ocpp', 'CP1:s', '--ocpp-url', 'http://x']), /--ocpp-url/);
});

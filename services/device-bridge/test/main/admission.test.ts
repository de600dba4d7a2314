// Reconnection storms and metrics (issue 12), one device-bridge in-process on real RabbitMQ + Redis and the embedded
// MongoDB (namespaced per run) with PILE_ADMISSION_PER_SECOND=2: the third OCPP upgrade in the same second is
// answered 503 Retry-After: 1 before any password check while a charger already connected keeps being served, and
// GET /metrics shows the charger held and its BootNotification counted.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import t from 'tap';
import { runService } from '@voltq/kit';
import { startBridgeHarness } from '../support/bridge-harness.js';
import type { OcppTransactions } from '../../src/domain/ocpp.js';
import { makeDeviceBridgeService } from '../../src/main.js';
import { freePort } from '../support/ports.js';

const { RPCClient } = createRequire(import.meta.url)('ocpp-rpc') as typeof import('ocpp-rpc');

const run = randomBytes(3).toString('hex');
const replicaId = `replica-adm-${run}`;
const h = await startBridgeHarness('dba', [replicaId]);
t.teardown(() => h.close());

const standIn: OcppTransactions = {
  authorize: async () => ({ idTagInfo: { status: 'Accepted' } }),
  startTransaction: async () => ({ transactionId: 1, idTagInfo: { status: 'Accepted' } }),
  meterValues: async () => ({}),
  stopTransaction: async () => ({}),
  issueIdTag: async () => 'VQ1',
  transactionOf: async () => undefined,
};

const service = h.add(await runService({
  ...makeDeviceBridgeService({ ocppTransactions: () => standIn }),
  exit: false,
  env: h.env({
    PILE_TCP_PORT: String(await freePort()),
    PILE_HEARTBEAT_INTERVAL_MS: '1000',
    PILE_MASTER_KEY: 'test-master-key-0123',
    PILE_SEED: 'default-F1',
    REPLICA_ID: replicaId,
    PILE_ADMISSION_PER_SECOND: '2',
  }),
}));
const { secret } = await h.bus.call('device.register', { deviceId: 'CP-A', stationId: 'park', protocol: 'ocpp1.6', pileNo: 'A1', pileType: 2, powerKw: 22, ports: 1 } as never);

/** A bare OCPP upgrade for a charge point nobody registered: its status line and Retry-After. */
const upgrade = (identity: string) => new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
  const req = http.request(`${service.address}/ocpp/${identity}`, {
    headers: {
      connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'),
      'sec-websocket-protocol': 'ocpp1.6', authorization: `Basic ${Buffer.from(`${identity}:x`).toString('base64')}`,
    },
  });
  req.on('response', (res) => {
    resolve({ status: res.statusCode ?? 0, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
    res.resume();
  });
  req.on('upgrade', (res, socket) => {
    socket.destroy();
    resolve({ status: res.statusCode ?? 0 });
  });
  req.on('error', reject);
  req.end();
});

const cp = new RPCClient({ endpoint: `${service.address.replace(/^http/, 'ws')}/ocpp`, identity: 'CP-A', password: secret, protocols: ['ocpp1.6'], strictMode: true, reconnect: false } as never);
t.teardown(() => cp.close({ force: true }));

t.test('over the admission limit the upgrade gets 503 Retry-After: 1; the connected charger keeps working', async (t) => {
  await cp.connect();
  t.match(await cp.call('BootNotification', { chargePointVendor: 'ACME', chargePointModel: 'AC22' }), { status: 'Accepted' });
  // a full bucket again (2), then a storm of three at once
  await new Promise((r) => setTimeout(r, 1100));
  const answers = await Promise.all(['CP-X1', 'CP-X2', 'CP-X3'].map(upgrade));
  const refused = answers.filter((a) => a.status === 503);
  t.equal(refused.length, 1, 'the third in the same second is refused');
  t.same(refused[0], { status: 503, retryAfter: '1' });
  t.same(answers.filter((a) => a.status !== 503).map((a) => a.status), [404, 404], 'the two admitted were checked (unknown ids)');

  t.match(await cp.call('Heartbeat', {}), { currentTime: String }, 'the connected charger is still answered');
  t.match(await h.bus.call('device.get', { deviceId: 'CP-A' }), { connected: true });
});

t.test('GET /metrics: the charger held and its BootNotification counted, the refusal too', async (t) => {
  const text = await (await fetch(`${service.address}/metrics`)).text();
  const line = (name: string, labels: string[]) => text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
  t.match(line('voltq_pile_connections', ['protocol="ocpp1.6"']), / 1$/);
  t.match(line('voltq_pile_connections', ['protocol="tcp"']), / 0$/);
  t.match(line('voltq_pile_inbound_total', ['protocol="ocpp1.6"', 'action="BootNotification"', 'result="ok"']), / 1$/);
  t.match(line('voltq_pile_inbound_seconds_count', ['action="Heartbeat"']), / 1$/);
  t.match(line('voltq_pile_admission_refused_total', ['protocol="ocpp1.6"']), / 1$/);
});

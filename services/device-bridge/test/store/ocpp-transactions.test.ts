// OCPP transactions against the embedded MongoDB and the real Redis outbox + RabbitMQ (namespaced per run): what a
// charge point's repeats, replays and silences do to the stored transactions and to the events the walk-up engine
// consumes. The door is not under test: the service is called as the door calls it.
import t from 'tap';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { WMS_PER_KWH, WMS_PER_WH, type Envelope } from '@voltq/contracts';
import { createLogger, RedisOutbox } from '@voltq/kit';
import { startServiceHarness } from '../../../../test/support/service-harness.js';
import { REDIS_URL } from '../../../../test/support/env.js';
import { createOcppTransactions, type OcppChargePoint } from '../../src/ocpp-transactions.js';
import { Presence } from '../../src/store/presence.js';

const h = await startServiceHarness({ label: 'ocpptx', busName: 'observer' });
const redis = new Redis(REDIS_URL);
const conn = await mongoose.createConnection(h.mongo.uri, { dbName: h.ns }).asPromise();
const log = createLogger({ service: 'ocpptx-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const outbox = new RedisOutbox({ redis, ns: h.ns, name: 'device-bridge', bus: h.bus, log });
await outbox.start();
t.teardown(async () => {
  await outbox.stop();
  await conn.dropDatabase();
  await conn.close();
  redis.disconnect();
  await h.close();
});
const presence = new Presence(redis, h.ns, 'replica-t', { streamKey: outbox.streamKey, fields: (env) => RedisOutbox.fields(env) }, 60_000);

let nowMs = Date.parse('2025-01-01T08:00:00+08:00');
const svc = await createOcppTransactions({
  mongo: conn,
  bus: h.bus,
  presence,
  cardOwner: async (cardId) => (cardId === 'CARD-7' ? 'user-7' : undefined),
  now: () => nowMs,
  log,
  staleSessionMs: 24 * 3600_000,
});
await h.record(['device.meter', 'device.session-started', 'device.session-stopped']);

const cp: OcppChargePoint = { deviceId: 'CP-1', pileId: 'park-P1', stationId: 'park', pileNo: 'P1', ports: 2 };
const of = (type: string, sessionId: string) => h.events.filter((e) => e.type === type && (e.payload as { sessionId?: string }).sessionId === sessionId);
const settle = () => new Promise((r) => setTimeout(r, 400));
const iso = (hhmm: string) => `2025-01-01T${hhmm}:00+08:00`;
const ms = (hhmm: string) => Date.parse(iso(hhmm));
const mv = (hhmm: string, wh: string, extra: object[] = []) => ({ timestamp: iso(hhmm), sampledValue: [{ value: wh, context: 'Sample.Periodic' }, ...extra] });

let cardTx = 0;
let cardSession = '';

t.test('a card: Authorize, then StartTransaction twice gives one transactionId and one session-started', async (t) => {
  t.same(await svc.authorize(cp, 'CARD-7'), { idTagInfo: { status: 'Accepted' } });
  t.same(await svc.authorize(cp, 'NOBODY'), { idTagInfo: { status: 'Invalid' } });
  const req = { connectorId: 1, idTag: 'CARD-7', meterStart: 100_000, timestamp: iso('06:10') };
  const [a, b] = [await svc.startTransaction(cp, req), await svc.startTransaction(cp, { ...req, timestamp: '2025-01-01T06:10:00.000+08:00' })];
  t.equal(a.idTagInfo.status, 'Accepted');
  t.equal(b.transactionId, a.transactionId, 'the repeat (the same instant spelt otherwise) is the same transaction');
  cardTx = a.transactionId;
  const started = await h.waitFor('device.session-started', (e) => e.payload.cardId === 'CARD-7');
  cardSession = started.payload.sessionId;
  t.match(started.payload, { pileId: 'park-P1', deviceId: 'CP-1', portNo: 1, userId: 'user-7', meterStartWms: 100 * WMS_PER_KWH, at: ms('06:10') });
  await settle();
  t.equal(of('device.session-started', cardSession).length, 1, 'one event');
  t.equal(await conn.collection('ocpp_transactions').countDocuments({ deviceId: 'CP-1' }), 1);
  t.equal((await svc.startTransaction(cp, { ...req, meterStart: 100_001 })).transactionId > cardTx, true, 'another start key is another transaction');
});

t.test('MeterValues repeated: one device.meter per sample, at the device time, with the live figures', async (t) => {
  const req = { connectorId: 1, transactionId: cardTx, meterValue: [mv('06:40', '112500', [{ value: '7.5', measurand: 'Power.Active.Import', unit: 'kW' }]), mv('07:00', '125')] };
  req.meterValue[1]!.sampledValue[0] = { value: '125', unit: 'kWh', context: 'Sample.Clock' } as never;
  t.same(await svc.meterValues(cp, req), {});
  t.same(await svc.meterValues(cp, req), {});
  await h.waitFor('device.meter', (e) => e.payload.sessionId === cardSession && e.payload.at === ms('07:00'));
  await settle();
  const meters = of('device.meter', cardSession).map((e) => e.payload as { at: number; meterWms: number; powerW?: number });
  t.same(meters.map((p) => [p.at, p.meterWms]), [[ms('06:40'), 112.5 * WMS_PER_KWH], [ms('07:00'), 125 * WMS_PER_KWH]]);
  t.equal(meters[0]!.powerW, 7500);
  t.equal(await conn.collection('ocpp_meter_samples').countDocuments({ deviceId: 'CP-1', owner: `tx:${cardTx}` }), 3);
  const live = await presence.telemetry('park-P1');
  t.equal(live['p1.meterWms'], String(125 * WMS_PER_KWH), 'the port live state follows');
});

t.test('StopTransaction repeated: the same answer, one session-stopped with the device time and reason', async (t) => {
  const req = { transactionId: cardTx, meterStop: 130_000, timestamp: iso('07:10'), idTag: 'CARD-7', reason: 'EVDisconnected' };
  const first = await svc.stopTransaction(cp, req);
  t.same(first, { idTagInfo: { status: 'Accepted' } });
  t.same(await svc.stopTransaction(cp, req), first, 'a repeat gets the same answer');
  t.same(await svc.stopTransaction(cp, { ...req, meterStop: 131_000 }), first, 'a differing second stop too: the first wins');
  const stopped = await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === cardSession);
  t.match(stopped.payload, { meterStopWms: 130 * WMS_PER_KWH, reason: 'unplugged', at: ms('07:10'), portNo: 1 });
  await settle();
  t.equal(of('device.session-stopped', cardSession).length, 1);
  const doc = await conn.collection('ocpp_transactions').findOne({ _id: cardTx as never });
  t.equal(doc?.laterStops?.length, 1, 'the differing stop is kept for an operator');
});

t.test('a stop of an unknown transaction: answered, kept aside, announced to nobody', async (t) => {
  const req = { transactionId: 999_999, meterStop: 5, timestamp: iso('07:20'), idTag: 'CARD-7' };
  t.same(await svc.stopTransaction(cp, req), {});
  t.same(await svc.stopTransaction(cp, req), {});
  const orphan = await conn.collection('ocpp_orphan_stops').findOne({ _id: 'CP-1:999999' as never });
  t.match(orphan, { deviceId: 'CP-1', transactionId: 999_999, meterStop: 5, count: 2 });
});

t.test('an invalid idTag still gets a transactionId, recorded Invalid, with no session', async (t) => {
  const before = h.events.length;
  const a = await svc.startTransaction(cp, { connectorId: 2, idTag: 'STRANGER', meterStart: 5, timestamp: iso('07:30') });
  t.equal(a.idTagInfo.status, 'Invalid');
  t.type(a.transactionId, 'number');
  t.same(await svc.stopTransaction(cp, { transactionId: a.transactionId, meterStop: 6, timestamp: iso('07:31'), idTag: 'STRANGER', reason: 'DeAuthorized' }), { idTagInfo: { status: 'Invalid' } });
  await settle();
  t.equal(h.events.length, before, 'no event');
});

t.test('the app: an issued idTag, then a replay an hour late with the original timestamps', async (t) => {
  const tag = await svc.issueIdTag(cp, { connectorId: 2, sessionId: 'sess-app-1', orderId: 'order-1' });
  t.ok(tag.length <= 20);
  t.equal(await svc.issueIdTag(cp, { connectorId: 2, sessionId: 'sess-app-1', orderId: 'order-1' }), tag, 'the same session, the same tag');
  t.same(await svc.authorize(cp, tag), { idTagInfo: { status: 'Accepted' } });
  t.same(await svc.authorize({ ...cp, deviceId: 'CP-OTHER' }, tag), { idTagInfo: { status: 'Invalid' } }, 'only on its charge point');
  // the charge point was offline from 08:00 to 09:00 and replays what it queued
  nowMs = ms('09:05');
  const start = await svc.startTransaction(cp, { connectorId: 2, idTag: tag, meterStart: 2000, timestamp: iso('08:00') });
  t.equal(start.idTagInfo.status, 'Accepted');
  t.equal(await svc.transactionOf(cp, 'sess-app-1'), start.transactionId);
  await svc.meterValues(cp, { connectorId: 2, transactionId: start.transactionId, meterValue: [mv('08:30', '5000')] });
  await svc.stopTransaction(cp, { transactionId: start.transactionId, meterStop: 9000, timestamp: iso('09:00'), reason: 'Remote' });
  const stopped = await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === 'sess-app-1');
  t.match(stopped.payload, { at: ms('09:00'), meterStopWms: 9000 * WMS_PER_WH, reason: 'remote', portNo: 2 });
  const meters = of('device.meter', 'sess-app-1').map((e) => e.payload as { at: number; meterWms: number }).map((p) => [p.at, p.meterWms]);
  t.same(meters, [[ms('08:00'), 2000 * WMS_PER_WH], [ms('08:30'), 5000 * WMS_PER_WH]], 'the start register and the reading at the device times');
  const again = await svc.startTransaction(cp, { connectorId: 2, idTag: tag, meterStart: 2500, timestamp: iso('09:10') });
  t.equal(again.idTagInfo.status, 'Invalid', 'an issued tag starts one transaction only');
});

t.test('the stale-session sweep closes a silent transaction at its last reading', async (t) => {
  nowMs = ms('10:00');
  const a = await svc.startTransaction(cp, { connectorId: 1, idTag: 'CARD-7', meterStart: 200_000, timestamp: iso('10:00') });
  const started = await h.waitFor('device.session-started', (e) => e.payload.meterStartWms === 200 * WMS_PER_KWH);
  const sessionId = started.payload.sessionId;
  nowMs = ms('10:30');
  await svc.meterValues(cp, { connectorId: 1, transactionId: a.transactionId, meterValue: [mv('10:30', '210000')] });
  // the transactions the tests before left open (silent since 09:05 at the latest) go first
  nowMs = ms('09:05') + 24 * 3600_000;
  t.match(await svc.sweep(), { closed: 2 }, 'the open ones of the tests before');
  nowMs = ms('10:30') + 24 * 3600_000 - 1;
  t.match(await svc.sweep(), { closed: 0 }, 'not yet: 24 h since its last message');
  nowMs = ms('10:30') + 24 * 3600_000;
  t.match(await svc.sweep(), { closed: 1 });
  const stopped = await h.waitFor('device.session-stopped', (e) => e.payload.sessionId === sessionId);
  t.match(stopped.payload, { reason: 'other', meterStopWms: 210 * WMS_PER_KWH, at: ms('10:30') });
  t.match(await svc.sweep(), { closed: 0 });
  // the charge point comes back with its stop: answered, the sweep's close stands, the stop kept aside
  t.same(await svc.stopTransaction(cp, { transactionId: a.transactionId, meterStop: 211_000, timestamp: iso('11:00'), idTag: 'CARD-7' }), { idTagInfo: { status: 'Accepted' } });
  await settle();
  t.equal(of('device.session-stopped', sessionId).length, 1);
});

t.test('events left pending by a crash before the outbox are appended by the recovery pass, same id', async (t) => {
  const pending: Envelope = h.bus.envelope('device.meter', { pileId: 'park-P1', deviceId: 'CP-1', portNo: 1, sessionId: 'crashed', meterWms: 1, at: 1 }, { id: 'ocpp-meter-crash-test' });
  await conn.collection('ocpp_meter_samples').insertOne({ deviceId: 'CP-1', owner: 'tx:1', timestampMs: 1, measurand: 'Energy.Active.Import.Register', phase: '', pending: [pending], pendingSince: nowMs - 60_000, receivedAt: 0 } as never);
  t.match(await svc.sweep(), { recovered: 1 });
  const got = await h.waitFor('device.meter', (e) => e.payload.sessionId === 'crashed');
  t.equal(got.id, 'ocpp-meter-crash-test');
  t.match(await svc.sweep(), { recovered: 0 }, 'cleared once appended');
});

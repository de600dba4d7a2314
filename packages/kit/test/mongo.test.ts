// MongoDB: connecting with retry (db = namespace) and the document outbox relay, over the embedded server.
import t from 'tap';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '@voltq/embedded-mongo';
import { Bus } from '../src/bus/bus.js';
import { connectMongo, mongoHealthy } from '../src/mongo.js';
import { MongoOutboxRelay, outboxEntry, outboxField } from '../src/outbox-mongo.js';
import { workQueueName } from '../src/bus/names.js';
import { removeNamespace } from '../../../test/support/cleanup.js';
import { AMQP_URL, REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { testLog, waitFor } from './helpers.js';

const ns = testNamespace('kt');
const log = testLog();
const redis = new Redis(REDIS_URL);
const queues = [workQueueName(ns, 'mo', 'sink')];

t.teardown(async () => {
  await removeNamespace(ns, queues);
  redis.disconnect();
});

t.test('connect retries until the server is there; the database is the namespace', async (t) => {
  const probe = await startEmbeddedMongo({ port: 0 });
  const port = probe.port;
  await probe.stop(); // nothing listens on `port` now
  const connecting = connectMongo(`mongodb://127.0.0.1:${port}`, { dbName: ns, log, retries: 20, serverSelectionTimeoutMS: 300 });
  await new Promise((r) => setTimeout(r, 400));
  const mongo = await startEmbeddedMongo({ port });
  const conn = await connecting;
  t.ok(mongoHealthy(conn));
  t.equal(conn.db?.databaseName, ns);
  await conn.close();
  t.notOk(mongoHealthy(conn));
  await mongo.stop();
  await t.rejects(
    connectMongo(`mongodb://127.0.0.1:${port}`, { dbName: ns, retries: 2, serverSelectionTimeoutMS: 200 }),
    'gives up after the retries',
  );
});

t.test('document outbox: the change and its event in one write, relayed and pulled after confirm', async (t) => {
  const mongo = await startEmbeddedMongo({ port: 0 });
  const conn = await connectMongo(mongo.uri, { dbName: ns, log });
  const Pile = conn.model(
    'Pile',
    new mongoose.Schema({ _id: String, state: String, outbox: outboxField }, { versionKey: false }),
  );
  const bus = new Bus({ url: AMQP_URL, ns, service: 'mo', log, redis });
  await bus.start();
  const got: string[] = [];
  await bus.consume({ queue: 'sink', types: ['pile.faulted', 'pile.recovered'], handler: async (m) => void got.push(`${m.type}:${m.payload.pileNo}`) });

  const relay = new MongoOutboxRelay({ model: Pile, bus, log, intervalMs: 200 });
  // written while no relay runs (a crash between write and publish): the interval sweep finds it
  const e1 = bus.envelope('pile.faulted', { stationId: 's', pileNo: 'F1', faultedAt: 1 });
  await Pile.create({ _id: 'F1', state: 'fault', outbox: [outboxEntry(e1)] });
  relay.start();
  await waitFor(() => got.length === 1, 3000, 'recovered entry relayed');

  const e2 = bus.envelope('pile.recovered', { stationId: 's', pileNo: 'F1', recoveredAt: 2 });
  await Pile.updateOne({ _id: 'F1' }, { $set: { state: 'idle' }, $push: { outbox: outboxEntry(e2) } });
  relay.kick();
  await waitFor(() => got.length === 2, 3000, 'kicked entry relayed');
  t.same(got, ['pile.faulted:F1', 'pile.recovered:F1']);
  await waitFor(async () => ((await Pile.findById('F1').lean())?.outbox.length ?? -1) === 0, 2000, 'outbox emptied');
  const doc = await Pile.findById('F1').lean();
  t.equal(doc?.state, 'idle');
  t.same(doc?.outbox, []);

  await relay.stop();
  await bus.close();
  await conn.close();
  await mongo.stop();
});

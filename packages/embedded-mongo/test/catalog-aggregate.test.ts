// Aggregation stages, catalog commands (create/drop/list/indexes/rename), the handshake commands, and the
// refusals: unknown commands, transactions, operators mingo lacks, features this server does not have.
import t from 'tap';
import { MongoClient, ObjectId } from 'mongodb';
import { harness, rejection } from './helpers.js';

t.test('aggregation and catalog through the mongodb driver', async (t) => {
  const { db, client, server } = await harness(t);

  t.test('aggregate: $match $group $sort $project $addFields $limit $skip $unwind $lookup $count $facet', async (t) => {
    const users = db.collection('agg_users');
    const orders = db.collection('agg_orders');
    const u1 = new ObjectId();
    const u2 = new ObjectId();
    await users.insertMany([
      { _id: u1, name: 'ann', city: 'x' },
      { _id: u2, name: 'bob', city: 'y' },
    ]);
    await orders.insertMany([
      { user: u1, kwh: 10, tags: ['fast', 'night'] },
      { user: u1, kwh: 5, tags: ['slow'] },
      { user: u2, kwh: 7, tags: ['fast'] },
    ]);
    const perUser = await orders
      .aggregate([
        { $group: { _id: '$user', totalKwh: { $sum: '$kwh' }, n: { $sum: 1 } } },
        { $lookup: { from: 'agg_users', localField: '_id', foreignField: '_id', as: 'user' } },
        { $unwind: '$user' },
        { $project: { _id: 0, name: '$user.name', totalKwh: 1, n: 1 } },
        { $addFields: { avgKwh: { $divide: ['$totalKwh', '$n'] } } },
        { $sort: { totalKwh: -1 } },
      ])
      .toArray();
    t.same(perUser, [
      { totalKwh: 15, n: 2, name: 'ann', avgKwh: 7.5 },
      { totalKwh: 7, n: 1, name: 'bob', avgKwh: 7 },
    ]);
    const tags = await orders.aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { n: -1, _id: 1 } }, { $skip: 1 }, { $limit: 2 }]).toArray();
    t.same(tags, [
      { _id: 'night', n: 1 },
      { _id: 'slow', n: 1 },
    ]);
    const counted = await orders.aggregate([{ $match: { kwh: { $gte: 7 } } }, { $count: 'big' }]).toArray();
    t.same(counted, [{ big: 2 }]);
    const facets = await orders
      .aggregate([{ $facet: { total: [{ $group: { _id: null, kwh: { $sum: '$kwh' } } }], top: [{ $sort: { kwh: -1 } }, { $limit: 1 }, { $project: { _id: 0, kwh: 1 } }] } }])
      .toArray();
    t.same(facets, [{ total: [{ _id: null, kwh: 22 }], top: [{ kwh: 10 }] }]);
    t.same((await users.findOne({ _id: u1 }))!, { _id: u1, name: 'ann', city: 'x' }, 'a pipeline never alters stored documents');
    t.same((await orders.find({ user: u1 }).sort({ kwh: 1 }).toArray()).map((o) => o.tags), [['slow'], ['fast', 'night']]);
    const byId = await users.aggregate([{ $match: { _id: u2 } }, { $project: { name: 1 } }]).toArray();
    t.same(byId, [{ _id: u2, name: 'bob' }]);
    const unknownStage = await rejection(t, orders.aggregate([{ $teleport: {} }]).toArray());
    t.equal(unknownStage.code, 40324);
    t.match(unknownStage.message, /\$teleport/);
    const unknownExpr = await rejection(t, orders.aggregate([{ $project: { x: { $teleport: 1 } } }]).toArray());
    t.equal(unknownExpr.code, 168);
    t.match(unknownExpr.message, /\$teleport/);
    const out = await rejection(t, orders.aggregate([{ $out: 'copy' }]).toArray());
    t.equal(out.code, 115, '$out is refused, not silently dropped');
  });

  t.test('create, listCollections, drop, dropDatabase, listDatabases, renameCollection', async (t) => {
    const other = client.db('catalog_other');
    await other.createCollection('alpha');
    const exists = await rejection(t, other.command({ create: 'alpha' }));
    t.equal(exists.code, 48, 'NamespaceExists');
    await other.collection('beta').insertOne({ b: 1 });
    const names = (await other.listCollections().toArray()).map((c) => c.name).sort();
    t.same(names, ['alpha', 'beta']);
    const full = await other.listCollections({ name: 'beta' }).toArray();
    t.equal(full.length, 1);
    t.equal(full[0]!.type, 'collection');
    t.ok((full[0] as { info?: { uuid?: unknown } }).info?.uuid);
    const nameOnly = await other.listCollections({}, { nameOnly: true }).toArray();
    t.same(nameOnly.map((c) => Object.keys(c).sort()), [['name', 'type'], ['name', 'type']]);
    const dbs = await client.db().admin().listDatabases();
    t.ok(dbs.databases.some((d) => d.name === 'catalog_other'));
    await other.renameCollection('beta', 'gamma');
    t.same((await other.collection('gamma').find({}, { projection: { _id: 0 } }).toArray()), [{ b: 1 }]);
    t.equal(await other.collection('beta').countDocuments(), 0);
    t.equal(await other.collection('alpha').drop(), true);
    t.equal(await other.collection('alpha').drop(), true, 'dropping a missing collection succeeds as on MongoDB 7');
    await other.dropDatabase();
    const after = await client.db().admin().listDatabases();
    t.notOk(after.databases.some((d) => d.name === 'catalog_other'));
    const capped = await rejection(t, other.createCollection('capped', { capped: true, size: 1000 }));
    t.equal(capped.code, 115, 'capped collections are refused');
    const badName = await rejection(t, client.db('bad$name').collection('x').insertOne({}));
    t.equal(badName.code, 73);
  });

  t.test('createIndexes, listIndexes, dropIndexes', async (t) => {
    const c = db.collection('idx');
    t.equal(await c.createIndex({ a: 1 }), 'a_1');
    t.equal(await c.createIndex({ b: -1, c: 1 }, { unique: true, name: 'bc' }), 'bc');
    t.equal(await c.createIndex({ a: 1 }), 'a_1', 'creating an existing index again is fine');
    const listed = await c.indexes();
    t.same(
      listed.map((i) => [i.name, i.key, i.unique ?? false]),
      [
        ['_id_', { _id: 1 }, false],
        ['a_1', { a: 1 }, false],
        ['bc', { b: -1, c: 1 }, true],
      ],
    );
    const conflict = await rejection(t, c.createIndex({ a: 1 }, { name: 'a_1', unique: true }));
    t.equal(conflict.code, 85, 'IndexOptionsConflict');
    const keyConflict = await rejection(t, c.createIndex({ z: 1 }, { name: 'a_1' }));
    t.equal(keyConflict.code, 86, 'IndexKeySpecsConflict');
    await c.dropIndex('a_1');
    t.same((await c.indexes()).map((i) => i.name), ['_id_', 'bc']);
    const missing = await rejection(t, c.dropIndex('nope'));
    t.equal(missing.code, 27);
    const idDrop = await rejection(t, c.dropIndex('_id_'));
    t.equal(idDrop.code, 72);
    await c.dropIndexes();
    t.same((await c.indexes()).map((i) => i.name), ['_id_']);
    const noColl = await rejection(t, db.collection('never-created').indexes());
    t.equal(noColl.code, 26, 'NamespaceNotFound');
    await c.insertMany([{ u: 1 }, { u: 1 }]);
    const dupBuild = await rejection(t, c.createIndex({ u: 1 }, { unique: true }));
    t.equal(dupBuild.code, 11000, 'a unique index cannot be built over duplicates');
    t.same((await c.indexes()).map((i) => i.name), ['_id_']);
    const badHint = await rejection(t, c.find({}).hint('no_such_index').toArray());
    t.equal(badHint.code, 2);
  });

  t.test('handshake and server commands', async (t) => {
    const admin = client.db('admin');
    const hello = await admin.command({ hello: 1 });
    t.equal(hello.isWritablePrimary, true);
    t.ok(hello.maxWireVersion >= 9);
    t.notOk('topologyVersion' in hello);
    t.notOk('setName' in hello, 'a standalone, not a replica set');
    t.equal((await admin.command({ isMaster: 1 })).ismaster, true);
    t.same(await admin.command({ ping: 1 }), { ok: 1 });
    const info = await admin.command({ buildInfo: 1 });
    t.match(info.version, /^\d+\.\d+\.\d+$/);
    t.equal((await admin.command({ endSessions: [] })).ok, 1);
    t.equal(server.uri, `mongodb://127.0.0.1:${server.port}`);
    const direct = new MongoClient(`mongodb://127.0.0.1:${server.port}/other?directConnection=true`);
    await direct.connect();
    t.equal((await direct.db().collection('d').insertOne({ x: 1 })).acknowledged, true);
    await direct.close();
  });

  t.test('refusals are loud', async (t) => {
    const unknown = await rejection(t, db.command({ frobnicate: 1 }));
    t.equal(unknown.code, 59);
    t.equal(unknown.codeName, 'CommandNotFound');
    const c = db.collection('refusals');
    await c.insertOne({ a: 1 });
    const session = client.startSession();
    session.startTransaction();
    const txn = await rejection(t, c.insertOne({ a: 2 }, { session }));
    // The driver rewraps this particular server error (as it does for a real standalone mongod).
    t.equal(txn.originalError?.code ?? txn.code, 20, 'transactions: IllegalOperation as on a standalone mongod');
    await session.abortTransaction().catch(() => undefined);
    await session.endSession();
    t.equal(await c.countDocuments({ a: 2 }), 0, 'nothing written by the refused transaction');
    const rawTxn = await rejection(t, db.command({ find: 'refusals', txnNumber: 1, autocommit: false, startTransaction: true }));
    t.equal(rawTxn.code, 20);
    const op = await rejection(t, c.find({ a: { $near: [0, 0] } }).toArray());
    t.equal(op.code, 2);
    t.match(op.message, /\$near/);
    const top = await rejection(t, c.find({ $text: { $search: 'x' } }).toArray());
    t.equal(top.code, 2);
    t.match(top.message, /\$text/);
    const where = await rejection(t, c.find({ $where: 'this.a == 1' }).toArray());
    t.equal(where.code, 115);
    const explain = await rejection(t, db.command({ aggregate: 'refusals', pipeline: [], explain: true }));
    t.equal(explain.code, 115);
    const tailable = await rejection(t, db.command({ find: 'refusals', tailable: true }));
    t.equal(tailable.code, 115);
    const returnKey = await rejection(t, c.find({}, { returnKey: true }).toArray());
    t.equal(returnKey.code, 115);
  });

  t.test('validators: query validators enforced, $jsonSchema refused', async (t) => {
    const v = await db.createCollection('validated', { validator: { kwh: { $gte: 0 } } });
    await v.insertOne({ kwh: 1 });
    const bad = await rejection(t, v.insertOne({ kwh: -1 }));
    t.equal(bad.code, 121);
    const badUpdate = await rejection(t, v.updateOne({ kwh: 1 }, { $set: { kwh: -5 } }));
    t.equal(badUpdate.code, 121);
    t.equal((await v.findOne({}))!.kwh, 1);
    const schema = await rejection(t, db.createCollection('schema', { validator: { $jsonSchema: { bsonType: 'object' } } }));
    t.equal(schema.code, 115);
  });
});

t.test('the TTL monitor deletes expired documents', async (t) => {
  const { db } = await harness(t, { ttlMonitorIntervalMs: 25 });
  const c = db.collection('sessions');
  await c.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await c.insertMany([
    { k: 'old', expiresAt: new Date(Date.now() - 60_000) },
    { k: 'new', expiresAt: new Date(Date.now() + 60_000) },
    { k: 'no-date', expiresAt: 'tomorrow' },
  ]);
  for (let i = 0; i < 100 && (await c.countDocuments({ k: 'old' })) > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same((await c.find({}).sort({ k: 1 }).toArray()).map((d) => d.k), ['new', 'no-date']);
});

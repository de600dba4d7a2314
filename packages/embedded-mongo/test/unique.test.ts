// Unique indexes on every write path (insert, update, upsert, replace, findAndModify), compound and sparse
// and partial indexes, multikey values, and races: many connections inserting one key, exactly one wins.
import t from 'tap';
import { MongoClient } from 'mongodb';
import { harness, rejection } from './helpers.js';

t.test('unique indexes', async (t) => {
  const { db, server } = await harness(t);

  t.test('duplicate key errors on each write path carry keyPattern and keyValue', async (t) => {
    const c = db.collection('accounts');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'a@x', n: 1 });
    await c.insertOne({ email: 'b@x', n: 2 });

    const insert = await rejection(t, c.insertOne({ email: 'a@x' }));
    t.equal(insert.code, 11000);
    t.same(insert.keyPattern, { email: 1 });
    t.same(insert.keyValue, { email: 'a@x' });
    t.match(insert.message, /E11000 duplicate key error collection: conformance\.accounts index: email_1 dup key/);

    const update = await rejection(t, c.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }));
    t.equal(update.code, 11000);
    t.same(update.keyValue, { email: 'a@x' });
    t.equal((await c.findOne({ n: 2 }))!.email, 'b@x', 'the failed update changed nothing');

    const replace = await rejection(t, c.replaceOne({ email: 'b@x' }, { email: 'a@x', n: 2 }));
    t.equal(replace.code, 11000);

    const upsert = await rejection(t, c.updateOne({ n: 99 }, { $set: { email: 'a@x' } }, { upsert: true }));
    t.equal(upsert.code, 11000);
    t.equal(await c.countDocuments({ n: 99 }), 0, 'the failed upsert inserted nothing');

    const fam = await rejection(t, c.findOneAndUpdate({ email: 'b@x' }, { $set: { email: 'a@x' } }));
    t.equal(fam.code, 11000);
    t.same(fam.keyValue, { email: 'a@x' });

    const famUpsert = await rejection(t, c.findOneAndUpdate({ n: 100 }, { $set: { email: 'b@x' } }, { upsert: true }));
    t.equal(famUpsert.code, 11000);

    const id = await rejection(t, c.insertOne({ _id: (await c.findOne({ n: 1 }))!._id, email: 'c@x' }));
    t.equal(id.code, 11000);
    t.same(id.keyPattern, { _id: 1 });

    await c.updateOne({ email: 'b@x' }, { $set: { email: 'b@x', extra: true } });
    t.equal((await c.findOne({ email: 'b@x' }))!.extra, true, 'a document may keep its own key');
    await c.deleteOne({ email: 'a@x' });
    await c.insertOne({ email: 'a@x', n: 3 });
    t.pass('a deleted key can be used again');
  });

  t.test('insertMany: ordered stops at the first duplicate, unordered continues', async (t) => {
    const c = db.collection('batch');
    await c.createIndex({ k: 1 }, { unique: true });
    const ordered = await rejection(t, c.insertMany([{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }]));
    t.equal(ordered.code, 11000);
    t.equal(ordered.writeErrors?.length ?? 1, 1);
    t.same((await c.find({}).sort({ k: 1 }).toArray()).map((d) => d.k), [1, 2]);
    const unordered = await rejection(t, c.insertMany([{ k: 4 }, { k: 1 }, { k: 5 }, { k: 2 }], { ordered: false }));
    t.equal(unordered.code, 11000);
    t.same((await c.find({}).sort({ k: 1 }).toArray()).map((d) => d.k), [1, 2, 4, 5]);
  });

  t.test('compound, sparse, partial and multikey unique indexes', async (t) => {
    const compound = db.collection('piles');
    await compound.createIndex({ station: 1, pile: 1 }, { unique: true });
    await compound.insertMany([
      { station: 's1', pile: 1 },
      { station: 's1', pile: 2 },
      { station: 's2', pile: 1 },
    ]);
    const dup = await rejection(t, compound.insertOne({ station: 's2', pile: 1 }));
    t.same(dup.keyValue, { station: 's2', pile: 1 });
    t.same(dup.keyPattern, { station: 1, pile: 1 });

    const sparse = db.collection('sparse');
    await sparse.createIndex({ code: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ a: 1 }, { a: 2 }, { code: 'x' }]);
    t.equal((await rejection(t, sparse.insertOne({ code: 'x' }))).code, 11000);

    const dense = db.collection('dense');
    await dense.createIndex({ code: 1 }, { unique: true });
    await dense.insertOne({ a: 1 });
    const missing = await rejection(t, dense.insertOne({ a: 2 }));
    t.same(missing.keyValue, { code: null }, 'without sparse, a missing field is a null key');

    const partial = db.collection('partial');
    await partial.createIndex({ user: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await partial.insertMany([
      { user: 'u', active: false },
      { user: 'u', active: false },
      { user: 'u', active: true },
    ]);
    t.equal((await rejection(t, partial.insertOne({ user: 'u', active: true }))).code, 11000);

    const multikey = db.collection('multikey');
    await multikey.createIndex({ tags: 1 }, { unique: true });
    await multikey.insertOne({ tags: ['a', 'b'] });
    const taken = await rejection(t, multikey.insertOne({ tags: ['c', 'b'] }));
    t.same(taken.keyValue, { tags: 'b' });
    await multikey.insertOne({ tags: ['c', 'c'] });
    t.pass('repeating a value inside one document is allowed');

    const lookup = await sparse.findOne({ code: 'x' });
    t.equal(lookup?.code, 'x');
  });

  t.test('parallel inserts of one unique key over many connections: exactly one wins', async (t) => {
    const c = db.collection('race');
    await c.createIndex({ slot: 1 }, { unique: true });
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const cl = new MongoClient(`${server.uri}/conformance`, { maxPoolSize: 2 });
        await cl.connect();
        return cl;
      }),
    );
    t.teardown(() => Promise.all(clients.map((cl) => cl.close())));
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(clients.map((cl, i) => cl.db().collection('race').insertOne({ slot: round, by: i })));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      t.equal(won.length, 1, `round ${round}: one insert wins`);
      t.ok(lost.every((r) => (r.reason as { code?: number }).code === 11000), 'all others get 11000');
    }
    const upserts = await Promise.allSettled(
      clients.map((cl, i) => cl.db().collection('race').updateOne({ slot: 'u' }, { $setOnInsert: { by: i } }, { upsert: true })),
    );
    t.ok(upserts.every((r) => r.status === 'fulfilled'), 'concurrent upserts of one key all succeed');
    t.equal(await c.countDocuments({ slot: 'u' }), 1, 'and create a single document');
    const counter = db.collection('counter');
    await counter.insertOne({ _id: 'c' as never, n: 0 });
    await Promise.all(clients.map((cl) => Promise.all(Array.from({ length: 10 }, () => cl.db().collection('counter').updateOne({ _id: 'c' as never }, { $inc: { n: 1 } })))));
    t.equal((await counter.findOne({ _id: 'c' as never }))!.n, 200, 'no increment is lost');
  });
});

// CRUD through the official mongodb driver: inserts, finds with every option, cursors across batches,
// updates of every kind, deletes, findAndModify, count, distinct and BSON values that must come back unchanged.
import t from 'tap';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, UUID } from 'mongodb';
import { harness, rejection } from './helpers.js';

t.test('crud through the mongodb driver', async (t) => {
  const { db, client } = await harness(t);

  t.test('insert and find with filter, projection, sort, skip, limit', async (t) => {
    const c = db.collection('people');
    const res = await c.insertMany([
      { name: 'ann', age: 31, tags: ['a', 'b'], address: { city: 'x', zip: '1' } },
      { name: 'bob', age: 25, tags: ['b'], address: { city: 'y', zip: '2' } },
      { name: 'cy', age: 40, tags: [], address: { city: 'x', zip: '3' } },
      { name: 'dee', age: 25 },
    ]);
    t.equal(res.insertedCount, 4);
    t.same((await c.find({ age: 25 }).sort({ name: 1 }).toArray()).map((d) => d.name), ['bob', 'dee']);
    t.same((await c.find({ 'address.city': 'x' }).sort({ age: -1 }).toArray()).map((d) => d.name), ['cy', 'ann']);
    t.same((await c.find({ tags: 'b' }).sort({ name: -1 }).toArray()).map((d) => d.name), ['bob', 'ann']);
    t.same((await c.find({}).sort({ age: 1, name: -1 }).skip(1).limit(2).toArray()).map((d) => d.name), ['bob', 'ann']);
    const projected = await c.findOne({ name: 'ann' }, { projection: { _id: 0, name: 1, 'address.city': 1 } });
    t.same(projected, { name: 'ann', address: { city: 'x' } });
    const excluded = await c.findOne({ name: 'bob' }, { projection: { address: 0, tags: 0 } });
    t.same(Object.keys(excluded!), ['_id', 'name', 'age'], '_id stays first, excluded fields gone');
    const again = await c.findOne({ name: 'ann' });
    t.same(again!.address, { city: 'x', zip: '1' }, 'a projection never alters the stored document');
    const positional = await c.findOne({ tags: 'b', name: 'ann' }, { projection: { 'tags.$': 1 } });
    t.same(positional!.tags, ['b']);
    t.same((await c.find({ $or: [{ age: { $gt: 35 } }, { name: /^d/ }] }).sort({ name: 1 }).toArray()).map((d) => d.name), ['cy', 'dee']);
    t.same((await c.find({ address: { $exists: false } }).toArray()).map((d) => d.name), ['dee']);
    t.same((await c.find({ $expr: { $gt: ['$age', 30] } }).sort({ age: 1 }).toArray()).map((d) => d.name), ['ann', 'cy']);
    t.same((await c.find({}).sort({ $natural: -1 }).limit(1).toArray()).map((d) => d.name), ['dee']);
  });

  t.test('_id lookups, findOne and missing collections', async (t) => {
    const c = db.collection('ids');
    const ids = [new ObjectId(), new ObjectId(), new ObjectId()];
    await c.insertMany(ids.map((_id, i) => ({ _id, i })));
    t.equal((await c.findOne({ _id: ids[1] }))!.i, 1);
    t.equal((await c.findOne({ _id: { $eq: ids[2] } }))!.i, 2);
    t.same((await c.find({ _id: { $in: [ids[0]!, ids[2]!, new ObjectId()] } }).sort({ i: 1 }).toArray()).map((d) => d.i), [0, 2]);
    t.equal(await c.findOne({ _id: ids[0], i: 5 }), null, 'other conditions still apply to an _id match');
    await c.insertOne({ _id: 7 as never, n: 'int' });
    t.equal((await c.findOne({ _id: 7.0 as never }))!.n, 'int', 'numbers match across int and double');
    t.equal(await db.collection('nothing-here').findOne({}), null);
    t.same(await db.collection('nothing-here').find({}).toArray(), []);
  });

  t.test('cursors longer than one batch: getMore and killCursors', async (t) => {
    const c = db.collection('many');
    await c.insertMany(Array.from({ length: 1234 }, (_, i) => ({ i, pad: 'x'.repeat(50) })));
    const all = await c.find({}, { batchSize: 100 }).sort({ i: 1 }).toArray();
    t.equal(all.length, 1234);
    t.same(all.slice(0, 3).map((d) => d.i), [0, 1, 2]);
    t.equal(all[1233]!.i, 1233);
    const first = await db.command({ find: 'many', filter: {}, batchSize: 10 });
    t.equal(first.cursor.firstBatch.length, 10);
    t.ok(first.cursor.id instanceof Long || typeof first.cursor.id === 'number');
    t.not(Number(first.cursor.id), 0);
    const more = await db.command({ getMore: first.cursor.id, collection: 'many', batchSize: 5 });
    t.equal(more.cursor.nextBatch.length, 5);
    t.equal(more.cursor.nextBatch[0].i, 10);
    const killed = await db.command({ killCursors: 'many', cursors: [first.cursor.id] });
    t.equal(killed.cursorsKilled.length, 1);
    const gone = await rejection(t, db.command({ getMore: first.cursor.id, collection: 'many' }));
    t.equal(gone.code, 43, 'CursorNotFound after killCursors');
    const single = await db.command({ find: 'many', filter: {}, batchSize: 3, singleBatch: true });
    t.equal(Number(single.cursor.id), 0, 'singleBatch closes the cursor');
    const limited = await db.command({ find: 'many', filter: {}, limit: 4 });
    t.equal(limited.cursor.firstBatch.length, 4);
    t.equal(Number(limited.cursor.id), 0);
    let streamed = 0;
    for await (const doc of c.find({ i: { $gte: 1000 } }, { batchSize: 50 })) {
      t.ok(doc.i >= 1000);
      streamed++;
    }
    t.equal(streamed, 234);
    const aggregated = await c.aggregate([{ $match: { i: { $lt: 300 } } }], { batchSize: 64 }).toArray();
    t.equal(aggregated.length, 300);
  });

  t.test('update: operators, multi, upsert, arrayFilters, positional, pipeline, replacement', async (t) => {
    const c = db.collection<any>('updates');
    await c.insertMany([
      { _id: 1 as never, n: 1, items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }], tags: ['x'] },
      { _id: 2 as never, n: 2, items: [{ sku: 'a', qty: 5 }], tags: [] },
    ]);
    let r = await c.updateOne({ _id: 1 as never }, { $inc: { n: 10 }, $push: { tags: 'y' } as never, $set: { 'meta.seen': true } });
    t.same([r.matchedCount, r.modifiedCount], [1, 1]);
    t.same(await c.findOne({ _id: 1 as never }), { _id: 1, n: 11, items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }], tags: ['x', 'y'], meta: { seen: true } });
    r = await c.updateOne({ _id: 1 as never }, { $set: { n: 11 } });
    t.same([r.matchedCount, r.modifiedCount], [1, 0], 'setting the same value modifies nothing');
    r = await c.updateMany({}, { $inc: { 'items.$[hot].qty': 100 } }, { arrayFilters: [{ 'hot.sku': 'a' }] });
    t.same([r.matchedCount, r.modifiedCount], [2, 2]);
    t.same((await c.findOne({ _id: 2 as never }))!.items, [{ sku: 'a', qty: 105 }]);
    await c.updateOne({ _id: 1 as never, 'items.sku': 'b' }, { $set: { 'items.$.qty': 0 } });
    t.same((await c.findOne({ _id: 1 as never }))!.items, [{ sku: 'a', qty: 101 }, { sku: 'b', qty: 0 }]);
    await c.updateOne({ _id: 2 as never }, [{ $set: { total: { $sum: '$items.qty' } } }, { $unset: 'tags' }]);
    t.same(await c.findOne({ _id: 2 as never }), { _id: 2, n: 2, items: [{ sku: 'a', qty: 105 }], total: 105 });
    r = await c.replaceOne({ _id: 2 as never }, { fresh: true });
    t.equal(r.modifiedCount, 1);
    t.same(await c.findOne({ _id: 2 as never }), { _id: 2, fresh: true });
    r = await c.updateOne({ key: 'k1' }, { $set: { v: 1 }, $setOnInsert: { created: 'now' } }, { upsert: true });
    t.equal(r.upsertedCount, 1);
    t.ok(r.upsertedId instanceof ObjectId);
    t.same(await c.findOne({ key: 'k1' }, { projection: { _id: 0 } }), { key: 'k1', v: 1, created: 'now' });
    r = await c.updateOne({ key: 'k1' }, { $set: { v: 2 }, $setOnInsert: { created: 'later' } }, { upsert: true });
    t.same([r.matchedCount, r.upsertedCount], [1, 0]);
    t.same(await c.findOne({ key: 'k1' }, { projection: { _id: 0 } }), { key: 'k1', v: 2, created: 'now' }, '$setOnInsert only on insert');
    r = await c.replaceOne({ _id: 99 as never }, { replaced: true }, { upsert: true });
    t.equal(r.upsertedId, 99, 'a replacement upsert takes _id from the filter');
    const multi = await c.updateMany({ n: { $exists: true } }, { $unset: { n: '' } });
    t.equal(multi.modifiedCount, 1);
    const immutable = await rejection(t, c.updateOne({ _id: 1 as never }, { $set: { _id: 5 } }));
    t.equal(immutable.code, 66, 'ImmutableField');
    const unknown = await rejection(t, c.updateOne({ _id: 1 as never }, { $frobnicate: { a: 1 } } as never));
    t.equal(unknown.code, 9);
    t.match(unknown.message, /\$frobnicate/);
    const noMatch = await c.updateOne({ _id: 'none' as never }, { $set: { a: 1 } });
    t.same([noMatch.matchedCount, noMatch.modifiedCount, noMatch.upsertedCount], [0, 0, 0]);
  });

  t.test('delete one and many', async (t) => {
    const c = db.collection('deletes');
    await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ i, even: i % 2 === 0 })));
    t.equal((await c.deleteOne({ even: true })).deletedCount, 1);
    t.equal((await c.deleteMany({ even: true })).deletedCount, 4);
    t.equal(await c.countDocuments(), 5);
    t.equal((await c.deleteMany({})).deletedCount, 5);
    t.equal((await c.deleteOne({ i: 1 })).deletedCount, 0);
  });

  t.test('findAndModify: new, upsert, remove, fields, sort', async (t) => {
    const c = db.collection('fam');
    await c.insertMany([
      { q: 'a', p: 3 },
      { q: 'a', p: 1 },
      { q: 'a', p: 2 },
    ]);
    const before = await c.findOneAndUpdate({ q: 'a' }, { $set: { taken: true } }, { sort: { p: 1 } });
    t.equal(before!.p, 1);
    t.notOk(before!.taken, 'the pre-image by default');
    const after = await c.findOneAndUpdate({ q: 'a', taken: { $exists: false } }, { $set: { taken: true } }, { sort: { p: -1 }, returnDocument: 'after', projection: { _id: 0, p: 1, taken: 1 } });
    t.same(after, { p: 3, taken: true });
    const upserted = await c.findOneAndUpdate({ q: 'b' }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true });
    t.same(upserted.value && { q: upserted.value.q, n: upserted.value.n }, { q: 'b', n: 1 });
    t.equal(upserted.lastErrorObject?.updatedExisting, false);
    t.ok(upserted.lastErrorObject?.upserted);
    const nullOnUpsertBefore = await c.findOneAndUpdate({ q: 'c' }, { $set: { n: 1 } }, { upsert: true });
    t.equal(nullOnUpsertBefore, null);
    const replaced = await c.findOneAndReplace({ q: 'c' }, { q: 'c', replaced: 1 }, { returnDocument: 'after' });
    t.equal(replaced!.replaced, 1);
    const removed = await c.findOneAndDelete({ q: 'a' }, { sort: { p: -1 } });
    t.equal(removed!.p, 3);
    t.equal(await c.countDocuments({ q: 'a' }), 2);
    t.equal(await c.findOneAndDelete({ q: 'zzz' }), null);
  });

  t.test('count, estimatedDocumentCount, countDocuments, distinct', async (t) => {
    const c = db.collection('counting');
    await c.insertMany([{ k: 'a', v: [1, 2] }, { k: 'b', v: 2 }, { k: 'a', v: 3 }, { k: 'c' }]);
    t.equal(await c.estimatedDocumentCount(), 4);
    t.equal(await c.countDocuments({ k: 'a' }), 2);
    t.equal(await c.countDocuments({}, { skip: 1, limit: 2 }), 2);
    t.equal((await db.command({ count: 'counting', query: { k: { $ne: 'a' } } })).n, 2);
    t.same((await c.distinct('k')).sort(), ['a', 'b', 'c']);
    t.same((await c.distinct('v')).sort(), [1, 2, 3], 'arrays are flattened');
    t.same(await c.distinct('k', { v: 2 }), ['a', 'b']);
    t.equal(await db.collection('no-such').countDocuments(), 0);
  });

  t.test('BSON values round-trip unchanged', async (t) => {
    const c = db.collection('bson');
    const uuid = new UUID();
    const doc = {
      _id: new ObjectId(),
      when: new Date('2024-02-29T12:34:56.789Z'),
      money: Decimal128.fromString('12345.6789'),
      smallLong: Long.fromNumber(42),
      bigLong: Long.fromString('9223372036854775807'),
      bin: new Binary(Buffer.from([0, 1, 2, 255]), 0),
      uuid,
      nested: { arr: [1, 'two', { three: 3 }], nil: null },
      double: new Double(1.5),
      int: new Int32(7),
    };
    await c.insertOne(doc);
    const raw = await c.findOne({ _id: doc._id }, { promoteLongs: false, promoteValues: false });
    t.ok(raw!.smallLong instanceof Long, 'int64 stays int64');
    t.equal(raw!.smallLong.toString(), '42');
    t.equal(raw!.bigLong.toString(), '9223372036854775807');
    t.ok(raw!.double instanceof Double, 'double stays double');
    t.ok(raw!.int instanceof Int32, 'int32 stays int32');
    const back = await c.findOne({ _id: doc._id });
    t.equal(back!.when.toISOString(), '2024-02-29T12:34:56.789Z');
    t.equal(back!.money.toString(), '12345.6789');
    t.ok(back!.money instanceof Decimal128);
    t.ok(back!.bin instanceof Binary);
    t.same([...back!.bin.buffer], [0, 1, 2, 255]);
    t.equal(back!.uuid.toHexString(), uuid.toHexString());
    t.same(back!.nested, doc.nested);
    t.same(Object.keys(back!), Object.keys(doc), 'field order is kept');
    t.equal((await c.findOne({ when: { $gt: new Date('2024-01-01') } }))?._id.toHexString(), doc._id.toHexString());
    t.equal((await c.findOne({ money: Decimal128.fromString('12345.6789') }))?._id.toHexString(), doc._id.toHexString());
    t.equal((await c.findOne({ bigLong: Long.fromString('9223372036854775807') }))?._id.toHexString(), doc._id.toHexString());
    t.equal((await c.findOne({ bin: new Binary(Buffer.from([0, 1, 2, 255]), 0) }))?._id.toHexString(), doc._id.toHexString());
    const withoutId = { plain: true } as { plain: boolean; _id?: ObjectId };
    await c.insertOne(withoutId);
    const stored = await c.findOne({ plain: true });
    t.equal(Object.keys(stored!)[0], '_id', 'a driver-generated _id is stored first');
    t.ok(stored!._id.equals(withoutId._id!));
  });

  t.test('unacknowledged writes (moreToCome) are applied in order', async (t) => {
    const c = db.collection('w0', { writeConcern: { w: 0 } });
    for (let i = 0; i < 20; i++) await c.insertOne({ i });
    const count = await client.db('conformance').collection('w0').countDocuments();
    t.equal(count, 20);
  });
});

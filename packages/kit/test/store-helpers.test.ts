// The helpers services build their stores from: mongoose fields from a contract's TypeBox object, paged queries,
// daily numbers from a durable counter, and the ownership check of a record a user asks for.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { Schema } from 'mongoose';
import { startEmbeddedMongo } from '@voltq/embedded-mongo';
import { formatDailyNumber, MongoCounters, nextDailyNumber } from '../src/counters.js';
import { DomainError, ownedOrNotFound } from '../src/errors.js';
import { connectMongo, definedFields, findPage } from '../src/mongo.js';
import { mongooseFields } from '../src/mongo-fields.js';
import { testNamespace } from '../../../test/support/env.js';

t.test('mongooseFields: types, required from the contract, arrays of sub-documents, overrides', async (t) => {
  const Tier = Type.Object({ tier: Type.String(), energyWms: Type.Integer() });
  const fields = mongooseFields(
    Type.Object({
      id: Type.String(),
      n: Type.Number(),
      flag: Type.Optional(Type.Boolean()),
      mode: Type.Union([Type.Literal('fast'), Type.Literal('slow')]),
      tiers: Type.Array(Tier),
      any: Type.Unknown(),
    }),
    { id: { unique: true }, mode: { enum: ['fast', 'slow'] }, hash: { type: String, required: true } },
  ) as Record<string, Record<string, unknown>>;
  t.same(fields.id, { type: String, required: true, unique: true });
  t.same(fields.n, { type: Number, required: true });
  t.same(fields.flag, { type: Boolean }, 'optional: not required');
  t.same(fields.mode, { type: String, required: true, enum: ['fast', 'slow'] });
  t.same(fields.hash, { type: String, required: true }, 'a field only the store has');
  t.equal(fields.any!.type, Schema.Types.Mixed);
  t.same(fields.tiers!.default, [], 'an array defaults to empty, is not required');
  const sub = (fields.tiers!.type as Schema[])[0]!;
  t.equal(sub.options._id, false, 'sub-documents without _id');
  t.notOk(sub.path('tier').isRequired, 'nothing required inside a sub-document');
  t.equal(sub.path('energyWms').instance, 'Number');
  const loose = mongooseFields(Type.Object({ a: Type.String() }), {}, { required: false }) as Record<string, Record<string, unknown>>;
  t.same(loose.a, { type: String }, 'required: false leaves requiring to the overrides');
});

t.test('ownedOrNotFound: another user\'s record does not exist for the caller', async (t) => {
  const record = { userId: '7', id: 'b1' };
  t.equal(ownedOrNotFound(record, '7', 'bill b1'), record);
  t.equal(ownedOrNotFound(record, undefined, 'bill b1'), record, 'no user: an internal or admin call');
  t.throws(() => ownedOrNotFound(record, '8', 'bill b1'), new DomainError('NOT_FOUND', 'bill b1 not found'));
  t.throws(() => ownedOrNotFound(undefined, '7', 'bill b1'), new DomainError('NOT_FOUND', 'bill b1 not found'));
  t.throws(() => ownedOrNotFound(null, undefined, 'order o1'), new DomainError('NOT_FOUND', 'order o1 not found'));
});

t.test('definedFields: the set ones of the named fields', async (t) => {
  const params: { userId?: string; orderId?: string; pageNum: number } = { userId: '7', pageNum: 2 };
  t.same(definedFields(params, ['userId', 'orderId']), { userId: '7' });
  t.same(definedFields(params, []), {});
});

t.test('daily numbers: prefix, date, six digits', async (t) => {
  t.equal(formatDailyNumber('B', '20250301', 42), 'B20250301000042');
  t.equal(formatDailyNumber('', '20250101', 1), '20250101000001');
});

t.test('over MongoDB: findPage and nextDailyNumber', async (t) => {
  const mongo = await startEmbeddedMongo({ port: 0 });
  const conn = await connectMongo(mongo.uri, { dbName: testNamespace('kh') });
  t.teardown(async () => {
    await conn.close();
    await mongo.stop();
  });
  const Doc = conn.model('Doc', new Schema({ no: String, at: Number, owner: String }, { collection: 'docs' }));
  await Doc.insertMany(Array.from({ length: 7 }, (_, i) => ({ no: `B20250301${String(i + 1).padStart(6, '0')}`, at: i, owner: i % 2 ? 'a' : 'b' })));

  const page = await findPage(Doc, { owner: 'b' }, { pageNum: 2, pageSize: 2 }, { at: -1 });
  t.same(page.items.map((d) => d.at), [2, 0], 'the second page, newest first');
  t.equal(page.total, 4, 'the total of all matches');
  t.same((await findPage(Doc, { owner: 'c' }, { pageNum: 1, pageSize: 5 }, { at: 1 })).items, []);

  const source = { counters: new MongoCounters(conn, 'doc_counters'), counter: 'doc-no', model: Doc, field: 'no', prefix: 'B' };
  const march1 = Date.parse('2025-03-01T12:00:00+08:00');
  t.equal(await nextDailyNumber(source, march1), 'B20250301000008', 'a new day counter starts above the highest stored number');
  t.equal(await nextDailyNumber(source, march1), 'B20250301000009');
  t.equal(await nextDailyNumber(source, Date.parse('2025-03-02T00:30:00+08:00')), 'B20250302000001', 'the station-local day');
  t.same(await conn.db!.collection('doc_counters').find().sort({ _id: 1 }).toArray(), [
    { _id: 'doc-no:20250301', seq: 9 },
    { _id: 'doc-no:20250302', seq: 1 },
  ] as never);
});

// Tariffs in MongoDB (src/store/tariffs.ts): what a put stores is what is read back, the default is seeded once and
// never over an operator's, and puts racing on one tariff keep every version.
import t from 'tap';
import mongoose from 'mongoose';
import type { PutTariffParams, TariffRule } from '@voltq/contracts';
import { startTestMongo, testNamespace } from '../../../../test/support/env.js';
import { defaultTariffDocument, putVersion } from '../../src/domain/tariffs.js';
import { tariffModel, TariffRepository } from '../../src/store/tariffs.js';

const mongo = await startTestMongo();
const conn = await mongoose.createConnection(mongo.uri, { dbName: testNamespace('tariffs') }).asPromise();
t.teardown(async () => {
  await conn.dropDatabase();
  await conn.close();
  await mongo.stop();
});
const Tariff = tariffModel(conn);
await Tariff.init();
const repo = new TariffRepository(Tariff);

const rule = (pileType: 1 | 2, price: number): TariffRule => ({
  pileType,
  windows: [{ tier: 'flat', from: '00:00', to: '24:00', price }],
  serviceRate: 100_000,
});
const put = (tariffId: string, effectiveDate: string, price: number): PutTariffParams => ({
  tariffId, name: `tariff ${tariffId}`, version: { effectiveDate, rules: [rule(1, price), rule(2, price)] },
});

t.test('a stored tariff reads back as put; the list is by id', async (t) => {
  const made = await repo.update('b-tariff', (existing) => putVersion(existing, put('b-tariff', '2026-01-01', 5000), 1000));
  t.same(await repo.byId('b-tariff'), made);
  await repo.update('a-tariff', (existing) => putVersion(existing, put('a-tariff', '2026-01-01', 4000), 1000));
  t.same((await repo.list()).map((x) => x.tariffId), ['a-tariff', 'b-tariff']);
  t.equal(await repo.byId('nope'), undefined);
});

t.test('the default is seeded once, never over what an operator put', async (t) => {
  await repo.seed(defaultTariffDocument(1));
  const seeded = await repo.byId('default');
  t.same(seeded, defaultTariffDocument(1));
  const changed = await repo.update('default', (existing) => putVersion(existing, { ...put('default', '2026-06-01', 9000), name: 'new default' }, 2));
  await repo.seed(defaultTariffDocument(3));
  t.same(await repo.byId('default'), changed, 'a second start leaves it alone');
  t.equal(changed.versions.length, 2, 'the built-in version stays for older sessions');
});

t.test('puts racing on one tariff keep every version', async (t) => {
  const dates = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01'];
  await Promise.all(dates.map((d, i) => repo.update('race', (existing) => putVersion(existing, put('race', d, 1000 + i), i))));
  const doc = await repo.byId('race');
  t.same(doc?.versions.map((v) => v.effectiveDate), dates);
});

t.test('a refused change writes nothing', async (t) => {
  const before = await repo.byId('a-tariff');
  await t.rejects(repo.update('a-tariff', (existing) => putVersion(existing, put('a-tariff', '2026-13-01', 1), 5)), { code: 'VALIDATION' });
  t.same(await repo.byId('a-tariff'), before);
});

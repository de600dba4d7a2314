// The ledger in MongoDB: whatever mix of recharges, retries and concurrent writers, each cause is entered once and
// the balance is exactly the sum of the entries (the chain never drifts). A property test over random runs.
import t from 'tap';
import fc from 'fast-check';
import mongoose from 'mongoose';
import { startTestMongo, testNamespace } from '../../../../test/support/env.js';
import { causeOf } from '../../src/domain/ledger.js';
import { ledgerModel, LedgerRepository, type StoredEntry } from '../../src/store/ledger.js';

const mongo = await startTestMongo();
const conn = await mongoose.createConnection(mongo.uri, { dbName: testNamespace('ledger') }).asPromise();
t.teardown(async () => {
  await conn.dropDatabase();
  await conn.close();
  await mongo.stop();
});
const Entry = ledgerModel(conn);
await Entry.init();
const ledger = new LedgerRepository(Entry);

let nextUser = 0;
const recharge = (userId: string, requestId: string, amountFen: number) =>
  ledger.enter({ userId, kind: 'recharge', amountFen, cause: causeOf('recharge', requestId), createdAt: Date.now() });

/** The user's stored chain is whole: seq 1..n, each balanceAfterFen the running sum; answers the sum. */
async function checkChain(userId: string): Promise<number> {
  const entries = await Entry.find({ userId }).sort({ seq: 1 }).lean<StoredEntry[]>();
  let sum = 0;
  entries.forEach((e, i) => {
    sum += e.amountFen;
    if (e.seq !== i + 1 || e.balanceAfterFen !== sum) throw new Error(`entry ${e.seq} of ${userId}: balanceAfterFen ${e.balanceAfterFen}, sum ${sum}`);
  });
  return sum;
}

t.test('the same cause entered twice at once and again later: one entry', async (t) => {
  const userId = `u${++nextUser}`;
  const [a, b] = await Promise.all([recharge(userId, 'r1', 700), recharge(userId, 'r1', 700)]);
  t.same(a, b, 'both writers answer the one entry');
  t.same(await recharge(userId, 'r1', 700), a, 'a later retry too');
  t.equal(await Entry.countDocuments({ userId }), 1);
  t.same(await ledger.balance(userId), { userId, balanceFen: 700, updatedAt: a.createdAt });
});

t.test('random recharges, retries and concurrent writers: balance = sum of entries = sum of first amounts per request', async (t) => {
  // a step is a batch of recharges run concurrently; request ids come from a small pool so retries are common
  const step = fc.array(fc.record({ request: fc.nat(5), amountFen: fc.integer({ min: 1, max: 5000 }) }), { minLength: 1, maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
      const userId = `u${++nextUser}`;
      const credited = new Map<string, number>(); // request -> the amount its entry holds
      for (const batch of steps) {
        const answers = await Promise.all(batch.map((r) => recharge(userId, `r${r.request}`, r.amountFen)));
        answers.forEach((entry, i) => {
          const requestId = `r${batch[i]!.request}`;
          const held = credited.get(requestId) ?? entry.amountFen;
          credited.set(requestId, held);
          if (entry.amountFen !== held || entry.cause !== `recharge:${requestId}`) throw new Error(`request ${requestId} answered ${entry.amountFen}, holds ${held}`);
        });
      }
      const sum = await checkChain(userId);
      const expected = [...credited.values()].reduce((a, b) => a + b, 0);
      const { balanceFen } = await ledger.balance(userId);
      if (balanceFen !== sum || sum !== expected) throw new Error(`balance ${balanceFen}, sum of entries ${sum}, expected ${expected}`);
      if ((await Entry.countDocuments({ userId })) !== credited.size) throw new Error('one entry per request');
    }),
    { numRuns: 40 },
  );
  t.pass('every run kept balance = sum');
});

t.test('many different recharges at once all land, each on its own place in the chain', async (t) => {
  const userId = `u${++nextUser}`;
  await Promise.all(Array.from({ length: 12 }, (_, i) => recharge(userId, `p${i}`, 100 + i)));
  t.equal(await checkChain(userId), Array.from({ length: 12 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0));
  t.equal((await ledger.balance(userId)).balanceFen, 1266);
});

t.test('a write the store refuses leaves nothing behind', async (t) => {
  const userId = `u${++nextUser}`;
  await t.rejects(recharge(userId, 'z', 0), { name: 'DomainError', code: 'VALIDATION' });
  t.equal(await Entry.countDocuments({ userId }), 0);
  t.same(await ledger.balance(userId), { userId, balanceFen: 0 });
});

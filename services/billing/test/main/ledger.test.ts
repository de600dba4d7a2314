// The balance ledger over the real bus: billing.recharge credits once per requestId, billing.balance is the sum of
// the entries (0 without any), billing.ledger pages them newest first, and refused recharges store nothing.
import t from 'tap';
import { RECHARGE_MAX_FEN } from '@voltq/contracts';
import { startHarness } from '../support/harness.js';

const h = await startHarness([]);
t.teardown(() => h.close());

let nextUser = 0;
const newUser = () => `ledger-u${++nextUser}`;
const recharge = (userId: string, requestId: string, amountFen: number) => h.bus.call('billing.recharge', { userId, requestId, amountFen });
const balanceOf = (userId: string) => h.bus.call('billing.balance', { userId });
const ledgerOf = (userId: string, pageNum = 1, pageSize = 20) => h.bus.call('billing.ledger', { userId, pageNum, pageSize });

t.test('a recharge credits the balance with one entry', async (t) => {
  const userId = newUser();
  const before = Date.now();
  const { entry, balanceFen } = await recharge(userId, 'req-1', 5000);
  t.match(entry, { userId, kind: 'recharge', amountFen: 5000, cause: 'recharge:req-1', balanceAfterFen: 5000 });
  t.type(entry.entryId, 'string');
  t.ok(entry.createdAt >= before - 1000, 'createdAt from the clock');
  t.equal(balanceFen, 5000);
  t.same(await balanceOf(userId), { userId, balanceFen: 5000, updatedAt: entry.createdAt });
  const second = await recharge(userId, 'req-2', 1234);
  t.equal(second.balanceFen, 6234);
  t.equal(second.entry.balanceAfterFen, 6234);
});

t.test('the same requestId again returns the same entry and credits once', async (t) => {
  const userId = newUser();
  const first = await recharge(userId, 'again', 800);
  const retry = await recharge(userId, 'again', 800);
  t.same(retry, first, 'the same entry and balance');
  t.equal((await balanceOf(userId)).balanceFen, 800);
  t.equal((await ledgerOf(userId)).total, 1);
  // the same requestId belongs to its user: another user's request of that id is its own
  const other = newUser();
  t.equal((await recharge(other, 'again', 300)).balanceFen, 300);
  t.equal((await balanceOf(userId)).balanceFen, 800);
});

t.test('the same requestId with another amount is CONFLICT and changes nothing', async (t) => {
  const userId = newUser();
  await recharge(userId, 'k', 1000);
  await t.rejects(recharge(userId, 'k', 1001), { code: 'CONFLICT' });
  t.equal((await balanceOf(userId)).balanceFen, 1000);
  t.equal((await ledgerOf(userId)).total, 1);
});

t.test('zero, negative, too large or fractional amounts are VALIDATION and nothing is stored', async (t) => {
  const userId = newUser();
  for (const amountFen of [0, -100, RECHARGE_MAX_FEN + 1, 12.5]) {
    await t.rejects(recharge(userId, `bad-${amountFen}`, amountFen), { code: 'VALIDATION' }, `${amountFen}`);
  }
  await t.rejects(recharge(userId, '', 100), { code: 'VALIDATION' }, 'an empty requestId');
  t.same(await balanceOf(userId), { userId, balanceFen: 0 });
  t.equal((await ledgerOf(userId)).total, 0);
  t.equal((await recharge(userId, 'max', RECHARGE_MAX_FEN)).balanceFen, RECHARGE_MAX_FEN, 'the maximum itself is accepted');
});

t.test('a user without entries has a balance of 0 and no updatedAt, and an empty ledger', async (t) => {
  const userId = newUser();
  t.same(await balanceOf(userId), { userId, balanceFen: 0 });
  t.same(await ledgerOf(userId), { items: [], total: 0, pageNum: 1, pageSize: 20 });
});

t.test('the ledger pages newest first, each entry with the balance after it', async (t) => {
  const userId = newUser();
  for (const [i, amountFen] of [100, 200, 300, 400, 500].entries()) await recharge(userId, `p${i}`, amountFen);
  const page1 = await ledgerOf(userId, 1, 2);
  const page2 = await ledgerOf(userId, 2, 2);
  const page3 = await ledgerOf(userId, 3, 2);
  t.equal(page1.total, 5);
  t.same([...page1.items, ...page2.items, ...page3.items].map((e) => [e.cause, e.amountFen, e.balanceAfterFen]), [
    ['recharge:p4', 500, 1500],
    ['recharge:p3', 400, 1000],
    ['recharge:p2', 300, 600],
    ['recharge:p1', 200, 300],
    ['recharge:p0', 100, 100],
  ]);
  t.match(page2, { pageNum: 2, pageSize: 2 });
});

t.test('concurrent identical recharges (a retry racing the first call) make one entry', async (t) => {
  const userId = newUser();
  const answers = await Promise.all(Array.from({ length: 6 }, () => recharge(userId, 'race', 2500)));
  t.equal(new Set(answers.map((a) => a.entry.entryId)).size, 1, 'every call answers the one entry');
  t.equal((await balanceOf(userId)).balanceFen, 2500);
  t.equal((await ledgerOf(userId)).total, 1);
  // and different recharges at once all land, the balance their sum
  await Promise.all([1, 2, 3, 4].map((i) => recharge(userId, `race-${i}`, i * 10)));
  const ledger = await ledgerOf(userId);
  t.equal(ledger.total, 5);
  t.equal((await balanceOf(userId)).balanceFen, 2600);
  t.equal(ledger.items[0]!.balanceAfterFen, 2600, 'the newest entry holds the balance');
});

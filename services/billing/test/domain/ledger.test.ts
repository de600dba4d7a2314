// The ledger's pure rules: which recharges are accepted, the cause of an entry, and how an entry extends the chain.
import t from 'tap';
import { RECHARGE_MAX_FEN, type LedgerEntry } from '@voltq/contracts';
import { causeOf, checkRechargeAmount, checkSameRequest, nextEntry } from '../../src/domain/ledger.js';

const refused = (code: string) => ({ name: 'DomainError', code });

t.test('a recharge is a whole number of fen from 1 to RECHARGE_MAX_FEN', async (t) => {
  for (const ok of [1, 1000, RECHARGE_MAX_FEN]) t.doesNotThrow(() => checkRechargeAmount(ok), `${ok}`);
  for (const bad of [0, -1, 1.5, RECHARGE_MAX_FEN + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => checkRechargeAmount(bad), refused('VALIDATION'), `${bad}`);
  }
});

t.test('an entry follows its tail: seq + 1, balance + amount; the first starts from 0', async (t) => {
  const input = { entryId: 'e1', userId: 'u', kind: 'recharge' as const, amountFen: 500, cause: causeOf('recharge', 'r1'), createdAt: 1 };
  t.same(nextEntry(undefined, input), { ...input, seq: 1, balanceAfterFen: 500 });
  t.same(nextEntry({ seq: 4, balanceAfterFen: 1200 }, { ...input, kind: 'bill', amountFen: -200, cause: causeOf('bill', 'b9') }), {
    ...input, kind: 'bill', amountFen: -200, cause: 'bill:b9', seq: 5, balanceAfterFen: 1000,
  }, 'a later bill debit fits the same chain');
  t.throws(() => nextEntry(undefined, { ...input, amountFen: 0 }), refused('VALIDATION'), 'an entry that moves nothing');
  t.throws(() => nextEntry({ seq: 1, balanceAfterFen: Number.MAX_SAFE_INTEGER }, input), refused('VALIDATION'), 'a balance beyond exact integers');
});

t.test('a cause entered again: the same amount is the same request, another is a conflict', async (t) => {
  const entry: LedgerEntry = { entryId: 'e1', userId: 'u', kind: 'recharge', amountFen: 500, cause: 'recharge:r1', createdAt: 1, balanceAfterFen: 500 };
  t.equal(checkSameRequest(entry, 500), entry);
  t.throws(() => checkSameRequest(entry, 501), refused('CONFLICT'));
});

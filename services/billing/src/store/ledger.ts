// MongoDB `ledger_entries`: the balance ledger, append-only. Each user's entries form a chain numbered by `seq`; an
// entry is written with the balance after it (the previous entry's plus its amount) in ONE insert, and two unique
// indexes make every write safe without a transaction:
// - (userId, cause): a retried or redelivered cause is entered once; the loser of a race finds the winner's entry;
// - (userId, seq): only one entry can follow a given one, so two different writes racing on the same tail cannot
//   both extend it from the same balance: the loser re-reads the tail and tries again.
// So the newest entry's balanceAfterFen is always the sum of the user's amounts: nothing is ever edited in place.
import { Schema, Types, type Connection, type Model } from 'mongoose';
import { LEDGER_ENTRY_KINDS, LedgerEntry } from '@voltq/contracts';
import { DomainError, findPage, isDuplicateKey, mongooseFields } from '@voltq/kit';
import { nextEntry, type EntryInput, type LedgerTail } from '../domain/ledger.js';

export type StoredEntry = LedgerEntry & { seq: number };

const entrySchema = new Schema<StoredEntry>(
  mongooseFields(LedgerEntry, {
    entryId: { unique: true },
    kind: { enum: [...LEDGER_ENTRY_KINDS] },
    // the entry's place in its user's chain (1, 2, ...): store-only
    seq: { type: Number, required: true },
  }),
  { collection: 'ledger_entries', versionKey: false },
);
entrySchema.index({ userId: 1, cause: 1 }, { unique: true });
// the chain's order, and only one entry after each: the tail (balance) and the pages newest first read it backwards
entrySchema.index({ userId: 1, seq: -1 }, { unique: true });

export type LedgerModel = Model<StoredEntry>;

export function ledgerModel(conn: Connection): LedgerModel {
  return (conn.models.LedgerEntry as LedgerModel | undefined) ?? conn.model<StoredEntry>('LedgerEntry', entrySchema);
}

const ENTRY_FIELDS = ['entryId', 'userId', 'kind', 'amountFen', 'cause', 'createdAt', 'balanceAfterFen'] as const;

/** The entry as the contract shows it (no _id, no seq). */
export function toEntry(stored: StoredEntry): LedgerEntry {
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_FIELDS) out[k] = stored[k];
  return out as LedgerEntry;
}

/** Writers racing on one user's tail try again this often before giving up (each loss means another write won). */
const APPEND_ATTEMPTS = 20;

export class LedgerRepository {
  constructor(private readonly Entry: LedgerModel) {}

  async byCause(userId: string, cause: string): Promise<LedgerEntry | undefined> {
    const found = await this.Entry.findOne({ userId, cause }).lean<StoredEntry>();
    return found ? toEntry(found) : undefined;
  }

  private async tail(userId: string): Promise<StoredEntry | undefined> {
    return (await this.Entry.findOne({ userId }).sort({ seq: -1 }).lean<StoredEntry>()) ?? undefined;
  }

  /**
   * Enters `input` at the end of its user's chain, once per cause: when the cause is entered already (before or by
   * a concurrent writer) the stored entry is answered as it is, whatever its amount; the caller compares.
   */
  async enter(input: Omit<EntryInput, 'entryId'>): Promise<LedgerEntry> {
    const entry = await this.append(input, () => input.amountFen);
    return entry!;
  }

  /**
   * Enters a debit whose amount depends on the balance (and on what else the user's chain holds), once per cause:
   * `amountOf` is asked with the balance at the tail and answers the amount (> 0) to debit, or 0 for none; it may
   * throw to refuse. The insert only succeeds right after the tail it was computed on (the unique (userId, seq)), so a
   * concurrent entry makes it compute again: two debits can never both spend the same balance. Undefined: nothing.
   */
  async debit(
    input: Omit<EntryInput, 'entryId' | 'amountFen'>,
    amountOf: (balanceFen: number) => Promise<number> | number,
  ): Promise<LedgerEntry | undefined> {
    return this.append(input, async (balanceFen) => {
      const amountFen = await amountOf(balanceFen);
      return amountFen > 0 ? -amountFen : undefined;
    });
  }

  /** One entry after the tail, once per cause; `signedAmountOf` undefined: nothing to enter. */
  private async append(
    input: Omit<EntryInput, 'entryId' | 'amountFen'>,
    signedAmountOf: (balanceFen: number) => Promise<number | undefined> | number | undefined,
  ): Promise<LedgerEntry | undefined> {
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const entered = await this.byCause(input.userId, input.cause);
      if (entered) return entered;
      const tail: LedgerTail | undefined = await this.tail(input.userId);
      const amountFen = await signedAmountOf(tail?.balanceAfterFen ?? 0);
      if (amountFen === undefined) return undefined;
      const entry = nextEntry(tail, { ...input, amountFen, entryId: new Types.ObjectId().toHexString() });
      try {
        await this.Entry.create(entry);
        return toEntry(entry);
      } catch (err) {
        // the same cause entered meanwhile (found on the next turn), or another entry took this seq: re-read
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new DomainError('UNAVAILABLE', `the ledger of user ${input.userId} is too busy: retry`);
  }

  /** The sum of the amounts of the user's entries whose cause begins with `prefix`. */
  async sumByCausePrefix(userId: string, prefix: string): Promise<number> {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found = await this.Entry.find({ userId, cause: { $regex: `^${escaped}` } }, { _id: 0, amountFen: 1 }).lean<{ amountFen: number }[]>();
    return found.reduce((a, e) => a + e.amountFen, 0);
  }

  /** The newest entry's balance: by the chain, the sum of all the user's entries; 0 without entries. */
  async balance(userId: string): Promise<{ userId: string; balanceFen: number; updatedAt?: number }> {
    const tail = await this.tail(userId);
    return tail ? { userId, balanceFen: tail.balanceAfterFen, updatedAt: tail.createdAt } : { userId, balanceFen: 0 };
  }

  /** A user's entries, newest first. */
  async list(params: { userId: string; pageNum: number; pageSize: number }): Promise<{ items: LedgerEntry[]; total: number }> {
    const { items, total } = await findPage(this.Entry, { userId: params.userId }, params, { seq: -1 });
    return { items: items.map(toEntry), total };
  }
}

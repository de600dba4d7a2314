// Counters that name things (order numbers, bill numbers): durable in a MongoDB collection of the owning service
// (`order_counters`, `bill_counters`; documents {_id: name, seq}), one
// atomic $inc each, so a loss of Redis can never issue a number twice. A counter that does not exist yet starts
// from `seed()` (e.g. the highest number already stored under that name), so a switch from another counter never
// reissues a number either.
import type mongoose from 'mongoose';

interface CounterDoc {
  _id: string;
  seq: number;
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export class MongoCounters {
  constructor(
    private readonly conn: mongoose.Connection,
    /** the owning service's collection (every service shares the namespace's database) */
    private readonly collection: string,
  ) {}

  private coll() {
    if (!this.conn.db) throw new Error('MongoCounters: the connection is not open');
    return this.conn.db.collection<CounterDoc>(this.collection);
  }

  /** The next value of `name` (1, 2, ... or seed()+1, ...). */
  async next(name: string, seed: () => Promise<number> = async () => 0): Promise<number> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const doc = await this.coll().findOneAndUpdate({ _id: name }, { $inc: { seq: 1 } }, { returnDocument: 'after' });
      if (doc) return doc.seq;
      try {
        await this.coll().insertOne({ _id: name, seq: await seed() });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // another process created it first: take the next from it
      }
    }
    throw new Error(`counter ${name} could not be incremented`);
  }
}

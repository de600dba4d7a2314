// Counters that name things (order numbers, bill numbers): durable in a MongoDB collection of the owning service
// (`order_counters`, `bill_counters`; documents {_id: name, seq}), one
// atomic $inc each, so a loss of Redis can never issue a number twice. A counter that does not exist yet starts
// from `seed()` (e.g. the highest number already stored under that name), so a switch from another counter never
// reissues a number either.
import type mongoose from 'mongoose';
import { isDuplicateKey } from './mongo.js';
import { formatIso } from './time.js';

interface CounterDoc {
  _id: string;
  seq: number;
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

/** Where a daily number comes from: `<prefix><YYYYMMDD><6-digit daily sequence>`, e.g. order `20250101000042`, bill `B20250101000042`. */
export interface DailyNumberSource {
  counters: MongoCounters;
  /** the counter of a day is `${counter}:${YYYYMMDD}` (`order-no:20250101`) */
  counter: string;
  /** the documents that carry the numbers, and their field: the seed of a day's counter not stored yet */
  model: mongoose.Model<any>;
  field: string;
  prefix: string;
}

/** `<prefix><YYYYMMDD><6-digit sequence>`: `formatDailyNumber('B', '20250101', 42)` is `B20250101000042`. */
export function formatDailyNumber(prefix: string, localDate: string, seq: number): string {
  return `${prefix}${localDate}${String(seq).padStart(6, '0')}`;
}

/** The next daily number for the day of `nowMs` (station-local date): never a repeat, whatever Redis does. */
export async function nextDailyNumber(source: DailyNumberSource, nowMs: number): Promise<string> {
  const day = formatIso(nowMs).slice(0, 10).replaceAll('-', '');
  const head = `${source.prefix}${day}`;
  const seq = await source.counters.next(`${source.counter}:${day}`, async () => {
    // the highest number already stored for that day (e.g. issued by the counter this one replaced)
    const top = await source.model
      .findOne({ [source.field]: { $regex: `^${head}\\d{6,}$` } }, { [source.field]: 1 })
      .sort({ [source.field]: -1 })
      .lean<Record<string, unknown>>();
    const stored = top?.[source.field];
    return typeof stored === 'string' ? Number(stored.slice(head.length)) : 0;
  });
  return formatDailyNumber(source.prefix, day, seq);
}

// The durable copy of what the scheduler keeps live in Redis (DESIGN "Messaging": Redis is the fast live copy,
// never the only one). MongoDB `station_states`: one document per station {_id: stationId, version, state (JSON),
// recent: the outbox entries of its last RECENT_STEPS writes}, written after every Redis commit and before the
// writer answers, conditional on the version (an older snapshot never overwrites a newer one). MongoDB
// `scheduler_clock`: the clock setting, written on every clock change. After Redis lost its data the station is put
// back from its snapshot (and the recent events are appended to the outbox again: consumers are idempotent, so an
// event the relay had already published is harmless, and one it had not is not lost), and the clock is restored.
import type { ClockState } from '@voltq/kit';
import type { StationState } from '@voltq/scheduling';
import type { Connection } from 'mongoose';
import type { OutboxEntry } from './station-repository.js';

/** How many writes' events a snapshot keeps for a replay after a Redis loss. */
export const RECENT_STEPS = 20;

interface SnapshotDoc {
  _id: string;
  version: number;
  state: string;
  recent: { version: number; entries: string }[];
  savedAt: Date;
}

export interface StationSnapshot {
  state: StationState;
  /** the outbox entries of the last writes, oldest first */
  recent: OutboxEntry[];
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export class DurableStations {
  constructor(private readonly conn: Connection) {}

  private coll() {
    if (!this.conn.db) throw new Error('the scheduler has no MongoDB connection');
    return this.conn.db.collection<SnapshotDoc>('station_states');
  }

  /** Stores the state unless a snapshot at its version or a later one is there. */
  async save(stationId: string, state: StationState, entries: OutboxEntry[]): Promise<void> {
    const step = { version: state.version, entries: JSON.stringify(entries) };
    try {
      await this.coll().updateOne(
        { _id: stationId, version: { $lt: state.version } },
        {
          $set: { version: state.version, state: JSON.stringify(state), savedAt: new Date() },
          $push: { recent: { $each: [step], $slice: -RECENT_STEPS } },
        },
        { upsert: true },
      );
    } catch (err) {
      // the filter missed because a newer snapshot is there: the upsert's insert hits the _id
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async load(stationId: string): Promise<StationSnapshot | null> {
    const doc = await this.coll().findOne({ _id: stationId });
    if (!doc) return null;
    return {
      state: JSON.parse(doc.state) as StationState,
      recent: (doc.recent ?? []).flatMap((r) => JSON.parse(r.entries) as OutboxEntry[]),
    };
  }

  async version(stationId: string): Promise<number> {
    const doc = await this.coll().findOne({ _id: stationId }, { projection: { version: 1 } });
    return doc?.version ?? 0;
  }
}

interface ClockDoc {
  _id: string;
  state: ClockState;
}

export class DurableClock {
  constructor(private readonly conn: Connection) {}

  private coll() {
    if (!this.conn.db) throw new Error('the scheduler has no MongoDB connection');
    return this.conn.db.collection<ClockDoc>('scheduler_clock');
  }

  /** Clock changes are serial (one single-active-consumer queue): the last one written is the setting. */
  async save(state: ClockState): Promise<void> {
    await this.coll().updateOne({ _id: 'clock' }, { $set: { state } }, { upsert: true });
  }

  async load(): Promise<ClockState | null> {
    return (await this.coll().findOne({ _id: 'clock' }))?.state ?? null;
  }
}

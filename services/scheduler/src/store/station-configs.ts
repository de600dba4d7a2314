// Stations in MongoDB `stations` (the durable source of what a station is): what it is on the map (name, address,
// coordinates, kind, status, tariff) and, for a queue station, its configuration; the live state in Redis is
// created from that and `scheduler.configure` updates both. Documents from before stations had names read as queue
// stations named by their id (the default station gets its name and place at the next start).
import { DomainError } from '@voltq/kit';
import type { StationConfig } from '@voltq/contracts';
import { DEFAULT_CONFIG } from '@voltq/scheduling';
import mongoose, { type Connection, type Model } from 'mongoose';
import { DEFAULT_TARIFF_ID, type StationInfo } from '../domain/stations.js';

export const DEFAULT_STATION_ID = 'default';

/**
 * A stored station: its place on the map, for a queue station its configuration (null: walk-up), and its revision
 * (0 when created, one more at each edit: a replica replaces what it knows only by a later one).
 */
export interface StationRecord {
  info: StationInfo;
  config: StationConfig | null;
  revision: number;
}

/** What an operator may edit on a station (never its id or kind). */
export type EditableInfo = Partial<Pick<StationInfo, 'name' | 'address' | 'latitude' | 'longitude' | 'tariffId' | 'status'>>;

type InfoFields = Omit<StationInfo, 'stationId' | 'createdAt' | 'updatedAt'> & { createdAtMs: number };
// updatedAtMs and createdAtMs are the scheduler's clock (manual in tests and demos), not Mongo's own timestamps
export type StationDoc = { stationId: string } & Partial<Omit<StationConfig, 'stationId'>> & Partial<InfoFields>
  & { updatedAtMs?: number; revision?: number; createdAt?: Date; updatedAt?: Date };

const stationSchema = new mongoose.Schema<StationDoc>(
  {
    stationId: { type: String, required: true, unique: true },
    // a queue station's configuration (a walk-up station has none)
    fastPiles: { type: Number },
    slowPiles: { type: Number },
    fastPowerW: { type: Number },
    slowPowerW: { type: Number },
    waitingAreaSize: { type: Number },
    pileQueueLength: { type: Number },
    faultPolicy: { type: String, enum: ['priority', 'time-order'] },
    dispatchMode: { type: String, enum: ['default', 'single-min-total', 'batch-min-total'] },
    timeZone: { type: String },
    // on the map
    name: { type: String },
    address: { type: String },
    latitude: { type: Number },
    longitude: { type: Number },
    kind: { type: String, enum: ['queue', 'walk-up'] },
    status: { type: String, enum: ['offline', 'online', 'maintenance', 'fault'] },
    tariffId: { type: String },
    createdAtMs: { type: Number },
    updatedAtMs: { type: Number },
    revision: { type: Number },
  },
  { collection: 'stations', timestamps: true, versionKey: false },
);

/** DESIGN defaults: 2 fast piles at 30 kW, 3 slow at 10 kW, N = 10, M = 3, priority, default dispatch. */
export function defaultStationConfig(stationId: string = DEFAULT_STATION_ID): StationConfig {
  return {
    stationId,
    fastPiles: DEFAULT_CONFIG.fastPiles,
    slowPiles: DEFAULT_CONFIG.slowPiles,
    fastPowerW: DEFAULT_CONFIG.fastPowerW,
    slowPowerW: DEFAULT_CONFIG.slowPowerW,
    waitingAreaSize: DEFAULT_CONFIG.waitingAreaSize,
    pileQueueLength: DEFAULT_CONFIG.pileQueueLength,
    faultPolicy: DEFAULT_CONFIG.faultPolicy,
    dispatchMode: DEFAULT_CONFIG.dispatchMode,
    timeZone: DEFAULT_CONFIG.timeZone,
  };
}

function configOf(doc: StationDoc): StationConfig | null {
  const { stationId, fastPiles, slowPiles, fastPowerW, slowPowerW, waitingAreaSize, pileQueueLength, faultPolicy,
    dispatchMode, timeZone } = doc;
  if ((doc.kind ?? 'queue') !== 'queue' || fastPiles === undefined || slowPiles === undefined || fastPowerW === undefined
    || slowPowerW === undefined || waitingAreaSize === undefined || pileQueueLength === undefined
    || faultPolicy === undefined || dispatchMode === undefined) return null;
  return {
    stationId, fastPiles, slowPiles, fastPowerW, slowPowerW, waitingAreaSize, pileQueueLength, faultPolicy,
    dispatchMode, ...(timeZone ? { timeZone } : {}),
  };
}

function infoOf(doc: StationDoc): StationInfo {
  const createdAt = doc.createdAtMs ?? doc.createdAt?.getTime() ?? 0;
  return {
    stationId: doc.stationId,
    name: doc.name ?? doc.stationId,
    address: doc.address ?? '',
    latitude: doc.latitude ?? 0,
    longitude: doc.longitude ?? 0,
    kind: doc.kind ?? 'queue',
    status: doc.status ?? 'online',
    tariffId: doc.tariffId ?? DEFAULT_TARIFF_ID,
    createdAt,
    updatedAt: doc.updatedAtMs ?? createdAt,
  };
}

function recordOf(doc: StationDoc): StationRecord {
  return { info: infoOf(doc), config: configOf(doc), revision: doc.revision ?? 0 };
}

function infoFields(info: StationInfo): InfoFields {
  const { name, address, latitude, longitude, kind, status, tariffId, createdAt } = info;
  return { name, address, latitude, longitude, kind, status, tariffId, createdAtMs: createdAt };
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export class StationStore {
  private readonly model: Model<StationDoc>;

  constructor(conn: Connection) {
    this.model = conn.models.Station as Model<StationDoc> | undefined ?? conn.model<StationDoc>('Station', stationSchema);
  }

  /**
   * Creates the default station's document at first start (a queue station at `defaults`' place; a default stored
   * before stations had names gets them); returns the queue stations' configurations.
   */
  async init(defaults: StationInfo): Promise<StationConfig[]> {
    await this.model.init(); // the unique index on stationId
    await this.model.updateOne(
      { stationId: DEFAULT_STATION_ID },
      { $setOnInsert: { ...defaultStationConfig(), ...infoFields(defaults) } },
      { upsert: true },
    );
    await this.model.updateOne({ stationId: DEFAULT_STATION_ID, name: { $exists: false } }, { $set: infoFields(defaults) });
    return this.all();
  }

  /** Every queue station's configuration. */
  async all(): Promise<StationConfig[]> {
    return (await this.records()).flatMap((r) => (r.config ? [r.config] : []));
  }

  /** Every station, by id. */
  async records(): Promise<StationRecord[]> {
    const docs = await this.model.find({}).sort({ stationId: 1 }).lean<StationDoc[]>();
    return docs.map(recordOf);
  }

  async get(stationId: string): Promise<StationRecord | null> {
    const doc = await this.model.findOne({ stationId }).lean<StationDoc>();
    return doc ? recordOf(doc) : null;
  }

  /** Stores a new station (with its configuration if it queues); CONFLICT if the id is taken. */
  async create(info: StationInfo, config: StationConfig | null): Promise<void> {
    try {
      await this.model.create({ ...(config ?? {}), ...infoFields(info), updatedAtMs: info.updatedAt, revision: 0, stationId: info.stationId });
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', `station ${info.stationId} exists already`, { resource: 'station' });
      throw err;
    }
  }

  /**
   * Sets only the fields edited (an edit of other fields through another replica meanwhile stands) and the next
   * revision; the station as stored after, or null when there is none.
   */
  async update(stationId: string, fields: EditableInfo, updatedAtMs: number): Promise<StationRecord | null> {
    const doc = await this.model.findOneAndUpdate(
      { stationId },
      { $set: { ...fields, updatedAtMs }, $inc: { revision: 1 } },
      { returnDocument: 'after' },
    ).lean<StationDoc>();
    return doc ? recordOf(doc) : null;
  }

  async save(config: StationConfig): Promise<void> {
    await this.model.updateOne({ stationId: config.stationId }, { $set: config }, { upsert: true });
  }
}

// Station configuration in MongoDB `stations` (the durable source of what a station is); the live state in
// Redis is created from it and `scheduler.configure` updates both.
import type { StationConfig } from '@voltq/contracts';
import { DEFAULT_CONFIG } from '@voltq/scheduling';
import mongoose, { type Connection, type Model } from 'mongoose';

export const DEFAULT_STATION_ID = 'default';

export type StationDoc = StationConfig & { createdAt?: Date; updatedAt?: Date };

const stationSchema = new mongoose.Schema<StationDoc>(
  {
    stationId: { type: String, required: true, unique: true },
    fastPiles: { type: Number, required: true },
    slowPiles: { type: Number, required: true },
    fastPowerW: { type: Number, required: true },
    slowPowerW: { type: Number, required: true },
    waitingAreaSize: { type: Number, required: true },
    pileQueueLength: { type: Number, required: true },
    faultPolicy: { type: String, required: true, enum: ['priority', 'time-order'] },
    dispatchMode: { type: String, required: true, enum: ['default', 'single-min-total', 'batch-min-total'] },
    timeZone: { type: String },
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

function plain(doc: StationDoc): StationConfig {
  const { stationId, fastPiles, slowPiles, fastPowerW, slowPowerW, waitingAreaSize, pileQueueLength, faultPolicy,
    dispatchMode, timeZone } = doc;
  return {
    stationId, fastPiles, slowPiles, fastPowerW, slowPowerW, waitingAreaSize, pileQueueLength, faultPolicy,
    dispatchMode, ...(timeZone ? { timeZone } : {}),
  };
}

export class StationStore {
  private readonly model: Model<StationDoc>;

  constructor(conn: Connection) {
    this.model = conn.models.Station as Model<StationDoc> | undefined ?? conn.model<StationDoc>('Station', stationSchema);
  }

  /** Creates the default station's document at first start; returns every station's configuration. */
  async init(): Promise<StationConfig[]> {
    await this.model.init(); // the unique index on stationId
    await this.model.updateOne(
      { stationId: DEFAULT_STATION_ID },
      { $setOnInsert: defaultStationConfig() },
      { upsert: true },
    );
    return this.all();
  }

  async all(): Promise<StationConfig[]> {
    const docs = await this.model.find({}).sort({ stationId: 1 }).lean<StationDoc[]>();
    return docs.map(plain);
  }

  async save(config: StationConfig): Promise<void> {
    await this.model.updateOne({ stationId: config.stationId }, { $set: config }, { upsert: true });
  }
}

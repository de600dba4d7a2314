// MongoDB `walkup_sessions`: one document per walk-up session (`_id` = sessionId), carrying its own session.started /
// session.ended in kit's outbox field until the relay published them, so a change and its event are one
// single-document write. Every change is conditional on the document's `version` (two replicas may handle readings
// of one session). `live` is set while the session is starting, charging or stopping: a partial unique index on
// (deviceId, portNo) over live documents means one port never has two sessions.
import { DomainError, isDuplicateKey, outboxEntry, outboxField, type Envelope, type OutboxEntry } from '@voltq/kit';
import type { PortTotals } from '@voltq/contracts';
import mongoose, { type Connection, type Model } from 'mongoose';
import { durationOf, energyOf, LIVE_STATES, type WalkUpRecord } from '../domain/walk-up.js';

type StoredSession = Omit<WalkUpRecord, 'sessionId'> & {
  _id: string;
  live?: boolean;
  /** denormalised for portTotals */
  energyWms: number;
  durationMs: number;
  outbox: OutboxEntry[];
};

const intervalSchema = new mongoose.Schema({ fromMs: Number, toMs: Number, energyWms: Number }, { _id: false });
const stopSchema = new mongoose.Schema({ attempts: Number, sentAt: Number, acked: Boolean, gaveUp: Boolean }, { _id: false });

const sessionSchema = new mongoose.Schema<StoredSession>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true, unique: true },
    orderNo: String,
    userId: { type: String, required: true },
    stationId: { type: String, required: true },
    deviceId: { type: String, required: true },
    pileId: { type: String, required: true },
    pileNo: { type: String, required: true },
    portNo: { type: Number, required: true },
    pileType: { type: Number, required: true },
    ratedPowerW: { type: Number, required: true },
    origin: { type: String, enum: ['app', 'card'], required: true },
    cardId: String,
    chargingMode: { type: Number, required: true },
    paymentMethod: { type: Number, required: true },
    limitFeeFen: Number,
    limitDurationMs: Number,
    limitEnergyWms: Number,
    tariff: { type: mongoose.Schema.Types.Mixed, required: true },
    state: { type: String, enum: ['starting', 'charging', 'stopping', 'ended', 'failed'], required: true },
    live: Boolean,
    startedAt: { type: Number, required: true },
    endedAt: Number,
    meterStartWms: { type: Number, default: null },
    meterWms: { type: Number, default: null },
    readingAt: { type: Number, required: true },
    intervals: { type: [intervalSchema], default: [] },
    powerW: { type: Number, default: 0 },
    voltageV: { type: Number, default: 0 },
    currentA: { type: Number, default: 0 },
    stopReason: Number,
    endReason: String,
    stop: stopSchema,
    pendingMeterWms: Number,
    askedAt: Number,
    energyWms: { type: Number, default: 0 },
    durationMs: { type: Number, default: 0 },
    version: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    // kit outbox: session.started / session.ended, pulled by the relay after the broker confirmed it
    outbox: outboxField as unknown as mongoose.SchemaDefinitionProperty<OutboxEntry[]>,
  },
  { collection: 'walkup_sessions', versionKey: false, minimize: false },
);
// one live session per port (starting ones included, so two starts on a port cannot both be sent)
sessionSchema.index({ deviceId: 1, portNo: 1 }, { unique: true, partialFilterExpression: { live: true } });
sessionSchema.index({ state: 1, 'stop.acked': 1 });
sessionSchema.index({ deviceId: 1, portNo: 1, endedAt: 1 });

export type WalkUpModel = Model<StoredSession>;

export function walkUpModel(conn: Connection): WalkUpModel {
  return (conn.models.WalkUpSession as WalkUpModel | undefined) ?? conn.model<StoredSession>('WalkUpSession', sessionSchema);
}

function toRecord(doc: StoredSession): WalkUpRecord {
  const { _id, live: _live, energyWms: _e, durationMs: _d, outbox: _o, ...rest } = doc as StoredSession & { outboxDead?: unknown };
  delete (rest as { outboxDead?: unknown }).outboxDead;
  const rec = { ...rest, sessionId: _id } as WalkUpRecord;
  for (const k of Object.keys(rec) as (keyof WalkUpRecord)[]) if (rec[k] === undefined) delete rec[k];
  return rec;
}

function stored(rec: WalkUpRecord): Omit<StoredSession, 'outbox' | '_id'> {
  const { sessionId: _s, ...rest } = rec;
  return { ...rest, live: LIVE_STATES.includes(rec.state), energyWms: energyOf(rec), durationMs: durationOf(rec) };
}

export class WalkUpStore {
  constructor(readonly model: WalkUpModel) {}

  async init(): Promise<void> {
    await this.model.init();
  }

  /**
   * A new session (a start about to be sent, or a card session with its session.started): the existing session
   * of the same order when there is one (null: stored); PORT_OCCUPIED when the port has a live session.
   */
  async insert(rec: WalkUpRecord, events: Envelope[] = []): Promise<WalkUpRecord | null> {
    try {
      await this.model.create({ _id: rec.sessionId, ...stored(rec), outbox: events.map((e) => outboxEntry(e)) });
      return null;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const same = (await this.byOrder(rec.orderId)) ?? (await this.byId(rec.sessionId));
      if (same) return same;
      throw new DomainError('PILE_STATE', `port ${rec.portNo} of pile ${rec.pileId} is in use`, { reason: 'PORT_OCCUPIED' });
    }
  }

  /** Writes the session if it is still at `version` (false: someone changed it first), with its events. */
  async save(rec: WalkUpRecord, events: Envelope[] = []): Promise<boolean> {
    const next = { ...rec, version: rec.version + 1 };
    const update: Record<string, unknown> = { $set: stored(next) };
    const unset = (['endedAt', 'stopReason', 'endReason', 'stop', 'pendingMeterWms', 'askedAt'] as const).filter((k) => next[k] === undefined);
    if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((k) => [k, 1]));
    if (events.length > 0) update.$push = { outbox: { $each: events.map((e) => outboxEntry(e)) } };
    const r = await this.model.updateOne({ _id: rec.sessionId, version: rec.version }, update);
    return r.matchedCount === 1;
  }

  /** A start the pile did not take: nothing was recorded (the order may try again). */
  async drop(sessionId: string): Promise<void> {
    await this.model.deleteOne({ _id: sessionId, state: 'starting' });
  }

  /** Starts asked before `askedBefore` (real ms) and never answered (their replica died meanwhile): dropped. */
  async dropStaleStarts(askedBefore: number): Promise<number> {
    return (await this.model.deleteMany({ state: 'starting', askedAt: { $lt: askedBefore } })).deletedCount;
  }

  async byId(sessionId: string): Promise<WalkUpRecord | null> {
    const doc = await this.model.findById(sessionId).lean<StoredSession>();
    return doc ? toRecord(doc) : null;
  }

  async byOrder(orderId: string): Promise<WalkUpRecord | null> {
    const doc = await this.model.findOne({ orderId }).lean<StoredSession>();
    return doc ? toRecord(doc) : null;
  }

  async liveOnPort(deviceId: string, portNo: number): Promise<WalkUpRecord | null> {
    const doc = await this.model.findOne({ deviceId, portNo, live: true }).lean<StoredSession>();
    return doc ? toRecord(doc) : null;
  }

  async liveOfDevice(deviceId: string): Promise<WalkUpRecord[]> {
    return (await this.model.find({ deviceId, live: true }).lean<StoredSession[]>()).map(toRecord);
  }

  /** Stopping sessions whose stop the pile has not acknowledged, last sent before `sentBefore` (real ms). */
  async unackedStops(sentBefore: number): Promise<WalkUpRecord[]> {
    const docs = await this.model.find({
      state: 'stopping', 'stop.acked': false, 'stop.gaveUp': { $ne: true }, 'stop.sentAt': { $lt: sentBefore },
    }).limit(100).lean<StoredSession[]>();
    return docs.map(toRecord);
  }

  /** Per device and port: ended sessions with their summed duration and energy, the live order, the last ended. */
  async portTotals(deviceIds: string[] | undefined): Promise<PortTotals[]> {
    type Row = { _id: { deviceId: string; portNo: number }; sessions: number; durationMs: number; energyWms: number; current: string | null; last: string | null };
    const isEnded = { $eq: ['$state', 'ended'] };
    const rows = await this.model.aggregate<Row>([
      { $match: { state: { $in: ['charging', 'stopping', 'ended'] }, ...(deviceIds ? { deviceId: { $in: deviceIds } } : {}) } },
      // live sessions (no endedAt) first, then the ended ones by their end: the group's last is the latest ended
      { $sort: { endedAt: 1, _id: 1 } },
      {
        $group: {
          _id: { deviceId: '$deviceId', portNo: '$portNo' },
          sessions: { $sum: { $cond: [isEnded, 1, 0] } },
          durationMs: { $sum: { $cond: [isEnded, '$durationMs', 0] } },
          energyWms: { $sum: { $cond: [isEnded, '$energyWms', 0] } },
          current: { $max: { $cond: [isEnded, null, '$orderId'] } },
          last: { $last: { $cond: [isEnded, '$orderId', null] } },
        },
      },
      { $sort: { '_id.deviceId': 1, '_id.portNo': 1 } },
    ]);
    return rows.map((r) => ({
      deviceId: r._id.deviceId,
      portNo: r._id.portNo,
      sessions: r.sessions,
      durationMs: r.durationMs,
      energyWms: r.energyWms,
      ...(r.current ? { currentOrderId: r.current } : {}),
      ...(r.last ? { lastOrderId: r.last } : {}),
    }));
  }
}

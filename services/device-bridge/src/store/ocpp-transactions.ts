// OCPP transactions in MongoDB (owned by device-bridge): `ocpp_transactions` (transactionId from a durable counter,
// unique by StartTransaction's natural key), `ocpp_meter_samples` (unique per sampled value's natural key),
// `ocpp_orphan_stops` (stops of transactions nobody started here, for an operator) and `ocpp_id_tags` (the idTags
// the platform sent in RemoteStartTransaction). A document that announces something carries its envelopes in
// `pending` (written in the same single-document write) until they are in the Redis outbox: a crash between the
// two leaves them there, and the service's recovery pass appends them then (same envelope ids: consumers dedupe).
import mongoose, { Schema } from 'mongoose';
import type { Envelope } from '@voltq/contracts';
import { isDuplicateKey, MongoCounters, outboxField } from '@voltq/kit';
import type { ParsedSample, StoredStop, TxStatus } from '../domain/ocpp-transactions.js';

export interface TransactionDoc {
  _id: number; // the transactionId answered to the charge point
  deviceId: string;
  pileId: string;
  stationId: string;
  pileNo: string;
  connectorId: number;
  idTag: string;
  /** StartTransaction.timestamp (device clock) */
  timestampMs: number;
  /** Wh as sent */
  meterStart: number;
  reservationId?: number;
  status: TxStatus;
  /** whose session: the platform's (an issued idTag), a card's owner, or none (an invalid tag: stopped remotely) */
  origin: 'issued' | 'card' | 'invalid';
  sessionId?: string;
  orderId?: string;
  userId?: string;
  /** clock ms of the latest message of this transaction (the stale-session sweep) */
  lastMessageAt: number;
  /** the latest energy register (device time): where the sweep closes a silent transaction */
  lastMeterWms: number;
  lastMeterAt: number;
  stop?: StoredStop;
  /** stops that came after the first (a charge point's after the sweep closed it, or differing ones): for an operator */
  laterStops?: { meterStop: number; timestampMs: number; reason?: string; receivedAt: number }[];
  pending: Envelope[];
  pendingSince?: number;
  createdAt: number;
}

/** A stored sampledValue: the parsed sample (domain/ocpp-transactions.ts) with its owner and pending events. */
export interface SampleDoc extends ParsedSample {
  deviceId: string;
  /** sampleOwner(): `tx:<id>` or `connector:<n>` */
  owner: string;
  transactionId?: number;
  connectorId: number;
  pending: Envelope[];
  pendingSince?: number;
  receivedAt: number;
}

export interface OrphanStopDoc {
  _id: string; // `<deviceId>:<transactionId>`
  deviceId: string;
  pileId: string;
  transactionId: number;
  meterStop: number;
  timestampMs: number;
  idTag?: string;
  reason?: string;
  /** the message as it came (transactionData included), for an operator */
  request: Record<string, unknown>;
  firstAt: number;
  lastAt: number;
  count: number;
}

export interface IdTagDoc {
  _id: string; // the idTag (CiString20)
  deviceId: string;
  connectorId: number;
  sessionId: string;
  orderId?: string;
  issuedAt: number;
  /** the StartTransaction (its natural key) that used the tag: a tag starts one transaction only */
  usedBy?: string;
  transactionId?: number;
}

export function ocppModels(conn: mongoose.Connection) {
  // kit's outboxField shape (envelopes as stored)
  const pending = outboxField as never;
  const tx = new Schema<TransactionDoc>({
    _id: Number,
    deviceId: { type: String, required: true },
    pileId: { type: String, required: true },
    stationId: String,
    pileNo: String,
    connectorId: { type: Number, required: true },
    idTag: { type: String, required: true },
    timestampMs: { type: Number, required: true },
    meterStart: { type: Number, required: true },
    reservationId: Number,
    status: { type: String, required: true },
    origin: { type: String, required: true },
    sessionId: String,
    orderId: String,
    userId: String,
    lastMessageAt: { type: Number, required: true },
    lastMeterWms: { type: Number, required: true },
    lastMeterAt: { type: Number, required: true },
    stop: Schema.Types.Mixed,
    laterStops: [Schema.Types.Mixed],
    pending,
    pendingSince: Number,
    createdAt: { type: Number, required: true },
  }, { collection: 'ocpp_transactions', versionKey: false });
  tx.index({ deviceId: 1, connectorId: 1, idTag: 1, timestampMs: 1, meterStart: 1 }, { unique: true });
  tx.index({ deviceId: 1, sessionId: 1 }, { sparse: true });
  // open transactions by silence (the stale-session sweep)
  tx.index({ lastMessageAt: 1 }, { partialFilterExpression: { stop: { $exists: false } } });
  tx.index({ pendingSince: 1 }, { sparse: true });

  const sample = new Schema<SampleDoc>({
    deviceId: { type: String, required: true },
    owner: { type: String, required: true },
    transactionId: Number,
    connectorId: { type: Number, required: true },
    timestampMs: { type: Number, required: true },
    measurand: { type: String, required: true },
    phase: { type: String, default: '' },
    context: String,
    unit: String,
    value: String,
    energyWms: Number,
    pending,
    pendingSince: Number,
    receivedAt: { type: Number, required: true },
  }, { collection: 'ocpp_meter_samples', versionKey: false });
  sample.index({ deviceId: 1, owner: 1, timestampMs: 1, measurand: 1, phase: 1 }, { unique: true });
  sample.index({ pendingSince: 1 }, { sparse: true });

  const orphan = new Schema<OrphanStopDoc>({
    _id: String,
    deviceId: { type: String, required: true },
    pileId: String,
    transactionId: Number,
    meterStop: Number,
    timestampMs: Number,
    idTag: String,
    reason: String,
    request: Schema.Types.Mixed,
    firstAt: Number,
    lastAt: Number,
    count: Number,
  }, { collection: 'ocpp_orphan_stops', versionKey: false });

  const tag = new Schema<IdTagDoc>({
    _id: String,
    deviceId: { type: String, required: true },
    connectorId: { type: Number, required: true },
    sessionId: { type: String, required: true },
    orderId: String,
    issuedAt: Number,
    usedBy: String,
    transactionId: Number,
  }, { collection: 'ocpp_id_tags', versionKey: false });
  tag.index({ sessionId: 1 }, { unique: true });

  return {
    Transaction: conn.model<TransactionDoc>('OcppTransaction', tx),
    Sample: conn.model<SampleDoc>('OcppMeterSample', sample),
    OrphanStop: conn.model<OrphanStopDoc>('OcppOrphanStop', orphan),
    IdTag: conn.model<IdTagDoc>('OcppIdTag', tag),
    counters: new MongoCounters(conn, 'ocpp_counters'),
  };
}

export type OcppModels = ReturnType<typeof ocppModels>;

export class OcppTransactionStore {
  constructor(readonly m: OcppModels) {}

  async init(): Promise<void> {
    await Promise.all([this.m.Transaction.init(), this.m.Sample.init(), this.m.OrphanStop.init(), this.m.IdTag.init()]);
  }

  // ---- transactions

  byStartKey(k: { deviceId: string; connectorId: number; idTag: string; timestampMs: number; meterStart: number }): Promise<TransactionDoc | null> {
    return this.m.Transaction.findOne(k).lean<TransactionDoc>();
  }

  byId(deviceId: string, transactionId: number): Promise<TransactionDoc | null> {
    return this.m.Transaction.findOne({ _id: transactionId, deviceId }).lean<TransactionDoc>();
  }

  bySession(deviceId: string, sessionId: string): Promise<TransactionDoc | null> {
    return this.m.Transaction.findOne({ deviceId, sessionId }).lean<TransactionDoc>();
  }

  /** The open transaction on a connector (samples a charge point sent without their transactionId). */
  openOn(deviceId: string, connectorId: number): Promise<TransactionDoc | null> {
    return this.m.Transaction.findOne({ deviceId, connectorId, stop: { $exists: false } }).sort({ timestampMs: -1 }).lean<TransactionDoc>();
  }

  /** A transactionId that survives restarts and never repeats (seeded from the highest stored, should the counter go). */
  nextTransactionId(): Promise<number> {
    return this.m.counters.next('transaction-id', async () => {
      const top = await this.m.Transaction.findOne({}, { _id: 1 }).sort({ _id: -1 }).lean<{ _id: number }>();
      return top?._id ?? 0;
    });
  }

  /** Inserts a start; when its natural key exists (a concurrent repeat), the stored one. */
  async insertStart(doc: TransactionDoc): Promise<{ doc: TransactionDoc; inserted: boolean }> {
    try {
      await this.m.Transaction.create(doc);
      return { doc, inserted: true };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const found = await this.byStartKey(doc);
      if (!found) throw err;
      return { doc: found, inserted: false };
    }
  }

  /** A message of the transaction came (clock ms); with a newer register (device ms), that one is the latest. */
  async touch(transactionId: number, nowMs: number, latest?: { energyWms: number; atMs: number }): Promise<void> {
    await this.m.Transaction.updateOne({ _id: transactionId }, { $max: { lastMessageAt: nowMs } });
    if (latest) {
      await this.m.Transaction.updateOne(
        { _id: transactionId, lastMeterAt: { $lt: latest.atMs } },
        { $set: { lastMeterWms: latest.energyWms, lastMeterAt: latest.atMs } },
      );
    }
  }

  /** The first stop wins: false when the transaction had one already. */
  async stop(transactionId: number, stop: StoredStop, events: Envelope[], nowMs: number): Promise<boolean> {
    const res = await this.m.Transaction.updateOne(
      { _id: transactionId, stop: { $exists: false } },
      { $set: { stop, lastMessageAt: nowMs, ...(events.length ? { pendingSince: nowMs } : {}) }, $push: { pending: { $each: events } } },
    );
    return res.modifiedCount === 1;
  }

  async laterStop(transactionId: number, s: { meterStop: number; timestampMs: number; reason?: string }, nowMs: number): Promise<void> {
    // bounded: a charge point repeating the same stop forever adds nothing after the first few
    await this.m.Transaction.updateOne(
      { _id: transactionId, 'laterStops.9': { $exists: false }, laterStops: { $not: { $elemMatch: { meterStop: s.meterStop, timestampMs: s.timestampMs } } } },
      { $push: { laterStops: { ...s, receivedAt: nowMs } } },
    );
  }

  /** Open transactions silent since `beforeMs` (clock ms) or before. */
  silentSince(beforeMs: number, limit = 100): Promise<TransactionDoc[]> {
    return this.m.Transaction.find({ stop: { $exists: false }, lastMessageAt: { $lte: beforeMs } }).sort({ lastMessageAt: 1 }).limit(limit).lean<TransactionDoc[]>();
  }

  // ---- meter samples

  /** Inserts each sample unless its natural key exists; answers which of them were new (by index). */
  async insertSamples(docs: SampleDoc[]): Promise<Set<number>> {
    if (docs.length === 0) return new Set();
    const res = await this.m.Sample.bulkWrite(
      docs.map((d) => ({
        updateOne: {
          filter: { deviceId: d.deviceId, owner: d.owner, timestampMs: d.timestampMs, measurand: d.measurand, phase: d.phase },
          update: { $setOnInsert: d },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    return new Set(Object.keys(res.upsertedIds).map(Number));
  }

  // ---- pending envelopes

  /** Envelopes now in the outbox: no longer pending on the document. */
  async published(kind: 'tx' | 'sample', filter: Record<string, unknown>, ids: string[]): Promise<void> {
    const model = kind === 'tx' ? this.m.Transaction : this.m.Sample;
    await (model as mongoose.Model<TransactionDoc | SampleDoc>).updateOne(filter, { $pull: { pending: { id: { $in: ids } } } });
    await (model as mongoose.Model<TransactionDoc | SampleDoc>).updateOne({ ...filter, 'pending.0': { $exists: false } }, { $unset: { pendingSince: 1 } });
  }

  /** Documents whose envelopes have waited since before `beforeMs` (a crash between the write and the outbox). */
  async stillPending(beforeMs: number, limit = 100): Promise<{ kind: 'tx' | 'sample'; filter: Record<string, unknown>; pending: Envelope[] }[]> {
    const [txs, samples] = await Promise.all([
      this.m.Transaction.find({ pendingSince: { $lt: beforeMs } }, { pending: 1 }).limit(limit).lean<{ _id: number; pending: Envelope[] }[]>(),
      this.m.Sample.find({ pendingSince: { $lt: beforeMs } }, { pending: 1 }).limit(limit).lean<{ _id: unknown; pending: Envelope[] }[]>(),
    ]);
    return [
      ...txs.map((d) => ({ kind: 'tx' as const, filter: { _id: d._id }, pending: d.pending })),
      ...samples.map((d) => ({ kind: 'sample' as const, filter: { _id: d._id }, pending: d.pending })),
    ];
  }

  // ---- orphan stops

  async keepOrphan(o: Omit<OrphanStopDoc, '_id' | 'firstAt' | 'lastAt' | 'count'>, nowMs: number): Promise<void> {
    const { request, ...rest } = o;
    await this.m.OrphanStop.updateOne(
      { _id: `${o.deviceId}:${o.transactionId}` },
      { $setOnInsert: { ...rest, request, firstAt: nowMs }, $set: { lastAt: nowMs }, $inc: { count: 1 } },
      { upsert: true },
    );
  }

  orphans(deviceId: string): Promise<OrphanStopDoc[]> {
    return this.m.OrphanStop.find({ deviceId }).lean<OrphanStopDoc[]>();
  }

  // ---- issued idTags

  /** The session's idTag, issued once (a repeated issue answers the same tag). */
  async issueTag(tag: IdTagDoc): Promise<IdTagDoc> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.m.IdTag.findOne({ sessionId: tag.sessionId }).lean<IdTagDoc>();
      if (found) return found;
      try {
        await this.m.IdTag.create(tag);
        return tag;
      } catch (err) {
        // the same session at once elsewhere (read it next), or a colliding random tag (another one)
        if (!isDuplicateKey(err)) throw err;
        tag = { ...tag, _id: `${tag._id.slice(0, 19)}${attempt}` };
      }
    }
    throw new Error(`idTag for session ${tag.sessionId} could not be issued`);
  }

  tag(idTag: string, deviceId: string): Promise<IdTagDoc | null> {
    return this.m.IdTag.findOne({ _id: idTag, deviceId }).lean<IdTagDoc>();
  }

  /** Takes the tag for this start (or finds it taken by the same start before); null when another start used it. */
  claimTag(idTag: string, deviceId: string, startKey: string): Promise<IdTagDoc | null> {
    return this.m.IdTag.findOneAndUpdate(
      { _id: idTag, deviceId, $or: [{ usedBy: { $exists: false } }, { usedBy: startKey }] },
      { $set: { usedBy: startKey } },
      { new: true },
    ).lean<IdTagDoc>();
  }

  async tagUsedBy(idTag: string, transactionId: number): Promise<void> {
    await this.m.IdTag.updateOne({ _id: idTag }, { $set: { transactionId } });
  }
}

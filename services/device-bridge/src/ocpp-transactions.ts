// OCPP 1.6J transactions, the service the OCPP door calls (one call at a time per charge point): Authorize,
// StartTransaction, MeterValues, StopTransaction, the idTags of the platform's remote starts, and the stale-session
// sweep. Every message is stored in MongoDB before it is answered (store/ocpp-transactions.ts); its events are
// written into the stored document (`pending`) in the same write, then appended to the bridge's Redis outbox
// through presence (as the JSON doors do, with the port's live telemetry), then cleared. A crash in between leaves
// them pending: the charge point's repeat of the message, or the recovery pass of the sweep, appends them then.
// Event ids are derived from the natural keys, so an event appended twice is one event to its consumers.
import { randomBytes } from 'node:crypto';
import type { Envelope, MessagePayload, MessageType } from '@voltq/contracts';
import { WMS_PER_WH } from '@voltq/contracts';
import type { Logger } from '@voltq/kit';
import type mongoose from 'mongoose';
import {
  cardSessionId, eventId, isStale, issuedIdTag, parseMeterValues, parseTimestamp, sampleOwner, startKey, stopAnswer,
  stopDecision, stopReasonOf, whToWms, ENERGY_MEASURAND, type StoredStop, type TxStatus,
} from './domain/ocpp-transactions.js';
import { ocppModels, OcppTransactionStore, type SampleDoc, type TransactionDoc } from './store/ocpp-transactions.js';
import type { Presence } from './store/presence.js';

// ---- the interface between the OCPP door and this service (notes/OCPP.md)

export interface OcppChargePoint { deviceId: string; pileId: string; stationId: string; pileNo: string; ports: number }
export interface OcppTransactions {
  authorize(cp: OcppChargePoint, idTag: string): Promise<{ idTagInfo: { status: 'Accepted' | 'Invalid' } }>;
  startTransaction(cp: OcppChargePoint, req: { connectorId: number; idTag: string; meterStart: number; timestamp: string; reservationId?: number }):
    Promise<{ transactionId: number; idTagInfo: { status: 'Accepted' | 'Invalid' } }>;
  meterValues(cp: OcppChargePoint, req: { connectorId: number; transactionId?: number; meterValue: unknown[] }): Promise<Record<string, never>>;
  stopTransaction(cp: OcppChargePoint, req: { transactionId: number; meterStop: number; timestamp: string; idTag?: string; reason?: string; transactionData?: unknown[] }):
    Promise<{ idTagInfo?: { status: 'Accepted' | 'Invalid' } }>;
  issueIdTag(cp: OcppChargePoint, start: { connectorId: number; sessionId: string; orderId?: string }): Promise<string>;
  transactionOf(cp: OcppChargePoint, sessionId: string): Promise<number | undefined>;
}

export interface OcppTransactionDeps {
  store: OcppTransactionStore;
  presence: Pick<Presence, 'announce' | 'recordPortMeter' | 'startPortSession' | 'stopPortSession'>;
  /** kit's bus.envelope (validated), with the deterministic id */
  envelope<K extends MessageType>(type: K, payload: MessagePayload<K>, opts: { id: string }): Envelope<K>;
  /** the user holding a card (auth.cardOwner); undefined when no user does; throws when it cannot tell now */
  cardOwner(cardId: string): Promise<string | undefined>;
  /** clock ms: when messages came (the stale-session sweep) */
  now(): number;
  log: Logger;
  /** an open transaction silent this long (clock ms) is closed at its last reading */
  staleSessionMs: number;
  /** how often the sweep runs (real ms); default min(staleSessionMs / 4, 60 s) */
  sweepIntervalMs?: number;
  /** pending envelopes older than this (clock ms) are appended by the recovery pass; default 10 s */
  recoverAfterMs?: number;
}

/** contracts' CardId: what auth.cardOwner accepts */
const CARD_ID = /^[\x21-\x7E]{1,20}$/;

const refOf = (cp: OcppChargePoint) => ({ pileId: cp.pileId, deviceId: cp.deviceId, stationId: cp.stationId, pileNo: cp.pileNo });

export class OcppTransactionService implements OcppTransactions {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;

  constructor(private readonly deps: OcppTransactionDeps) {}

  // ------------------------------------------------------------ Authorize

  async authorize(cp: OcppChargePoint, idTag: string): Promise<{ idTagInfo: { status: TxStatus } }> {
    const tag = await this.deps.store.tag(idTag, cp.deviceId);
    if (tag) {
      // an issued tag authorizes its one transaction: before it started, or while it runs
      let ok = tag.transactionId === undefined;
      if (!ok) ok = !(await this.deps.store.byId(cp.deviceId, tag.transactionId!))?.stop;
      return { idTagInfo: { status: ok ? 'Accepted' : 'Invalid' } };
    }
    const userId = CARD_ID.test(idTag) ? await this.deps.cardOwner(idTag) : undefined;
    return { idTagInfo: { status: userId !== undefined ? 'Accepted' : 'Invalid' } };
  }

  // ------------------------------------------------------------ StartTransaction

  async startTransaction(cp: OcppChargePoint, req: { connectorId: number; idTag: string; meterStart: number; timestamp: string; reservationId?: number }) {
    const { store, log } = this.deps;
    const nowMs = this.deps.now();
    const timestampMs = parseTimestamp(req.timestamp) ?? nowMs;
    const key = { deviceId: cp.deviceId, connectorId: req.connectorId, idTag: req.idTag, timestampMs, meterStart: req.meterStart };
    const repeat = await store.byStartKey(key);
    if (repeat) {
      // the charge point did not get the answer (or sent it twice): the same transaction, nothing new
      await this.flush('tx', { _id: repeat._id }, repeat.pending);
      await store.touch(repeat._id, nowMs);
      return { transactionId: repeat._id, idTagInfo: { status: repeat.status } };
    }

    const portOk = Number.isInteger(req.connectorId) && req.connectorId >= 1 && req.connectorId <= Math.min(cp.ports, 64);
    const meterOk = Number.isSafeInteger(req.meterStart) && req.meterStart >= 0;
    let who: { origin: 'issued'; sessionId: string; orderId?: string } | { origin: 'card'; userId: string } | { origin: 'invalid'; why: string };
    const tag = await store.tag(req.idTag, cp.deviceId);
    if (!portOk || !meterOk) who = { origin: 'invalid', why: !portOk ? `connector ${req.connectorId} is not a port of the pile` : `meterStart ${req.meterStart} is not a register` };
    else if (tag) {
      const claimed = tag.connectorId === req.connectorId ? await store.claimTag(req.idTag, cp.deviceId, startKey(key)) : null;
      who = claimed
        ? { origin: 'issued', sessionId: claimed.sessionId, ...(claimed.orderId ? { orderId: claimed.orderId } : {}) }
        : { origin: 'invalid', why: tag.connectorId !== req.connectorId ? `issued idTag is for connector ${tag.connectorId}` : 'issued idTag already used' };
    } else {
      const userId = CARD_ID.test(req.idTag) ? await this.deps.cardOwner(req.idTag) : undefined;
      who = userId !== undefined ? { origin: 'card', userId } : { origin: 'invalid', why: 'unknown idTag' };
    }

    const transactionId = await store.nextTransactionId();
    const meterStartWms = meterOk ? whToWms(req.meterStart) : 0;
    const ref = refOf(cp);
    const sessionId = who.origin === 'issued' ? who.sessionId : who.origin === 'card' ? cardSessionId(cp.deviceId, transactionId) : undefined;
    const events: Envelope[] = [];
    if (who.origin === 'issued') {
      // the platform's session exists (the order's): its start register, at the device's start time
      events.push(this.deps.envelope('device.meter', { ...ref, portNo: req.connectorId, sessionId: who.sessionId, meterWms: meterStartWms, at: timestampMs }, { id: eventId('start-meter', startKey(key)) }));
    } else if (who.origin === 'card') {
      events.push(this.deps.envelope('device.session-started', {
        ...ref, portNo: req.connectorId, sessionId: sessionId!, cardId: req.idTag, userId: who.userId, meterStartWms, at: timestampMs,
      }, { id: eventId('start', startKey(key)) }));
    }
    const status: TxStatus = who.origin === 'invalid' ? 'Invalid' : 'Accepted';
    const doc: TransactionDoc = {
      _id: transactionId,
      deviceId: cp.deviceId,
      pileId: cp.pileId,
      stationId: cp.stationId,
      pileNo: cp.pileNo,
      connectorId: req.connectorId,
      idTag: req.idTag,
      timestampMs,
      meterStart: req.meterStart,
      ...(req.reservationId !== undefined ? { reservationId: req.reservationId } : {}),
      status,
      origin: who.origin,
      ...(sessionId ? { sessionId } : {}),
      ...(who.origin === 'issued' && who.orderId ? { orderId: who.orderId } : {}),
      ...(who.origin === 'card' ? { userId: who.userId } : {}),
      lastMessageAt: nowMs,
      lastMeterWms: meterStartWms,
      lastMeterAt: timestampMs,
      pending: events,
      ...(events.length ? { pendingSince: nowMs } : {}),
      createdAt: nowMs,
    };
    const { doc: stored, inserted } = await store.insertStart(doc);
    if (inserted && who.origin === 'issued') await store.tagUsedBy(req.idTag, transactionId);
    await this.flush('tx', { _id: stored._id }, stored.pending);
    if (inserted) {
      if (who.origin === 'invalid') log.warn({ deviceId: cp.deviceId, connectorId: req.connectorId, transactionId, why: who.why }, 'OCPP transaction with an invalid idTag: recorded, to be stopped');
      else log.info({ deviceId: cp.deviceId, connectorId: req.connectorId, transactionId, sessionId, origin: who.origin }, 'OCPP transaction started');
    }
    return { transactionId: stored._id, idTagInfo: { status: stored.status } };
  }

  // ------------------------------------------------------------ MeterValues

  async meterValues(cp: OcppChargePoint, req: { connectorId: number; transactionId?: number; meterValue: unknown[] }): Promise<Record<string, never>> {
    await this.meter(cp, req.connectorId, req.transactionId, req.meterValue);
    return {};
  }

  private async meter(cp: OcppChargePoint, connectorId: number, transactionId: number | undefined, meterValue: unknown[], knownTx?: TransactionDoc): Promise<void> {
    const { store, log } = this.deps;
    const nowMs = this.deps.now();
    const parsed = parseMeterValues(Array.isArray(meterValue) ? meterValue : []);
    if (parsed.skipped.length) log.debug({ deviceId: cp.deviceId, skipped: parsed.skipped.slice(0, 5) }, 'MeterValues: values not read');
    // samples without their transactionId belong to the connector's open transaction, if any (for its events)
    const tx = knownTx
      ?? (transactionId !== undefined ? await store.byId(cp.deviceId, transactionId) : connectorId >= 1 ? await store.openOn(cp.deviceId, connectorId) : null);
    if (transactionId !== undefined && !tx) log.warn({ deviceId: cp.deviceId, transactionId }, 'MeterValues of an unknown transaction: stored, announced to nobody');
    const owner = sampleOwner(transactionId, connectorId);
    const announce = tx?.status === 'Accepted' && tx.sessionId !== undefined && tx.connectorId === connectorId;

    const docs: SampleDoc[] = parsed.samples.map((s) => ({
      deviceId: cp.deviceId, owner, ...(tx ? { transactionId: tx._id } : {}), connectorId,
      timestampMs: s.timestampMs, measurand: s.measurand, phase: s.phase, context: s.context, unit: s.unit, value: s.value,
      ...(s.energyWms !== undefined ? { energyWms: s.energyWms } : {}), pending: [], receivedAt: nowMs,
    }));
    if (announce) {
      for (const r of parsed.readings) {
        // the event rides on the reading's first energy sample: new sample, new event
        const carrier = docs.find((d) => d.timestampMs === r.timestampMs && d.measurand === ENERGY_MEASURAND && d.energyWms !== undefined);
        if (!carrier) continue;
        carrier.pending = [this.deps.envelope('device.meter', {
          ...refOf(cp), portNo: connectorId, sessionId: tx.sessionId!, meterWms: r.energyWms,
          ...(r.powerW !== undefined ? { powerW: r.powerW } : {}),
          ...(r.voltageV !== undefined ? { voltageV: r.voltageV } : {}),
          ...(r.currentA !== undefined ? { currentA: r.currentA } : {}),
          ...(r.temperatureC !== undefined ? { temperatureC: r.temperatureC } : {}),
          at: r.timestampMs,
        }, { id: eventId('meter', cp.deviceId, owner, r.timestampMs) })];
        carrier.pendingSince = nowMs;
      }
    }
    const fresh = await store.insertSamples(docs);
    for (const i of fresh) {
      const d = docs[i]!;
      if (d.pending.length) {
        await this.flush('sample', { deviceId: d.deviceId, owner: d.owner, timestampMs: d.timestampMs, measurand: d.measurand, phase: d.phase }, d.pending);
      }
    }
    if (tx) {
      const latest = parsed.readings[parsed.readings.length - 1];
      await store.touch(tx._id, nowMs, latest ? { energyWms: latest.energyWms, atMs: latest.timestampMs } : undefined);
    }
  }

  // ------------------------------------------------------------ StopTransaction

  async stopTransaction(cp: OcppChargePoint, req: { transactionId: number; meterStop: number; timestamp: string; idTag?: string; reason?: string; transactionData?: unknown[] }) {
    const { store, log } = this.deps;
    const nowMs = this.deps.now();
    const timestampMs = parseTimestamp(req.timestamp) ?? nowMs;
    const tx = await store.byId(cp.deviceId, req.transactionId);
    if (!tx) {
      // never refused: answered, and kept for an operator (a retry updates the same record)
      await store.keepOrphan({
        deviceId: cp.deviceId, pileId: cp.pileId, transactionId: req.transactionId, meterStop: req.meterStop, timestampMs,
        ...(req.idTag !== undefined ? { idTag: req.idTag } : {}), ...(req.reason !== undefined ? { reason: req.reason } : {}),
        request: req as unknown as Record<string, unknown>,
      }, nowMs);
      log.warn({ deviceId: cp.deviceId, transactionId: req.transactionId }, 'StopTransaction of an unknown transaction: answered and kept aside');
      return stopAnswer(null, req.idTag);
    }
    // the meter values the charge point gathered during the transaction, stored as MeterValues would be
    if (Array.isArray(req.transactionData) && req.transactionData.length) await this.meter(cp, tx.connectorId, tx._id, req.transactionData, tx);

    const decision = stopDecision(tx, { meterStop: req.meterStop, timestampMs });
    if (decision.kind === 'first') {
      const meterOk = Number.isSafeInteger(req.meterStop) && req.meterStop >= 0;
      const current = (await store.byId(cp.deviceId, tx._id)) ?? tx;
      // a register the charge point could not give is the last reading (a stop is never refused)
      const meterStopWms = meterOk ? whToWms(req.meterStop) : current.lastMeterWms;
      const stop: StoredStop = { meterStop: req.meterStop, meterStopWms, timestampMs, reason: stopReasonOf(req.reason), by: 'charge-point' };
      const events = this.stopEvents(cp, tx, stop);
      if (await store.stop(tx._id, stop, events, nowMs)) {
        log.info({ deviceId: cp.deviceId, transactionId: tx._id, sessionId: tx.sessionId, reason: req.reason ?? 'Local' }, 'OCPP transaction stopped');
      }
    } else if (decision.kind === 'repeat' && decision.keepAside) {
      log.warn({ deviceId: cp.deviceId, transactionId: tx._id, first: tx.stop }, 'another StopTransaction of a stopped transaction: the first stands, this one kept aside');
      await store.laterStop(tx._id, { meterStop: req.meterStop, timestampMs, ...(req.reason !== undefined ? { reason: req.reason } : {}) }, nowMs);
    }
    const after = await store.byId(cp.deviceId, tx._id);
    if (after) await this.flush('tx', { _id: after._id }, after.pending);
    return stopAnswer(tx, req.idTag);
  }

  private stopEvents(cp: OcppChargePoint, tx: TransactionDoc, stop: StoredStop): Envelope[] {
    if (tx.status !== 'Accepted' || !tx.sessionId) return [];
    return [this.deps.envelope('device.session-stopped', {
      ...refOf(cp), portNo: tx.connectorId, sessionId: tx.sessionId, meterStopWms: stop.meterStopWms, reason: stop.reason, at: stop.timestampMs,
    }, { id: eventId('stop', tx.deviceId, tx._id) })];
  }

  // ------------------------------------------------------------ the platform's remote starts

  async issueIdTag(cp: OcppChargePoint, start: { connectorId: number; sessionId: string; orderId?: string }): Promise<string> {
    const tag = await this.deps.store.issueTag({
      _id: issuedIdTag(randomBytes(9)),
      deviceId: cp.deviceId,
      connectorId: start.connectorId,
      sessionId: start.sessionId,
      ...(start.orderId ? { orderId: start.orderId } : {}),
      issuedAt: this.deps.now(),
    });
    return tag._id;
  }

  async transactionOf(cp: OcppChargePoint, sessionId: string): Promise<number | undefined> {
    return (await this.deps.store.bySession(cp.deviceId, sessionId))?._id;
  }

  // ------------------------------------------------------------ publishing

  /**
   * Appends a document's pending envelopes to the outbox, then clears them. Each through the presence write that
   * also keeps the port's live state (the JSON doors' way), so device.get shows the OCPP port as it is.
   */
  private async flush(kind: 'tx' | 'sample', filter: Record<string, unknown>, pending: Envelope[], recovering = false): Promise<void> {
    if (!pending.length) return;
    const { presence } = this.deps;
    for (const env of pending) {
      if (recovering) {
        // late: the live state has moved on since; only the event
        await presence.announce(env);
      } else if (env.type === 'device.meter') {
        const m = env.payload as MessagePayload<'device.meter'>;
        await presence.recordPortMeter(m.pileId, m.portNo, {
          energyWms: m.meterWms,
          ...(m.sessionId !== undefined ? { sessionId: m.sessionId } : {}),
          ...(m.powerW !== undefined ? { powerW: m.powerW } : {}),
          ...(m.voltageV !== undefined ? { voltageV: m.voltageV } : {}),
          ...(m.currentA !== undefined ? { currentA: m.currentA } : {}),
          ...(m.temperatureC !== undefined ? { temperatureC: m.temperatureC } : {}),
        }, m.at, env as Envelope<'device.meter'>);
      } else if (env.type === 'device.session-started') {
        const s = env.payload as MessagePayload<'device.session-started'>;
        await presence.startPortSession(s.pileId, s.portNo, { sessionId: s.sessionId, startWms: s.meterStartWms, cardId: s.cardId }, s.at, env);
      } else if (env.type === 'device.session-stopped') {
        const s = env.payload as MessagePayload<'device.session-stopped'>;
        // false: this stop was appended before (a crash after the outbox, before the clear): not again
        await presence.stopPortSession(s.pileId, s.portNo, s.sessionId, s.meterStopWms, s.at, env as Envelope<'device.session-stopped'>);
      } else {
        await presence.announce(env);
      }
    }
    await this.deps.store.published(kind, filter, pending.map((e) => e.id));
  }

  // ------------------------------------------------------------ the sweep

  start(): void {
    const every = this.deps.sweepIntervalMs ?? Math.max(1000, Math.min(Math.floor(this.deps.staleSessionMs / 4), 60_000));
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'OCPP transaction sweep failed'))
        .finally(() => { this.sweeping = undefined; });
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /**
   * One pass: envelopes left pending by a crash are appended; transactions silent for staleSessionMs are closed at
   * their last reading (device.session-stopped, reason other) and logged. Answers what it did.
   */
  async sweep(): Promise<{ recovered: number; closed: number }> {
    const { store, log, staleSessionMs } = this.deps;
    const nowMs = this.deps.now();
    let recovered = 0;
    for (const doc of await store.stillPending(nowMs - (this.deps.recoverAfterMs ?? 10_000))) {
      await this.flush(doc.kind, doc.filter, doc.pending, true);
      recovered += doc.pending.length;
    }
    if (recovered) log.warn({ recovered }, 'OCPP events left pending (a crash before the outbox): appended now');
    let closed = 0;
    for (const tx of await store.silentSince(nowMs - staleSessionMs)) {
      if (!isStale(tx, nowMs, staleSessionMs)) continue;
      const stop: StoredStop = {
        meterStop: Math.floor(tx.lastMeterWms / WMS_PER_WH), meterStopWms: tx.lastMeterWms, timestampMs: tx.lastMeterAt, reason: 'other', by: 'sweep',
      };
      const cp = { deviceId: tx.deviceId, pileId: tx.pileId, stationId: tx.stationId, pileNo: tx.pileNo, ports: 64 };
      const events = this.stopEvents(cp, tx, stop);
      if (!(await store.stop(tx._id, stop, events, nowMs))) continue;
      closed++;
      log.warn({ deviceId: tx.deviceId, transactionId: tx._id, sessionId: tx.sessionId, silentMs: nowMs - tx.lastMessageAt, meterStopWms: tx.lastMeterWms, at: tx.lastMeterAt },
        'OCPP transaction without a stop: closed at its last reading');
      await this.flush('tx', { _id: tx._id }, events);
    }
    return { recovered, closed };
  }
}

export interface CreateOcppTransactionsOptions extends Omit<OcppTransactionDeps, 'store' | 'envelope'> {
  /** device-bridge's MongoDB connection (ctx.mongo) */
  mongo: mongoose.Connection;
  /** kit's Bus (ctx.bus): envelopes */
  bus: { envelope<K extends MessageType>(type: K, payload: MessagePayload<K>, opts?: { id?: string }): Envelope<K> };
}

/**
 * The service for the OCPP door's wiring (main.ts): models and indexes made, not started (call start() for the
 * sweep, and stop() on shutdown).
 */
export async function createOcppTransactions(opts: CreateOcppTransactionsOptions): Promise<OcppTransactionService> {
  const { mongo, bus, ...rest } = opts;
  const store = new OcppTransactionStore(ocppModels(mongo));
  await store.init();
  return new OcppTransactionService({ ...rest, store, envelope: (type, payload, o) => bus.envelope(type, payload, o) });
}

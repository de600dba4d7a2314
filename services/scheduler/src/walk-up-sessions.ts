// Walk-up sessions, the service: starts and stops through the device-bridge (`device.command`, every command
// acknowledged by the pile or failing visibly), the port reports it consumes (meter readings, card starts, stops,
// faults), the conditional writes to `walkup_sessions` with their session.started / session.ended, and the sweep
// that re-sends stops the pile did not acknowledge. The rules are rules.ts's.
import { randomUUID } from 'node:crypto';
import type { DeviceView, Envelope, MessagePayload, MessageType, RpcParams, StationView, WalkUpSessionView } from '@voltq/contracts';
import { DomainError, isDomainError, type Logger } from '@voltq/kit';
import {
  applyReading, ended, limitRefusal, limitsOf, portRefusal, startedPayload, endedPayload, stopReasonOnStopped, STOP, tariffSnapshot,
  viewOf, withFinalRegister, type Refusal, type StopReason, type WalkUpMode, type WalkUpRecord,
} from './domain/walk-up.js';
import type { WalkUpStore } from './store/walk-up-sessions.js';
import type { TariffBook } from './walk-up-tariffs.js';

export interface WalkUpTiming {
  /** how long the pile has to answer a start or stop (device.command's timeoutMs) */
  commandTimeoutMs: number;
  /** an unacknowledged stop is sent again after this long (real ms), at most stopAttempts times in all */
  stopRetryMs: number;
  stopAttempts: number;
  /** how long stopWalkUp waits for the pile to report the end */
  stopWaitMs: number;
}

export interface WalkUpDeps {
  store: WalkUpStore;
  tariffs: TariffBook;
  device: {
    get: (deviceId: string) => Promise<DeviceView>;
    command: (params: RpcParams<'device.command'>, correlationId: string) => Promise<{ accepted: boolean; meterWms?: number; at: number }>;
  };
  /** the station as the catalog knows it (NOT_FOUND otherwise) */
  station: (stationId: string) => Promise<StationView>;
  /** an envelope stamped at `atMs` on the shared clock */
  envelope: <K extends MessageType>(type: K, payload: MessagePayload<K>, correlationId: string, atMs: number) => Envelope<K>;
  /** the outbox relay: publish now */
  kick: () => void;
  now: () => number;
  realNow: () => number;
  log: Logger;
  timing: WalkUpTiming;
}

type Change = { record: WalkUpRecord; events?: Envelope[] } | null;

const CONFLICT_RETRIES = 20;
const POLL_MS = 50;

function refusalError(r: Refusal): DomainError {
  return new DomainError(r.code, r.message, r.details);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WalkUpSessions {
  private readonly unknownStops = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly deps: WalkUpDeps) {}

  // ------------------------------------------------------------ RPC

  async start(p: RpcParams<'scheduler.startWalkUp'>, correlationId: string): Promise<WalkUpSessionView> {
    const { store, log } = this.deps;
    const existing = await store.byOrder(p.orderId);
    if (existing) return this.answerRepeat(existing, p.userId);
    const limits = { limitFeeFen: p.limitFeeFen, limitDurationMs: p.limitDurationMs, limitEnergyWms: p.limitEnergyWms };
    const bad = limitRefusal(p.chargingMode, limits);
    if (bad) throw refusalError(bad);

    const device = await this.deps.device.get(p.deviceId);
    const station = await this.walkUpStation(device.stationId);
    const refused = portRefusal(device, p.portNo);
    if (refused) throw refusalError(refused);
    const doc = await this.deps.tariffs.get(station.tariffId);

    const now = this.deps.now();
    const rec: WalkUpRecord = {
      sessionId: randomUUID(),
      orderId: p.orderId,
      ...(p.orderNo !== undefined ? { orderNo: p.orderNo } : {}),
      userId: p.userId,
      stationId: device.stationId,
      deviceId: device.deviceId,
      pileId: device.pileId,
      pileNo: device.pileNo,
      portNo: p.portNo,
      pileType: device.pileType,
      ratedPowerW: device.powerW,
      origin: 'app',
      chargingMode: p.chargingMode,
      paymentMethod: p.paymentMethod,
      ...limitsOf(p.chargingMode, limits),
      tariff: tariffSnapshot(doc, now, device.pileType),
      state: 'starting',
      startedAt: 0,
      meterStartWms: null,
      meterWms: null,
      readingAt: 0,
      intervals: [],
      powerW: 0,
      voltageV: 0,
      currentA: 0,
      askedAt: this.deps.realNow(),
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    // stored before the command goes out: a second start on the port (or of the order) finds it, and a reading
    // that comes before the pile's answer is not taken for an unknown session
    const raced = await store.insert(rec);
    if (raced) return this.answerRepeat(raced, p.userId);

    let answer: { accepted: boolean; meterWms?: number; at: number };
    try {
      answer = await this.deps.device.command({
        deviceId: rec.deviceId,
        control: {
          command: 'start', portNo: rec.portNo, sessionId: rec.sessionId, orderId: rec.orderId,
          ...(rec.limitEnergyWms !== undefined ? { targetEnergyWms: rec.limitEnergyWms } : {}),
        },
        timeoutMs: this.deps.timing.commandTimeoutMs,
      }, correlationId);
    } catch (err) {
      // no session: a pile that started anyway reports readings of an unknown session and is told to stop
      await store.drop(rec.sessionId);
      throw pileCommandError(err);
    }
    if (!answer.accepted) {
      await store.drop(rec.sessionId);
      throw new DomainError('PILE_STATE', `pile ${rec.pileId} refused to start port ${rec.portNo}`, { reason: 'START_REFUSED' });
    }
    const started = await this.change(rec.sessionId, (cur) => {
      if (cur.state !== 'starting') return null;
      const meterStartWms = answer.meterWms ?? cur.pendingMeterWms ?? null;
      const { pendingMeterWms: _p, askedAt: _a, ...rest } = cur;
      const record: WalkUpRecord = {
        ...rest, state: 'charging', startedAt: answer.at, readingAt: answer.at, meterStartWms, meterWms: meterStartWms,
        tariff: tariffSnapshot(doc, answer.at, cur.pileType), updatedAt: this.deps.now(),
      };
      return { record, events: [this.deps.envelope('session.started', startedPayload(record), correlationId, answer.at)] };
    });
    log.info({ sessionId: rec.sessionId, orderId: rec.orderId, deviceId: rec.deviceId, portNo: rec.portNo }, 'walk-up session started');
    return viewOf(started ?? (await this.mustGet(rec.sessionId)));
  }

  async stop(p: RpcParams<'scheduler.stopWalkUp'>, correlationId: string): Promise<WalkUpSessionView> {
    let rec = await this.owned(p.orderId, p.userId);
    if (rec.state === 'charging') {
      const reason = p.stopReason as StopReason;
      const marked = await this.change(rec.sessionId, (cur) => cur.state !== 'charging' ? null : {
        record: { ...cur, state: 'stopping', stopReason: reason, stop: { attempts: 1, sentAt: this.deps.realNow(), acked: false }, updatedAt: this.deps.now() },
      });
      if (marked) {
        try {
          const answer = await this.sendStop(marked, correlationId);
          if (!answer.accepted) throw new DomainError('PILE_STATE', `pile ${rec.pileId} refused to stop port ${rec.portNo}`, { reason: 'PILE_REFUSED' });
          await this.change(rec.sessionId, (cur) => cur.state !== 'stopping' || !cur.stop ? null : { record: { ...cur, stop: { ...cur.stop, acked: true } } });
        } catch (err) {
          // the pile did not take the stop: the session charges on, as it was
          await this.change(rec.sessionId, (cur) => cur.state !== 'stopping' || cur.stopReason !== reason || cur.stop?.acked !== false ? null : {
            record: (({ stopReason: _r, stop: _s, ...rest }) => ({ ...rest, state: 'charging' as const }))(cur),
          });
          throw pileCommandError(err);
        }
      }
    }
    rec = await this.mustGet(rec.sessionId);
    const until = Date.now() + this.deps.timing.stopWaitMs;
    while (rec.state === 'stopping' && Date.now() < until) {
      await sleep(POLL_MS);
      rec = await this.mustGet(rec.sessionId);
    }
    return viewOf(rec);
  }

  async session(p: RpcParams<'scheduler.walkUpSession'>): Promise<WalkUpSessionView> {
    return viewOf(await this.owned(p.orderId, p.userId));
  }

  portTotals(p: RpcParams<'scheduler.portTotals'>) {
    return this.deps.store.portTotals(p.deviceIds);
  }

  // ------------------------------------------------------------ port reports

  async onMeter(m: MessagePayload<'device.meter'>, correlationId: string): Promise<void> {
    const { store, log } = this.deps;
    const deviceId = deviceOf(m);
    const rec = m.sessionId !== undefined ? await store.byId(m.sessionId) : await store.liveOnPort(deviceId, m.portNo);
    if (!rec) {
      if (m.sessionId !== undefined) this.stopUnknown(deviceId, m.portNo, m.sessionId, correlationId);
      return;
    }
    if (rec.deviceId !== deviceId || rec.portNo !== m.portNo) {
      log.warn({ sessionId: rec.sessionId, deviceId, portNo: m.portNo }, 'meter reading of another port: ignored');
      return;
    }
    const hit: { reached: StopReason | null } = { reached: null };
    const changed = await this.change(rec.sessionId, (cur) => {
      if (cur.state === 'starting') {
        return cur.pendingMeterWms === undefined ? { record: { ...cur, pendingMeterWms: m.meterWms } } : null;
      }
      const outcome = applyReading(cur, m);
      if (!outcome.applied) {
        log.debug({ sessionId: cur.sessionId, why: outcome.why }, 'meter reading ignored');
        return null;
      }
      const reached = cur.state === 'charging' ? outcome.reached : null;
      hit.reached = reached;
      const record: WalkUpRecord = reached === null ? outcome.record : {
        ...outcome.record, state: 'stopping', stopReason: reached, stop: { attempts: 0, sentAt: 0, acked: false },
      };
      return { record: { ...record, updatedAt: this.deps.now() } };
    });
    if (changed && hit.reached !== null) {
      log.info({ sessionId: changed.sessionId, stopReason: hit.reached }, 'walk-up condition reached: stopping');
      void this.resendStop(changed.sessionId, correlationId);
    }
  }

  async onStopped(m: MessagePayload<'device.session-stopped'>, correlationId: string): Promise<void> {
    const { store, log } = this.deps;
    const rec = await store.byId(m.sessionId);
    if (!rec) {
      log.warn({ sessionId: m.sessionId, deviceId: m.pileId }, 'a session the platform does not know stopped: ignored');
      return;
    }
    if (rec.deviceId !== deviceOf(m) || rec.portNo !== m.portNo) {
      log.warn({ sessionId: rec.sessionId, deviceId: deviceOf(m), portNo: m.portNo }, 'session stop reported by another port: ignored');
      return;
    }
    // before the start was recorded: try again later (redelivered)
    if (rec.state === 'starting') throw new Error(`session ${rec.sessionId} stopped before its start was recorded`);
    const done = await this.change(rec.sessionId, (cur) => {
      if (cur.state !== 'charging' && cur.state !== 'stopping') return null;
      const final = withFinalRegister(cur, m.meterStopWms, m.at);
      const record = { ...ended(final, stopReasonOnStopped(final, m.reason)), updatedAt: this.deps.now() };
      return { record, events: [this.deps.envelope('session.ended', endedPayload(record), correlationId, record.endedAt ?? m.at)] };
    });
    if (done) log.info({ sessionId: done.sessionId, stopReason: done.stopReason, energyWms: done.meterWms }, 'walk-up session ended');
  }

  async onCardStarted(m: MessagePayload<'device.session-started'>, correlationId: string): Promise<void> {
    const { store, log } = this.deps;
    if (await store.byId(m.sessionId)) return; // recorded already
    const device = await this.deps.device.get(deviceOf(m));
    const station = await this.deps.station(device.stationId);
    const doc = await this.deps.tariffs.get(station.tariffId);
    const now = this.deps.now();
    const rec: WalkUpRecord = {
      sessionId: m.sessionId,
      orderId: `card-${m.sessionId}`,
      userId: m.userId,
      stationId: device.stationId,
      deviceId: device.deviceId,
      pileId: device.pileId,
      pileNo: device.pileNo,
      portNo: m.portNo,
      pileType: device.pileType,
      ratedPowerW: device.powerW,
      origin: 'card',
      cardId: m.cardId,
      chargingMode: 1 as WalkUpMode,
      paymentMethod: 3,
      tariff: tariffSnapshot(doc, m.at, device.pileType),
      state: 'charging',
      startedAt: m.at,
      meterStartWms: m.meterStartWms,
      meterWms: m.meterStartWms,
      readingAt: m.at,
      intervals: [],
      powerW: 0,
      voltageV: 0,
      currentA: 0,
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    const started = () => [this.deps.envelope('session.started', startedPayload(rec), correlationId, m.at)];
    try {
      await store.insert(rec, started());
    } catch (err) {
      if (!(isDomainError(err) && err.details?.reason === 'PORT_OCCUPIED')) throw err;
      // the pile runs a new session on the port: the one recorded there ended without its report reaching us
      const old = await store.liveOnPort(rec.deviceId, rec.portNo);
      if (old) {
        log.error({ sessionId: old.sessionId, newSessionId: rec.sessionId }, 'a card session started on a port with a live session: the old one is ended at its last reading');
        await this.endAtLastReading(old.sessionId, STOP.other, correlationId);
      }
      await store.insert(rec, started());
    }
    this.deps.kick();
    log.info({ sessionId: rec.sessionId, userId: rec.userId, deviceId: rec.deviceId, portNo: rec.portNo }, 'card session started');
  }

  async onPileFault(m: MessagePayload<'device.pile-fault'>, correlationId: string): Promise<void> {
    for (const rec of await this.deps.store.liveOfDevice(deviceOf(m))) {
      if (rec.state === 'starting') continue; // the start fails or is answered by the pile
      const done = await this.endAtLastReading(rec.sessionId, STOP.fault, correlationId);
      if (done) {
        this.deps.log.warn({ sessionId: rec.sessionId, deviceId: deviceOf(m), errorCode: m.errorCode }, 'pile fault: walk-up session ended');
        void this.sendStop(done).catch((err: unknown) => this.deps.log.error({ err: (err as Error).message, sessionId: rec.sessionId }, 'could not stop a faulted session at the pile'));
      }
    }
  }

  // ------------------------------------------------------------ stops the pile did not acknowledge

  /** Every `stopRetryMs`: stops not acknowledged are sent again, at most `stopAttempts` times, then an error. */
  startSweep(): void {
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'walk-up stop sweep failed'))
        .finally(() => { this.sweeping = undefined; });
    }, this.deps.timing.stopRetryMs);
    this.sweepTimer.unref();
  }

  async stopSweep(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
  }

  async sweep(): Promise<void> {
    const { store, realNow, timing, log } = this.deps;
    // a start whose replica died before the pile's answer holds its port: freed (a pile that did start is stopped
    // by its first reading of a session nobody knows)
    const dropped = await store.dropStaleStarts(realNow() - timing.commandTimeoutMs - 5000);
    if (dropped > 0) log.warn({ dropped }, 'walk-up starts never answered: dropped');
    for (const rec of await store.unackedStops(realNow() - timing.stopRetryMs)) {
      if ((rec.stop?.attempts ?? 0) >= timing.stopAttempts) {
        const given = await this.change(rec.sessionId, (cur) => !cur.stop || cur.stop.acked || cur.state !== 'stopping' ? null : { record: { ...cur, stop: { ...cur.stop, gaveUp: true } } });
        if (given) log.error({ sessionId: rec.sessionId, deviceId: rec.deviceId, portNo: rec.portNo, attempts: rec.stop?.attempts }, 'the pile never acknowledged the stop of a walk-up session: given up');
        continue;
      }
      await this.resendStop(rec.sessionId, randomUUID());
    }
  }

  /** Claims one attempt (conditional write), sends the stop, records the acknowledgement. */
  private async resendStop(sessionId: string, correlationId: string): Promise<void> {
    const { log } = this.deps;
    try {
      const claimed = await this.change(sessionId, (cur) => cur.state !== 'stopping' || !cur.stop || cur.stop.acked ? null : {
        record: { ...cur, stop: { ...cur.stop, attempts: cur.stop.attempts + 1, sentAt: this.deps.realNow() } },
      });
      if (!claimed) return;
      const answer = await this.sendStop(claimed, correlationId);
      if (!answer.accepted) {
        log.warn({ sessionId }, 'the pile refused the stop: tried again');
        return;
      }
      await this.change(sessionId, (cur) => cur.state !== 'stopping' || !cur.stop ? null : { record: { ...cur, stop: { ...cur.stop, acked: true } } });
    } catch (err) {
      log.warn({ sessionId, err: (err as Error).message }, 'stop not acknowledged: tried again');
    }
  }

  private sendStop(rec: WalkUpRecord, correlationId: string = randomUUID()) {
    return this.deps.device.command({
      deviceId: rec.deviceId,
      control: { command: 'stop', portNo: rec.portNo, sessionId: rec.sessionId },
      timeoutMs: this.deps.timing.commandTimeoutMs,
    }, correlationId);
  }

  /** A reading of a session nobody recorded: the pile is told to stop it (at most every few seconds per session). */
  private stopUnknown(deviceId: string, portNo: number, sessionId: string, correlationId: string): void {
    const now = this.deps.realNow();
    const last = this.unknownStops.get(sessionId);
    if (last !== undefined && now - last < this.deps.timing.stopRetryMs) return;
    this.unknownStops.set(sessionId, now);
    if (this.unknownStops.size > 10_000) this.unknownStops.clear();
    this.deps.log.warn({ sessionId, deviceId, portNo }, 'meter reading of an unknown session: the pile is told to stop it');
    void this.deps.device.command({ deviceId, control: { command: 'stop', portNo, sessionId }, timeoutMs: this.deps.timing.commandTimeoutMs }, correlationId)
      .catch((err: unknown) => this.deps.log.error({ sessionId, deviceId, err: (err as Error).message }, 'could not stop an unknown session'));
  }

  // ------------------------------------------------------------ helpers

  private async endAtLastReading(sessionId: string, stopReason: StopReason, correlationId: string): Promise<WalkUpRecord | null> {
    const done = await this.change(sessionId, (cur) => {
      if (cur.state !== 'charging' && cur.state !== 'stopping') return null;
      const record = { ...ended({ ...cur, endedAt: cur.readingAt }, stopReason), updatedAt: this.deps.now() };
      return { record, events: [this.deps.envelope('session.ended', endedPayload(record), correlationId, cur.readingAt)] };
    });
    return done;
  }

  /** Loads, changes and writes a session conditionally on its version, again on a conflict; null: no change. */
  private async change(sessionId: string, fn: (cur: WalkUpRecord) => Change): Promise<WalkUpRecord | null> {
    for (let i = 0; i < CONFLICT_RETRIES; i++) {
      const cur = await this.deps.store.byId(sessionId);
      if (!cur) return null;
      const next = fn(cur);
      if (!next) return null;
      if (await this.deps.store.save(next.record, next.events)) {
        if (next.events && next.events.length > 0) this.deps.kick();
        return { ...next.record, version: cur.version + 1 };
      }
    }
    throw new DomainError('CONFLICT', `walk-up session ${sessionId} kept changing: try again`);
  }

  private async mustGet(sessionId: string): Promise<WalkUpRecord> {
    const rec = await this.deps.store.byId(sessionId);
    if (!rec) throw new DomainError('NOT_FOUND', `walk-up session ${sessionId} not found`, { resource: 'order' });
    return rec;
  }

  /** The order's session for this caller: another user's, or one not started yet, is NOT_FOUND (order). */
  private async owned(orderId: string, userId: string | undefined): Promise<WalkUpRecord> {
    const rec = await this.deps.store.byOrder(orderId);
    if (!rec || rec.state === 'starting' || (userId !== undefined && rec.userId !== userId)) {
      throw new DomainError('NOT_FOUND', `order ${orderId} has no walk-up session`, { resource: 'order' });
    }
    return rec;
  }

  /** The same order again: its session (once the pile answered the first start). */
  private async answerRepeat(rec: WalkUpRecord, userId: string): Promise<WalkUpSessionView> {
    if (rec.userId !== userId) throw new DomainError('VALIDATION', `order ${rec.orderId} is another user's`);
    let cur: WalkUpRecord | null = rec;
    const until = Date.now() + this.deps.timing.commandTimeoutMs + 2000;
    while (cur?.state === 'starting' && Date.now() < until) {
      await sleep(POLL_MS);
      cur = await this.deps.store.byId(rec.sessionId);
    }
    if (!cur) throw new DomainError('PILE_STATE', `the pile did not start order ${rec.orderId}: try again`, { reason: 'START_REFUSED' });
    if (cur.state === 'starting') throw new DomainError('TIMEOUT', `the pile has not answered the start of order ${rec.orderId} yet`, { reason: 'PILE_TIMEOUT' });
    return viewOf(cur);
  }

  private async walkUpStation(stationId: string): Promise<StationView> {
    let station: StationView;
    try {
      station = await this.deps.station(stationId);
    } catch (err) {
      if (isDomainError(err) && err.code === 'NOT_FOUND') throw new DomainError('VALIDATION', `the pile's station ${stationId} is not a walk-up station`);
      throw err;
    }
    if (station.kind !== 'walk-up') throw new DomainError('VALIDATION', `station ${stationId} is a queue station: its piles are not started by port`);
    return station;
  }
}

/** A failed start or stop as the caller sees it: the bridge's refusal as it is, a timeout as the pile's. */
function pileCommandError(err: unknown): unknown {
  if (isDomainError(err) && err.code === 'TIMEOUT' && err.details?.reason === undefined) {
    return new DomainError('TIMEOUT', err.message, { reason: 'PILE_TIMEOUT' });
  }
  return err;
}

/** The device a bridge event names: its deviceId (a seeded queue pile's pileId is its device id). */
function deviceOf(m: { pileId: string; deviceId?: string }): string {
  return m.deviceId ?? m.pileId;
}

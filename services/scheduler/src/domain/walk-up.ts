// Walk-up sessions (document 004: the user picks a pile and port), the rules: pure. Which port may start, which limit
// fits which charging mode, what a meter reading does to a session (an interval between consecutive readings, the
// live figures, the condition checked on every reading: reached means >=), how a session ends (the final register,
// the stop reason) and what it announces. The store and the bus are walk-up/sessions.ts's.
import type {
  DeviceStopReason,
  DomainErrorDetails,
  DeviceView,
  MeteredInterval,
  SessionEnded,
  SessionEndReason,
  SessionStarted,
  TariffDocument,
  TariffRule,
  WalkUpSessionView,
} from '@voltq/contracts';
import { feeForIntervals, ruleFor, tariffOfRule, versionAt, type FeeBreakdown } from '@voltq/tariff';

/** What the device-bridge reports of walk-up piles' ports. */
export const WALK_UP_PORT_EVENTS = ['device.meter', 'device.session-started', 'device.session-stopped', 'device.pile-fault'] as const;

export type WalkUpMode = 1 | 2 | 3 | 4;
export type StopReason = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const STOP = { user: 1, full: 2, time: 3, energy: 4, amount: 5, fault: 6, other: 7 } as const;

/** `starting`: the pile was asked and has not answered yet (internal: never answered as a view). */
export type RecordState = 'starting' | 'charging' | 'stopping' | 'ended' | 'failed';
export const LIVE_STATES: readonly RecordState[] = ['starting', 'charging', 'stopping'];

/** The tariff version in force at the start, as far as this session needs it: its pile type's rule. */
export interface TariffSnapshot {
  tariffId: string;
  effectiveDate: string;
  timeZone: string;
  rule: TariffRule;
}

/** The stop sent to the pile: real-time bookkeeping for the retry sweep. */
export interface StopCommand {
  attempts: number;
  sentAt: number;
  acked: boolean;
  gaveUp?: boolean;
}

export interface Limits {
  limitFeeFen?: number;
  limitDurationMs?: number;
  limitEnergyWms?: number;
}

/** One stored walk-up session (MongoDB `walkup_sessions`, `_id` = sessionId). */
export interface WalkUpRecord extends Limits {
  sessionId: string;
  orderId: string;
  orderNo?: string;
  userId: string;
  stationId: string;
  deviceId: string;
  pileId: string;
  pileNo: string;
  portNo: number;
  pileType: 1 | 2;
  /** the pile's rated power */
  ratedPowerW: number;
  origin: 'app' | 'card';
  cardId?: string;
  chargingMode: WalkUpMode;
  paymentMethod: 1 | 2 | 3;
  tariff: TariffSnapshot;
  state: RecordState;
  /** the pile's acknowledgement (0 while starting) */
  startedAt: number;
  endedAt?: number;
  /** null until known: the start's answer gives it, else the first reading */
  meterStartWms: number | null;
  /** the register at the latest reading (or the start) */
  meterWms: number | null;
  /** the instant of the latest reading (the start before any) */
  readingAt: number;
  intervals: MeteredInterval[];
  powerW: number;
  voltageV: number;
  currentA: number;
  stopReason?: StopReason;
  endReason?: SessionEndReason;
  stop?: StopCommand;
  /** real ms the start was asked at: a start left `starting` (its replica died) is dropped by the sweep */
  askedAt?: number;
  /** a starting session's earliest reading's register: the start register when the pile's answer has none */
  pendingMeterWms?: number;
  version: number;
  createdAt: number;
  updatedAt: number;
}

// ---------------------------------------------------------------- starting

export interface Refusal {
  code: 'NOT_FOUND' | 'PILE_STATE' | 'VALIDATION';
  message: string;
  details?: DomainErrorDetails;
}

const LIMIT_OF_MODE: Record<WalkUpMode, keyof Limits | null> = { 1: null, 2: 'limitFeeFen', 3: 'limitDurationMs', 4: 'limitEnergyWms' };
const LIMIT_NAMES: readonly (keyof Limits)[] = ['limitFeeFen', 'limitDurationMs', 'limitEnergyWms'];

/** The limit must match the mode: mode 1 none, 2 an amount, 3 a duration, 4 an energy (each > 0), and no other. */
export function limitRefusal(mode: WalkUpMode, limits: Limits): Refusal | null {
  const wanted = LIMIT_OF_MODE[mode];
  for (const name of LIMIT_NAMES) {
    const value = limits[name];
    if (name === wanted) {
      if (value === undefined || value <= 0) return { code: 'VALIDATION', message: `chargingMode ${mode} needs ${name} > 0` };
    } else if (value !== undefined) {
      return { code: 'VALIDATION', message: `chargingMode ${mode} takes no ${name}` };
    }
  }
  return null;
}

/** The limits a mode keeps (only its own). */
export function limitsOf(mode: WalkUpMode, limits: Limits): Limits {
  const wanted = LIMIT_OF_MODE[mode];
  return wanted && limits[wanted] !== undefined ? { [wanted]: limits[wanted] } : {};
}

/** Why this port of this device cannot start a session now (null: it can). */
export function portRefusal(device: DeviceView, portNo: number): Refusal | null {
  const port = device.portStates.find((p) => p.portNo === portNo);
  if (!port || portNo > device.ports) {
    return { code: 'NOT_FOUND', message: `pile ${device.pileId} has no port ${portNo}`, details: { resource: 'port' } };
  }
  const refuse = (reason: string, message: string): Refusal => ({ code: 'PILE_STATE', message, details: { reason } });
  if (!device.connected || device.status === 0 || port.status === 0) return refuse('PILE_OFFLINE', `pile ${device.pileId} is offline`);
  if (device.faulted || port.status === 3 || port.faultType !== 0) return refuse('PORT_FAULT', `port ${portNo} of pile ${device.pileId} is faulted`);
  if (port.isDisabled) return refuse('PORT_DISABLED', `port ${portNo} of pile ${device.pileId} is disabled`);
  if (port.status === 2 || port.sessionId !== undefined) return refuse('PORT_OCCUPIED', `port ${portNo} of pile ${device.pileId} is in use`);
  return null;
}

/** 004's pile type 1 is DC fast, 2 AC slow. */
export function modeOfPileType(pileType: 1 | 2): 'fast' | 'slow' {
  return pileType === 1 ? 'fast' : 'slow';
}

// ---------------------------------------------------------------- readings

export interface Reading {
  meterWms: number;
  at: number;
  powerW?: number | undefined;
  voltageV?: number | undefined;
  currentA?: number | undefined;
}

export type ReadingOutcome =
  | { applied: false; why: string }
  | { applied: true; record: WalkUpRecord; reached: StopReason | null };

/**
 * A reading of a charging or stopping session: the energy since the previous reading spread over the time between
 * them (one interval), the live figures, and the condition checked. Readings not newer than the latest (a
 * redelivery, out of order) and a register going back are ignored.
 */
export function applyReading(rec: WalkUpRecord, r: Reading): ReadingOutcome {
  if (rec.state !== 'charging' && rec.state !== 'stopping') return { applied: false, why: `session is ${rec.state}` };
  const live = { powerW: r.powerW ?? rec.powerW, voltageV: r.voltageV ?? rec.voltageV, currentA: r.currentA ?? rec.currentA };
  if (rec.meterStartWms === null || rec.meterWms === null) {
    // the pile's answer had no register: the first reading's is the start
    const record: WalkUpRecord = { ...rec, ...live, meterStartWms: r.meterWms, meterWms: r.meterWms, readingAt: Math.max(rec.readingAt, r.at) };
    return { applied: true, record, reached: reachedLimit(record) };
  }
  if (r.at <= rec.readingAt) return { applied: false, why: `reading at ${r.at} is not newer than ${rec.readingAt}` };
  if (r.meterWms < rec.meterWms) return { applied: false, why: `register ${r.meterWms} is below the previous ${rec.meterWms}` };
  const interval: MeteredInterval = { fromMs: rec.readingAt, toMs: r.at, energyWms: r.meterWms - rec.meterWms };
  const record: WalkUpRecord = { ...rec, ...live, meterWms: r.meterWms, readingAt: r.at, intervals: [...rec.intervals, interval] };
  return { applied: true, record, reached: reachedLimit(record) };
}

export function energyOf(rec: Pick<WalkUpRecord, 'meterStartWms' | 'meterWms'>): number {
  if (rec.meterStartWms === null || rec.meterWms === null) return 0;
  return Math.max(0, rec.meterWms - rec.meterStartWms);
}

/** From the start to the latest reading (or the end). */
export function durationOf(rec: Pick<WalkUpRecord, 'startedAt' | 'readingAt' | 'endedAt'>): number {
  return Math.max(0, (rec.endedAt ?? rec.readingAt) - rec.startedAt);
}

/** The fee so far, exactly as billing prices a metered session: the intervals by the tariff, rounded once. */
export function feeOf(rec: Pick<WalkUpRecord, 'tariff' | 'intervals'>): FeeBreakdown {
  const tariff = tariffOfRule(rec.tariff.rule, rec.tariff.timeZone);
  return feeForIntervals(tariff, rec.intervals.map((i) => ({ startMs: i.fromMs, endMs: i.toMs, energyWms: i.energyWms })));
}

/** The order's condition, if reached (>=) by the session's figures now: its stop reason. */
export function reachedLimit(rec: WalkUpRecord): StopReason | null {
  switch (rec.chargingMode) {
    case 2: return rec.limitFeeFen !== undefined && feeOf(rec).totalFen >= rec.limitFeeFen ? STOP.amount : null;
    case 3: return rec.limitDurationMs !== undefined && durationOf(rec) >= rec.limitDurationMs ? STOP.time : null;
    case 4: return rec.limitEnergyWms !== undefined && energyOf(rec) >= rec.limitEnergyWms ? STOP.energy : null;
    default: return null;
  }
}

// ---------------------------------------------------------------- ending

/**
 * Why a session ended when the pile says it did: the reason a stop request or the condition set first; else the
 * pile's (full 2, fault 6, at the pile or unplugged 1); any other reason is 7 unless the final figures reached the
 * order's limit (a pile that stops at the target itself): then that limit's.
 */
export function stopReasonOnStopped(rec: WalkUpRecord, reason: DeviceStopReason): StopReason {
  if (rec.stopReason !== undefined) return rec.stopReason;
  switch (reason) {
    case 'full': return STOP.full;
    case 'fault': return STOP.fault;
    case 'local':
    case 'unplugged': return STOP.user;
    default: return reachedLimit(rec) ?? STOP.other;
  }
}

/** session.ended's reason: completed for full and the limits, fault for a fault, stopped otherwise. */
export function endReasonOf(stopReason: StopReason): SessionEndReason {
  if (stopReason === STOP.fault) return 'fault';
  if (stopReason === STOP.full || stopReason === STOP.time || stopReason === STOP.energy || stopReason === STOP.amount) return 'completed';
  return 'stopped';
}

/**
 * The session with the pile's final register at `at`: the last interval runs from the latest reading to the stop
 * (energy stopped at the same instant as the latest reading joins that reading's interval, so none is lost).
 */
export function withFinalRegister(rec: WalkUpRecord, meterStopWms: number, at: number): WalkUpRecord {
  const start = rec.meterStartWms ?? meterStopWms;
  const last = rec.meterWms ?? start;
  const stopWms = Math.max(meterStopWms, last); // the register never goes back
  const endedAt = Math.max(at, rec.readingAt, rec.startedAt);
  const extra = stopWms - last;
  let intervals = rec.intervals;
  if (endedAt > rec.readingAt) {
    intervals = [...intervals, { fromMs: rec.readingAt, toMs: endedAt, energyWms: extra }];
  } else if (extra > 0) {
    const prev = intervals[intervals.length - 1];
    intervals = prev
      ? [...intervals.slice(0, -1), { ...prev, energyWms: prev.energyWms + extra }]
      : [{ fromMs: rec.startedAt, toMs: rec.startedAt + 1, energyWms: extra }];
  }
  return { ...rec, meterStartWms: start, meterWms: stopWms, readingAt: endedAt, endedAt, intervals };
}

/** The session ended with this stop reason (the figures already final). */
export function ended(rec: WalkUpRecord, stopReason: StopReason): WalkUpRecord {
  return { ...rec, state: 'ended', stopReason, endReason: endReasonOf(stopReason), endedAt: rec.endedAt ?? rec.readingAt, powerW: 0, currentA: 0 };
}

// ---------------------------------------------------------------- what it announces and answers

function facts(rec: WalkUpRecord) {
  return {
    kind: 'walk-up' as const,
    deviceId: rec.deviceId,
    pileId: rec.pileId,
    portNo: rec.portNo,
    origin: rec.origin,
    ...(rec.cardId !== undefined ? { cardId: rec.cardId } : {}),
    chargingMode: rec.chargingMode,
    paymentMethod: rec.paymentMethod,
    ...limitsOf(rec.chargingMode, rec),
    ...(rec.orderNo !== undefined ? { orderNo: rec.orderNo } : {}),
  };
}

function ref(rec: WalkUpRecord) {
  return {
    sessionId: rec.sessionId, orderId: rec.orderId, userId: rec.userId, stationId: rec.stationId, pileNo: rec.pileNo,
    queueNo: '', tariffId: rec.tariff.tariffId,
  };
}

export function startedPayload(rec: WalkUpRecord): SessionStarted {
  return {
    ...ref(rec),
    mode: modeOfPileType(rec.pileType),
    powerW: rec.ratedPowerW,
    targetEnergyWms: rec.limitEnergyWms ?? 0,
    startedAt: rec.startedAt,
    ...facts(rec),
  };
}

export function endedPayload(rec: WalkUpRecord): SessionEnded {
  const stopReason = rec.stopReason ?? STOP.other;
  return {
    ...ref(rec),
    mode: modeOfPileType(rec.pileType),
    startedAt: rec.startedAt,
    endedAt: rec.endedAt ?? rec.readingAt,
    energyWms: energyOf(rec),
    powerW: rec.ratedPowerW,
    reason: rec.endReason ?? endReasonOf(stopReason),
    intervals: rec.intervals,
    ...facts(rec),
    stopReason,
  };
}

export function viewOf(rec: WalkUpRecord): WalkUpSessionView {
  const fee = feeOf(rec);
  return {
    sessionId: rec.sessionId,
    orderId: rec.orderId,
    userId: rec.userId,
    stationId: rec.stationId,
    deviceId: rec.deviceId,
    pileId: rec.pileId,
    pileNo: rec.pileNo,
    portNo: rec.portNo,
    origin: rec.origin,
    chargingMode: rec.chargingMode,
    paymentMethod: rec.paymentMethod,
    ...limitsOf(rec.chargingMode, rec),
    tariffId: rec.tariff.tariffId,
    // a starting session is answered only once the pile acknowledged it; failed is what a dropped start reads as
    state: rec.state === 'starting' ? 'failed' : rec.state,
    startedAt: rec.startedAt,
    ...(rec.endedAt !== undefined ? { endedAt: rec.endedAt } : {}),
    energyWms: energyOf(rec),
    energyFeeFen: fee.energyFeeFen,
    serviceFeeFen: fee.serviceFeeFen,
    totalFeeFen: fee.totalFen,
    durationMs: durationOf(rec),
    powerW: rec.powerW,
    voltageV: rec.voltageV,
    currentA: rec.currentA,
    ...(rec.stopReason !== undefined ? { stopReason: rec.stopReason } : {}),
    updatedAt: rec.updatedAt,
  };
}

/** The tariff a session is priced by: the version of billing's document in force at its start, its pile type's rule. */
export function tariffSnapshot(doc: TariffDocument, startedAt: number, pileType: 1 | 2): TariffSnapshot {
  const version = versionAt(doc, startedAt);
  return { tariffId: doc.tariffId, effectiveDate: version.effectiveDate, timeZone: version.timeZone, rule: ruleFor(version, pileType) };
}

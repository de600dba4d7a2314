import { DateTime, IANAZone } from 'luxon';
import { TariffError } from './errors.js';
import { parsePrice } from './units.js';

export type TierName = 'sharp' | 'peak' | 'flat' | 'valley' | 'deepValley';

/** Every tier name, dearest first (document 004 order: 尖峰, 峰, 平, 谷, 深谷). */
export const TIER_NAMES: readonly TierName[] = ['sharp', 'peak', 'flat', 'valley', 'deepValley'];

/** Document 004 `timeRates[].timeType` codes (1 尖峰 … 5 深谷) to tier names. */
export const TIER_BY_TIME_TYPE: Readonly<Record<1 | 2 | 3 | 4 | 5, TierName>> = {
  1: 'sharp',
  2: 'peak',
  3: 'flat',
  4: 'valley',
  5: 'deepValley',
};

export interface TariffTierSpec {
  tier: TierName;
  /** Local wall-clock 'HH:MM'. */
  from: string;
  /** Local wall-clock 'HH:MM'; '24:00' or '00:00' = end of day; earlier than `from` = wraps past midnight. */
  to: string;
  priceYuanPerKwh: string | number;
}

export interface TariffSpec {
  /** IANA zone of the station's wall clock; default 'Asia/Shanghai'. */
  timeZone?: string;
  /** The service fee per kWh; exactly one of this and `serviceFeePercent`. */
  serviceFeeYuanPerKwh?: string | number;
  /** The service fee as a percentage of the energy fee (at most 4 decimals); exactly one of this and `serviceFeeYuanPerKwh`. */
  serviceFeePercent?: string | number;
  tiers: TariffTierSpec[];
}

/** A validated spec: the zone filled in, exactly one of the two service fee forms. */
export type ResolvedTariffSpec = Omit<TariffSpec, 'timeZone'> & { readonly timeZone: string };

export interface Tariff {
  readonly spec: ResolvedTariffSpec;
}

/** How the service fee is charged: per kWh (1/10000 yuan per kWh) or a share of the energy fee (1/10000 percent). */
export type ServiceFee = { readonly kind: 'perKwh'; readonly price: bigint } | { readonly kind: 'percent'; readonly percentUnits: bigint };

/** A piece of the local day [fromMs, toMs) of wall-clock time with one tier and price. */
export interface DayRange {
  readonly fromMs: number;
  readonly toMs: number;
  readonly tier: TierName;
  /** 1/10000 yuan per kWh. */
  readonly price: bigint;
}

/** A UTC day's offsets: the offset at its start and every change inside it. */
interface OffsetDay {
  readonly startOffsetMs: number;
  readonly changes: ReadonlyArray<{ readonly atMs: number; readonly offsetMs: number }>;
}

export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const OFFSET_CACHE_DAYS = 512;

/** The validated, precomputed form every fee function works from. */
export class CompiledTariff implements Tariff {
  readonly spec: ResolvedTariffSpec;
  readonly ranges: readonly DayRange[];
  readonly serviceFee: ServiceFee;
  private readonly zone: IANAZone;
  // Memo of zone offsets per UTC day: results never depend on it, it only spares luxon calls on hot paths.
  private readonly offsetDays = new Map<number, OffsetDay>();

  constructor(spec: ResolvedTariffSpec, ranges: readonly DayRange[], serviceFee: ServiceFee, zone: IANAZone) {
    this.spec = spec;
    this.ranges = ranges;
    this.serviceFee = serviceFee;
    this.zone = zone;
  }

  /** Index into `ranges` of the wall-clock time of day `timeOfDayMs` (0 <= t < DAY_MS). */
  rangeIndexAt(timeOfDayMs: number): number {
    const ranges = this.ranges;
    let i = 0;
    while (i < ranges.length - 1 && (ranges[i] as DayRange).toMs <= timeOfDayMs) i++;
    return i;
  }

  /**
   * Wall-clock offset (ms) in force at instant `ms`, and the next instant (exclusive of `ms`) at which it changes,
   * or the end of the UTC day when it does not change before then.
   */
  offsetAt(ms: number): { offsetMs: number; untilMs: number } {
    const day = Math.floor(ms / DAY_MS);
    const info = this.offsetDay(day);
    let offsetMs = info.startOffsetMs;
    for (const change of info.changes) {
      if (change.atMs > ms) return { offsetMs, untilMs: change.atMs };
      offsetMs = change.offsetMs;
    }
    return { offsetMs, untilMs: (day + 1) * DAY_MS };
  }

  private rawOffsetMs(ms: number): number {
    return Math.round(this.zone.offset(ms) * MINUTE_MS);
  }

  private offsetDay(day: number): OffsetDay {
    const cached = this.offsetDays.get(day);
    if (cached) return cached;
    const startMs = day * DAY_MS;
    const endMs = startMs + DAY_MS;
    const startOffsetMs = this.rawOffsetMs(startMs);
    const endOffsetMs = this.rawOffsetMs(endMs);
    const changes: Array<{ atMs: number; offsetMs: number }> = [];
    // Zones change offset at most a couple of times a year, so equal ends mean no change inside the day.
    let fromMs = startMs;
    let fromOffset = startOffsetMs;
    while (fromOffset !== endOffsetMs) {
      // Binary search for the first ms whose offset differs from fromOffset.
      let lo = fromMs;
      let hi = endMs;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (this.rawOffsetMs(mid) === fromOffset) lo = mid;
        else hi = mid;
      }
      if (hi >= endMs) break;
      fromMs = hi;
      fromOffset = this.rawOffsetMs(hi);
      changes.push({ atMs: hi, offsetMs: fromOffset });
    }
    const info: OffsetDay = { startOffsetMs, changes };
    if (this.offsetDays.size >= OFFSET_CACHE_DAYS) this.offsetDays.clear();
    this.offsetDays.set(day, info);
    return info;
  }
}

const TIME = /^(\d{1,2}):(\d{2})$/;

function parseTime(text: unknown, what: string): number {
  const match = typeof text === 'string' ? TIME.exec(text.trim()) : null;
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (!match || minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) {
    throw new TariffError('TARIFF_BAD_VALUE', `${what} must be a time 'HH:MM' between 00:00 and 24:00, got ${JSON.stringify(text)}`);
  }
  return (hours * 60 + minutes) * MINUTE_MS;
}

function clock(ms: number): string {
  const minutes = ms / MINUTE_MS;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * Validates a spec and builds the tariff: the ranges must cover the local day exactly once
 * (a range whose `to` is earlier than its `from` wraps past midnight), prices must be non-negative
 * with at most 4 decimals, and the zone must be a valid IANA zone.
 */
export function createTariff(spec: TariffSpec): Tariff {
  return compileSpec(spec);
}

function compileSpec(spec: TariffSpec): CompiledTariff {
  if (spec === null || typeof spec !== 'object') {
    throw new TariffError('TARIFF_BAD_VALUE', 'tariff spec must be an object');
  }
  const timeZone = spec.timeZone ?? 'Asia/Shanghai';
  if (typeof timeZone !== 'string' || !IANAZone.isValidZone(timeZone)) {
    throw new TariffError('TARIFF_BAD_ZONE', `unknown time zone ${JSON.stringify(timeZone)}; use an IANA name such as 'Asia/Shanghai'`);
  }
  if ((spec.serviceFeeYuanPerKwh === undefined) === (spec.serviceFeePercent === undefined)) {
    throw new TariffError('TARIFF_BAD_VALUE', 'give exactly one of serviceFeeYuanPerKwh and serviceFeePercent');
  }
  const serviceFee: ServiceFee = spec.serviceFeePercent !== undefined
    ? { kind: 'percent', percentUnits: BigInt(parsePrice(spec.serviceFeePercent, 'serviceFeePercent')) }
    : { kind: 'perKwh', price: BigInt(parsePrice(spec.serviceFeeYuanPerKwh as string | number, 'serviceFeeYuanPerKwh')) };
  if (!Array.isArray(spec.tiers) || spec.tiers.length === 0) {
    throw new TariffError('TARIFF_BAD_VALUE', 'tariff needs at least one tier');
  }

  const pieces: DayRange[] = [];
  spec.tiers.forEach((entry, i) => {
    const where = `tiers[${i}]`;
    if (!TIER_NAMES.includes(entry?.tier)) {
      throw new TariffError('TARIFF_BAD_VALUE', `${where}.tier must be one of ${TIER_NAMES.join(', ')}, got ${JSON.stringify(entry?.tier)}`);
    }
    const fromMs = parseTime(entry.from, `${where}.from`);
    let toMs = parseTime(entry.to, `${where}.to`);
    if (fromMs === DAY_MS) {
      throw new TariffError('TARIFF_BAD_VALUE', `${where}.from cannot be 24:00; write 00:00`);
    }
    if (toMs === 0) toMs = DAY_MS;
    if (toMs === fromMs) {
      throw new TariffError('TARIFF_BAD_VALUE', `${where} (${entry.from}–${entry.to}) is empty; a whole day is 00:00–24:00`);
    }
    const price = BigInt(parsePrice(entry.priceYuanPerKwh, `${where}.priceYuanPerKwh`));
    if (toMs > fromMs) {
      pieces.push({ fromMs, toMs, tier: entry.tier, price });
    } else {
      pieces.push({ fromMs, toMs: DAY_MS, tier: entry.tier, price }, { fromMs: 0, toMs, tier: entry.tier, price });
    }
  });

  pieces.sort((a, b) => a.fromMs - b.fromMs || a.toMs - b.toMs);
  const ranges: DayRange[] = [];
  let coveredToMs = 0;
  for (const piece of pieces) {
    if (piece.fromMs > coveredToMs) {
      throw new TariffError('TARIFF_GAP', `tariff tiers leave ${clock(coveredToMs)}–${clock(piece.fromMs)} uncovered; together they must cover 00:00–24:00 exactly once`);
    }
    if (piece.fromMs < coveredToMs) {
      throw new TariffError('TARIFF_OVERLAP', `tariff tiers overlap at ${clock(piece.fromMs)}–${clock(Math.min(coveredToMs, piece.toMs))}; together they must cover 00:00–24:00 exactly once`);
    }
    const last = ranges[ranges.length - 1];
    // Adjacent pieces of one tier at one price (a wrapped range, or a day written in small steps) are one range.
    if (last && last.tier === piece.tier && last.price === piece.price) {
      ranges[ranges.length - 1] = { ...last, toMs: piece.toMs };
    } else {
      ranges.push(piece);
    }
    coveredToMs = piece.toMs;
  }
  if (coveredToMs < DAY_MS) {
    throw new TariffError('TARIFF_GAP', `tariff tiers leave ${clock(coveredToMs)}–24:00 uncovered; together they must cover 00:00–24:00 exactly once`);
  }

  const frozenSpec: ResolvedTariffSpec = Object.freeze({
    timeZone,
    ...(spec.serviceFeePercent !== undefined ? { serviceFeePercent: spec.serviceFeePercent } : { serviceFeeYuanPerKwh: spec.serviceFeeYuanPerKwh }),
    tiers: spec.tiers.map((entry) => Object.freeze({ tier: entry.tier, from: entry.from, to: entry.to, priceYuanPerKwh: entry.priceYuanPerKwh })),
  });
  Object.freeze(frozenSpec.tiers);
  return new CompiledTariff(frozenSpec, ranges, serviceFee, IANAZone.create(timeZone));
}

/** The tariff functions also accept a `{ spec }` built elsewhere (e.g. read back from storage): compiled once. */
const compiledBySpec = new WeakMap<Tariff, CompiledTariff>();

export function compiled(t: Tariff): CompiledTariff {
  if (t instanceof CompiledTariff) return t;
  let c = compiledBySpec.get(t);
  if (!c) {
    c = compileSpec(t.spec);
    compiledBySpec.set(t, c);
  }
  return c;
}

/** DESIGN.md "Billing": peak 1.0, flat 0.7, valley 0.4 yuan/kWh, service 0.8 yuan/kWh, Asia/Shanghai. */
export const DEFAULT_TARIFF_SPEC: TariffSpec = Object.freeze({
  timeZone: 'Asia/Shanghai',
  serviceFeeYuanPerKwh: '0.8',
  tiers: Object.freeze([
    { tier: 'flat', from: '07:00', to: '10:00', priceYuanPerKwh: '0.7' },
    { tier: 'peak', from: '10:00', to: '15:00', priceYuanPerKwh: '1.0' },
    { tier: 'flat', from: '15:00', to: '18:00', priceYuanPerKwh: '0.7' },
    { tier: 'peak', from: '18:00', to: '21:00', priceYuanPerKwh: '1.0' },
    { tier: 'flat', from: '21:00', to: '23:00', priceYuanPerKwh: '0.7' },
    { tier: 'valley', from: '23:00', to: '07:00', priceYuanPerKwh: '0.4' },
  ].map((entry) => Object.freeze(entry as TariffTierSpec))) as TariffTierSpec[],
});

export const DEFAULT_TARIFF: Tariff = createTariff(DEFAULT_TARIFF_SPEC);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The instant a local calendar day `YYYY-MM-DD` starts in `timeZone` (its first wall-clock instant: 00:00, or
 * the first time after a DST gap at midnight). Refuses a date that is not in the calendar and an unknown zone.
 */
export function localDayStartMs(date: string, timeZone: string): number {
  if (typeof timeZone !== 'string' || !IANAZone.isValidZone(timeZone)) {
    throw new TariffError('TARIFF_BAD_ZONE', `unknown time zone ${JSON.stringify(timeZone)}; use an IANA name such as 'Asia/Shanghai'`);
  }
  const match = typeof date === 'string' ? DATE.exec(date) : null;
  const start = match ? DateTime.fromObject({ year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) }, { zone: timeZone }).startOf('day') : undefined;
  if (!start?.isValid || start.toISODate() !== date) {
    throw new TariffError('TARIFF_BAD_VALUE', `${JSON.stringify(date)} is not a calendar date YYYY-MM-DD`);
  }
  return start.toMillis();
}

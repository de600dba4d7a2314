import { TariffError } from './errors.js';
import { compiled, DAY_MS } from './tariff.js';
import type { CompiledTariff, DayRange, Tariff, TierName } from './tariff.js';
import { feeNumeratorToFen, PERCENT_DENOMINATOR } from './units.js';

export interface TierSplit {
  tier: TierName;
  energyWms: number;
  /** This tier's exact fee rounded half-up on its own, for display; the lines may differ from the total by a fen. */
  energyFeeFen: number;
}

export interface FeeBreakdown {
  startMs: number;
  endMs: number;
  durationMs: number;
  energyWms: number;
  /** Exact sum over tiers, rounded once half-up. */
  energyFeeFen: number;
  /** Exact, rounded once half-up. */
  serviceFeeFen: number;
  /** energyFeeFen + serviceFeeFen. */
  totalFen: number;
  /** Only tiers with energy > 0, in the order they were first charged. */
  tiers: TierSplit[];
}

function bad(message: string): never {
  throw new TariffError('TARIFF_BAD_VALUE', message);
}

function requireInteger(value: unknown, what: string, min = Number.MIN_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    bad(`${what} must be ${min === 0 ? 'a non-negative' : 'a'} safe integer, got ${String(value)}`);
  }
}

/**
 * Calls `visit` for each maximal stretch of [startMs, endMs) inside one tariff range, in time order.
 * The tier of an instant is the one of its local wall-clock time, so across a DST change the wall clock jumps
 * and so does the tier, exactly where the zone's offset changes.
 */
function forEachPiece(c: CompiledTariff, startMs: number, endMs: number, visit: (range: DayRange, fromMs: number, toMs: number) => void): void {
  let t = startMs;
  while (t < endMs) {
    const { offsetMs, untilMs } = c.offsetAt(t);
    const timeOfDayMs = (((t + offsetMs) % DAY_MS) + DAY_MS) % DAY_MS;
    const range = c.ranges[c.rangeIndexAt(timeOfDayMs)] as DayRange;
    const next = Math.min(endMs, untilMs, t + (range.toMs - timeOfDayMs));
    visit(range, t, next);
    t = next;
  }
}

/** Exact energy and fee numerators per tier, in the order tiers were first charged. */
class Accumulator {
  private readonly byTier = new Map<TierName, { energyWms: number; feeNumerator: bigint }>();
  energyWms = 0;
  private energyFeeNumerator = 0n;

  constructor(private readonly c: CompiledTariff) {}

  add(range: DayRange, energyWms: number): void {
    if (energyWms === 0) return;
    const feeNumerator = BigInt(energyWms) * range.price;
    const line = this.byTier.get(range.tier);
    if (line) {
      line.energyWms += energyWms;
      line.feeNumerator += feeNumerator;
    } else {
      this.byTier.set(range.tier, { energyWms, feeNumerator });
    }
    this.energyWms += energyWms;
    this.energyFeeNumerator += feeNumerator;
  }

  breakdown(startMs: number, endMs: number, durationMs: number): FeeBreakdown {
    const energyFeeFen = feeNumeratorToFen(this.energyFeeNumerator);
    const fee = this.c.serviceFee;
    // a percentage applies to the exact energy fee, so the service fee too is rounded once
    const serviceFeeFen = fee.kind === 'perKwh'
      ? feeNumeratorToFen(BigInt(this.energyWms) * fee.price)
      : feeNumeratorToFen(this.energyFeeNumerator * fee.percentUnits, PERCENT_DENOMINATOR);
    const tiers: TierSplit[] = [];
    for (const [tier, line] of this.byTier) {
      tiers.push({ tier, energyWms: line.energyWms, energyFeeFen: feeNumeratorToFen(line.feeNumerator) });
    }
    return {
      startMs,
      endMs,
      durationMs,
      energyWms: this.energyWms,
      energyFeeFen,
      serviceFeeFen,
      totalFen: energyFeeFen + serviceFeeFen,
      tiers,
    };
  }
}

/**
 * Constant power from startMs; stops at endMs or when maxEnergyWms has been delivered, whichever is first.
 * With endMs = now it gives the fee accrued so far by a running session (a handful of arithmetic steps per tier
 * boundary crossed, so it is cheap enough to call for every car on a board).
 * When the cap ends the session between two milliseconds, endMs is the first whole ms at which it is complete.
 */
export function feeForConstantPower(
  t: Tariff,
  s: { startMs: number; endMs: number; powerW: number; maxEnergyWms?: number },
): FeeBreakdown {
  const c = compiled(t);
  requireInteger(s.startMs, 'startMs');
  requireInteger(s.endMs, 'endMs');
  requireInteger(s.powerW, 'powerW', 0);
  if (s.maxEnergyWms !== undefined) requireInteger(s.maxEnergyWms, 'maxEnergyWms', 0);
  if (s.endMs < s.startMs) bad(`endMs (${s.endMs}) is before startMs (${s.startMs})`);

  const { startMs, powerW } = s;
  let endMs = s.endMs;
  let capWms = s.maxEnergyWms;
  const uncappedWms = BigInt(powerW) * BigInt(endMs - startMs);
  if (capWms !== undefined && BigInt(capWms) < uncappedWms) {
    // powerW > 0 here, since otherwise uncappedWms would be 0 <= cap. Integer ceil: a float quotient could land
    // just below the true one and leave part of the cap undelivered.
    endMs = startMs + Number((BigInt(capWms) + BigInt(powerW) - 1n) / BigInt(powerW));
  } else {
    if (uncappedWms > BigInt(Number.MAX_SAFE_INTEGER)) bad(`energy of ${powerW} W over ${endMs - startMs} ms is beyond exact range`);
    capWms = Number(uncappedWms);
  }

  const acc = new Accumulator(c);
  let remainingWms = capWms;
  forEachPiece(c, startMs, endMs, (range, fromMs, toMs) => {
    const energyWms = Math.min(powerW * (toMs - fromMs), remainingWms);
    remainingWms -= energyWms;
    acc.add(range, energyWms);
  });
  return acc.breakdown(startMs, endMs, endMs - startMs);
}

/**
 * Metered: each interval's energy is spread evenly over its span. Intervals may come in any order but must not
 * overlap. Each tier's share of an interval is the energy delivered by a tier boundary, floored to the Wms
 * (so shares are whole Wms and add up to the interval exactly; for a constant-power interval they are exact).
 * durationMs is the time covered by the intervals (endMs - startMs when they are contiguous).
 */
export function feeForIntervals(t: Tariff, intervals: Array<{ startMs: number; endMs: number; energyWms: number }>): FeeBreakdown {
  const c = compiled(t);
  if (!Array.isArray(intervals)) bad('intervals must be an array');
  intervals.forEach((interval, i) => {
    requireInteger(interval?.startMs, `intervals[${i}].startMs`);
    requireInteger(interval.endMs, `intervals[${i}].endMs`);
    requireInteger(interval.energyWms, `intervals[${i}].energyWms`, 0);
    if (interval.endMs < interval.startMs) bad(`intervals[${i}] ends (${interval.endMs}) before it starts (${interval.startMs})`);
    if (interval.endMs === interval.startMs && interval.energyWms > 0) bad(`intervals[${i}] has energy but no duration`);
  });
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);

  const acc = new Accumulator(c);
  let durationMs = 0;
  let totalWms = 0;
  let previous: { startMs: number; endMs: number } | undefined;
  for (const interval of sorted) {
    if (previous && interval.startMs < previous.endMs) {
      bad(`metered intervals overlap: [${previous.startMs}, ${previous.endMs}) and [${interval.startMs}, ${interval.endMs})`);
    }
    previous = interval;
    durationMs += interval.endMs - interval.startMs;
    totalWms += interval.energyWms;
    if (!Number.isSafeInteger(totalWms)) bad('total metered energy is beyond exact range');
    if (interval.energyWms === 0) continue;

    const energy = BigInt(interval.energyWms);
    const spanMs = BigInt(interval.endMs - interval.startMs);
    let deliveredWms = 0;
    forEachPiece(c, interval.startMs, interval.endMs, (range, _fromMs, toMs) => {
      const byNowWms = Number((energy * BigInt(toMs - interval.startMs)) / spanMs);
      acc.add(range, byNowWms - deliveredWms);
      deliveredWms = byNowWms;
    });
  }
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return acc.breakdown(first?.startMs ?? 0, last?.endMs ?? 0, durationMs);
}

/** The tier in force at instant `ms` (by the tariff's local wall clock). */
export function tierAt(t: Tariff, ms: number): TierName {
  const c = compiled(t);
  requireInteger(ms, 'ms');
  let tier: TierName | undefined;
  forEachPiece(c, ms, ms + 1, (range) => {
    tier = range.tier;
  });
  return tier as TierName;
}

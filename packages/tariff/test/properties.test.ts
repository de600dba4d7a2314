// Properties over random sessions (fast-check), on the default tariff and on a DST-observing five-tier tariff.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { createTariff, DEFAULT_TARIFF, feeForConstantPower, feeForIntervals, WMS_PER_KWH } from '../src/index.js';
import type { FeeBreakdown, Tariff, TierName } from '../src/index.js';

// A boundary at 02:30 falls in the skipped hour in March and in the repeated hour in October.
const berlinFive = createTariff({
  timeZone: 'Europe/Berlin',
  serviceFeeYuanPerKwh: '0.6543',
  tiers: [
    { tier: 'deepValley', from: '02:30', to: '05:00', priceYuanPerKwh: '0.2111' },
    { tier: 'valley', from: '05:00', to: '08:00', priceYuanPerKwh: '0.35' },
    { tier: 'flat', from: '08:00', to: '11:15', priceYuanPerKwh: '0.6507' },
    { tier: 'sharp', from: '11:15', to: '12:00', priceYuanPerKwh: '1.3333' },
    { tier: 'peak', from: '12:00', to: '22:00', priceYuanPerKwh: '0.9' },
    { tier: 'flat', from: '22:00', to: '02:30', priceYuanPerKwh: '0.6507' },
  ],
});
const tariffs: Array<[string, Tariff]> = [['default', DEFAULT_TARIFF], ['Berlin five-tier', berlinFive]];

// 2024–2025: includes both DST changes of each year in Berlin.
const FROM_MS = Date.parse('2024-01-01T00:00:00Z');
const TO_MS = Date.parse('2026-01-01T00:00:00Z');
// Berlin's DST changes in 2024 and 2025 (01:00 UTC): a third of the sessions start within two days of one.
const DST_CHANGES_MS = ['2024-03-31', '2024-10-27', '2025-03-30', '2025-10-26'].map((day) => Date.parse(`${day}T01:00:00Z`));
const nearDst = fc.tuple(fc.constantFrom(...DST_CHANGES_MS), fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 })).map(([at, offset]) => at + offset);
const instant = fc.oneof({ arbitrary: fc.integer({ min: FROM_MS, max: TO_MS }), weight: 2 }, { arbitrary: nearDst, weight: 1 });
const span = fc.integer({ min: 0, max: 3 * 86_400_000 });
const power = fc.integer({ min: 0, max: 350_000 });
// Picked by name so that a counterexample prints readably.
const tariffArb = fc.constantFrom(...tariffs.map(([name]) => name)).map((name) => [name, (tariffs.find(([n]) => n === name) as [string, Tariff])[1]] as const);
const RUNS = { numRuns: 200 };

/** Energy per tier, keyed in alphabetical order so that two readings compare equal whatever their order. */
function tierEnergy(b: FeeBreakdown): Record<string, number> {
  return Object.fromEntries(b.tiers.map((line) => [line.tier, line.energyWms] as const).sort(([x], [y]) => x.localeCompare(y)));
}

/** An independent reading of a spec: the tier of a local wall-clock minute of the day. */
function oracleTier(tariff: Tariff, minuteOfDay: number): { tier: TierName; priceUnits: number } {
  for (const entry of tariff.spec.tiers) {
    const [fh, fm] = entry.from.split(':').map(Number) as [number, number];
    const [th, tm] = entry.to.split(':').map(Number) as [number, number];
    const from = fh * 60 + fm;
    const to = th * 60 + tm === 0 ? 1440 : th * 60 + tm;
    const inside = from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
    if (inside) return { tier: entry.tier, priceUnits: Math.round(Number(entry.priceYuanPerKwh) * 10_000) };
  }
  throw new Error(`no tier at minute ${minuteOfDay}`);
}

t.test('per-tier energy and fee match a minute-by-minute wall-clock reading of the spec', async (t) => {
  fc.assert(
    fc.property(tariffArb, instant, fc.integer({ min: 0, max: 36 * 60 }), fc.integer({ min: 1, max: 350_000 }), ([, tariff], anyMs, minutes, powerW) => {
      const startMs = anyMs - (anyMs % 60_000);
      const b = feeForConstantPower(tariff, { startMs, endMs: startMs + minutes * 60_000, powerW });
      const expected: Record<string, number> = {};
      let feeNumerator = 0n;
      for (let m = 0; m < minutes; m++) {
        const local = DateTime.fromMillis(startMs + m * 60_000, { zone: tariff.spec.timeZone });
        const { tier, priceUnits } = oracleTier(tariff, local.hour * 60 + local.minute);
        expected[tier] = (expected[tier] ?? 0) + powerW * 60_000;
        feeNumerator += BigInt(powerW * 60_000) * BigInt(priceUnits);
      }
      const fen = Number((feeNumerator * 2n + 360_000_000_000n) / 720_000_000_000n);
      const sortedExpected = Object.fromEntries(Object.entries(expected).sort(([x], [y]) => x.localeCompare(y)));
      return isDeepStrictEqual(tierEnergy(b), sortedExpected) && b.energyFeeFen === fen;
    }),
    { numRuns: 60 },
  );
  t.pass('60 random sessions agree with the oracle');
});

t.test('splitting a session at any instant into two metered intervals changes nothing', async (t) => {
  fc.assert(
    fc.property(tariffArb, instant, span, power, fc.double({ min: 0, max: 1, noNaN: true }), ([, tariff], startMs, durationMs, powerW, at) => {
      const endMs = startMs + durationMs;
      const cutMs = startMs + Math.floor(durationMs * at);
      const whole = feeForConstantPower(tariff, { startMs, endMs, powerW });
      const metered = feeForIntervals(tariff, [
        { startMs: cutMs, endMs, energyWms: powerW * (endMs - cutMs) },
        { startMs, endMs: cutMs, energyWms: powerW * (cutMs - startMs) },
      ]);
      t.equal(metered.energyWms, whole.energyWms);
      t.same(tierEnergy(metered), tierEnergy(whole));
      t.same([metered.energyFeeFen, metered.serviceFeeFen, metered.totalFen], [whole.energyFeeFen, whole.serviceFeeFen, whole.totalFen]);
      // Billed as two sessions, each rounded on its own: within a fen of the whole, per fee.
      const first = feeForConstantPower(tariff, { startMs, endMs: cutMs, powerW });
      const second = feeForConstantPower(tariff, { startMs: cutMs, endMs, powerW });
      t.equal(first.energyWms + second.energyWms, whole.energyWms);
      t.ok(Math.abs(first.energyFeeFen + second.energyFeeFen - whole.energyFeeFen) <= 1);
      t.ok(Math.abs(first.serviceFeeFen + second.serviceFeeFen - whole.serviceFeeFen) <= 1);
    }),
    RUNS,
  );
});

t.test('fees are monotone in the end time, and the cap only ever shortens a session', async (t) => {
  fc.assert(
    fc.property(tariffArb, instant, span, span, power, fc.integer({ min: 0, max: 2e13 }), ([, tariff], startMs, d1, d2, powerW, capWms) => {
      const [shortMs, longMs] = d1 <= d2 ? [d1, d2] : [d2, d1];
      const a = feeForConstantPower(tariff, { startMs, endMs: startMs + shortMs, powerW });
      const b = feeForConstantPower(tariff, { startMs, endMs: startMs + longMs, powerW });
      t.ok(a.energyWms <= b.energyWms && a.energyFeeFen <= b.energyFeeFen && a.serviceFeeFen <= b.serviceFeeFen && a.totalFen <= b.totalFen);
      const capped = feeForConstantPower(tariff, { startMs, endMs: startMs + longMs, powerW, maxEnergyWms: capWms });
      t.equal(capped.energyWms, Math.min(capWms, b.energyWms));
      t.ok(capped.endMs <= b.endMs && capped.totalFen <= b.totalFen);
      // The capped session is the uncapped one up to its end, except for the part of the last ms not needed.
      if (capped.energyWms < b.energyWms && powerW > 0) {
        const upTo = feeForConstantPower(tariff, { startMs, endMs: capped.endMs, powerW });
        t.ok(upTo.energyWms >= capped.energyWms && upTo.energyWms - capped.energyWms < powerW);
      }
    }),
    RUNS,
  );
});

t.test('tier energy adds up to the total, lines round near the total, order of intervals does not matter', async (t) => {
  const meteredArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 6 * 3_600_000 }), fc.integer({ min: 1, max: 3 * 3_600_000 }), fc.integer({ min: 0, max: 150 * WMS_PER_KWH })), { maxLength: 8 });
  fc.assert(
    fc.property(tariffArb, instant, meteredArb, ([, tariff], originMs, pieces) => {
      // Lay the pieces end to end after gaps, so they never overlap.
      let cursor = originMs;
      const intervals = pieces.map(([gapMs, spanMs, energyWms]) => {
        const startMs = cursor + gapMs;
        cursor = startMs + spanMs;
        return { startMs, endMs: cursor, energyWms };
      });
      const b = feeForIntervals(tariff, intervals);
      const total = intervals.reduce((sum, i) => sum + i.energyWms, 0);
      t.equal(b.energyWms, total);
      t.equal(b.tiers.reduce((sum, line) => sum + line.energyWms, 0), total);
      t.ok(b.tiers.every((line) => line.energyWms > 0), 'only tiers with energy');
      t.equal(new Set(b.tiers.map((line) => line.tier)).size, b.tiers.length, 'one line per tier');
      const lines = b.tiers.reduce((sum, line) => sum + line.energyFeeFen, 0);
      t.ok(Math.abs(lines - b.energyFeeFen) <= b.tiers.length / 2 + 0.5, 'lines within their rounding of the total');
      t.equal(b.totalFen, b.energyFeeFen + b.serviceFeeFen);
      t.same(feeForIntervals(tariff, [...intervals].reverse()), b);
    }),
    RUNS,
  );
});

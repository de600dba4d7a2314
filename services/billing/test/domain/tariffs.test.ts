// Tariff documents (src/domain/tariffs.ts): the default document prices as the built-in default tariff, a custom
// five-tier tariff and a percentage service fee price exactly, a session takes the version in force at its start,
// and what does not make a tariff is refused with VALIDATION.
import fc from 'fast-check';
import t from 'tap';
import type { PutTariffParams, SessionEnded, TariffRule } from '@voltq/contracts';
import { DEFAULT_TARIFF } from '@voltq/tariff';
import { priceSession } from '../../src/domain/bill.js';
import { checkVersion, defaultTariffDocument, putVersion, tariffForSession, versionAt } from '../../src/domain/tariffs.js';

const KWH = 3_600_000_000;
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+08:00`);
const DAY = '2026-03-02';

function session(over: Partial<SessionEnded> = {}): SessionEnded {
  return {
    sessionId: 's1', orderId: 'o1', userId: '7', stationId: 'w1', pileNo: 'F1', queueNo: 'F1', mode: 'fast',
    startedAt: at(DAY, '10:00'), endedAt: at(DAY, '11:00'), energyWms: 30 * KWH, powerW: 30_000, reason: 'completed', ...over,
  };
}

/** A five-tier day: deep valley 00–06, valley 06–08, flat 08–11 and 13–17, sharp 11–13, peak 17–24. */
function fiveTier(over: Partial<TariffRule> = {}, pileType: 1 | 2 = 1): TariffRule {
  return {
    pileType,
    windows: [
      { tier: 'deepValley', from: '00:00', to: '06:00', price: 2000 },
      { tier: 'valley', from: '06:00', to: '08:00', price: 3500 },
      { tier: 'flat', from: '08:00', to: '11:00', price: 6543 },
      { tier: 'sharp', from: '11:00', to: '13:00', price: 14999 },
      { tier: 'flat', from: '13:00', to: '17:00', price: 6543 },
      { tier: 'peak', from: '17:00', to: '24:00', price: 10001 },
    ],
    servicePrice: 6000,
    ...over,
  };
}

function put(rules: TariffRule[], effectiveDate = '2026-01-01', tariffId = 'walkup'): PutTariffParams {
  return { tariffId, name: 'Walk-up', version: { effectiveDate, rules } };
}

const both = (over: Partial<TariffRule> = {}) => [fiveTier(over, 1), fiveTier(over, 2)];

t.test('the document default prices every session as the built-in default tariff, to the fen', async (t) => {
  const doc = defaultTariffDocument(0);
  t.equal(doc.tariffId, 'default');
  const start = Date.parse('2024-01-01T00:00:00+08:00');
  await fc.assert(
    fc.property(
      fc.integer({ min: start, max: start + 2 * 365 * 86_400_000 }),
      fc.integer({ min: 0, max: 10 * 3_600_000 }),
      fc.integer({ min: 0, max: 120_000 }),
      fc.constantFrom('fast' as const, 'slow' as const),
      (startedAt, spanMs, powerW, mode) => {
        const s = session({ startedAt, endedAt: startedAt + spanMs, powerW, energyWms: powerW * spanMs, mode });
        t.same(priceSession(s, tariffForSession(doc, s)), priceSession(s, DEFAULT_TARIFF));
      },
    ),
    { numRuns: 200 },
  );
});

t.test('a custom five-tier tariff prices each kWh by its tier, exactly', async (t) => {
  const doc = putVersion(undefined, put(both()), 0);
  // 30 kW from 10:30 to 11:30: 15 kWh flat at 0.6543, 15 kWh sharp at 1.4999; service 0.60 per kWh
  const s = session({ startedAt: at(DAY, '10:30'), endedAt: at(DAY, '11:30') });
  const fee = priceSession(s, tariffForSession(doc, s));
  t.same(fee.tiers.map((x) => [x.tier, x.energyWms]), [['flat', 15 * KWH], ['sharp', 15 * KWH]]);
  // 15 x 0.6543 + 15 x 1.4999 = 9.8145 + 22.4985 = 32.313 -> 32.31 yuan; 30 x 0.60 = 18.00 yuan
  t.equal(fee.energyFeeFen, 3231);
  t.equal(fee.serviceFeeFen, 1800);
  t.equal(fee.totalFen, 5031);
  // deep valley and peak too: 10 kW 05:00-07:00 and 23:00-01:00 next day
  const early = session({ startedAt: at(DAY, '05:00'), endedAt: at(DAY, '07:00'), powerW: 10_000, energyWms: 20 * KWH });
  t.same(priceSession(early, tariffForSession(doc, early)).tiers.map((x) => x.tier), ['deepValley', 'valley']);
  const late = session({ startedAt: at(DAY, '23:00'), endedAt: at(DAY, '23:00') + 2 * 3_600_000, powerW: 10_000, energyWms: 20 * KWH });
  const lateFee = priceSession(late, tariffForSession(doc, late));
  t.same(lateFee.tiers.map((x) => x.tier), ['peak', 'deepValley']);
  // 10 x 1.0001 + 10 x 0.2 = 12.001 -> 12.00
  t.equal(lateFee.energyFeeFen, 1200);
});

t.test('pile types are priced by their own rule', async (t) => {
  const doc = putVersion(undefined, put([fiveTier({}, 1), fiveTier({ servicePrice: 9000 }, 2)]), 0);
  const fast = session({ mode: 'fast' });
  const slow = session({ mode: 'slow' });
  t.equal(priceSession(fast, tariffForSession(doc, fast)).serviceFeeFen, 1800, '30 kWh x 0.60 on a fast pile (type 1)');
  t.equal(priceSession(slow, tariffForSession(doc, slow)).serviceFeeFen, 2700, '30 kWh x 0.90 on a slow pile (type 2)');
});

t.test('a percentage service fee is that share of the exact energy fee, rounded once', async (t) => {
  await fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 0, max: 200_000 }),
      fc.integer({ min: 0, max: 8 * 3_600_000 }),
      fc.integer({ min: at(DAY, '00:00'), max: at(DAY, '23:59') }),
      (serviceRate, powerW, spanMs, startedAt) => {
        const doc = putVersion(undefined, put(both({ servicePrice: undefined, serviceRate })), 0);
        const s = session({ startedAt, endedAt: startedAt + spanMs, powerW, energyWms: powerW * spanMs });
        const fee = priceSession(s, tariffForSession(doc, s));
        // the exact energy fee in 1e-4 yuan/kWh x Wms, from the tier lines; the service fee is rate/1e6 of it
        const exact = fee.tiers.reduce((sum, x) => sum + BigInt(x.energyWms) * BigInt(priceOf(x.tier)), 0n);
        const denominator = 360_000_000_000n * 1_000_000n;
        const expected = (exact * BigInt(serviceRate) * 2n + denominator) / (denominator * 2n);
        t.equal(fee.serviceFeeFen, Number(expected));
        t.equal(fee.totalFen, fee.energyFeeFen + fee.serviceFeeFen);
      },
    ),
    { numRuns: 200 },
  );
  // by hand: 30 kWh flat+sharp as above = 32.313 yuan; 12.5 % of it = 4.039125 -> 4.04 yuan
  const doc = putVersion(undefined, put(both({ servicePrice: undefined, serviceRate: 125_000 })), 0);
  const s = session({ startedAt: at(DAY, '10:30'), endedAt: at(DAY, '11:30') });
  t.equal(priceSession(s, tariffForSession(doc, s)).serviceFeeFen, 404);
});

function priceOf(tier: string): number {
  return { deepValley: 2000, valley: 3500, flat: 6543, sharp: 14999, peak: 10001 }[tier] as number;
}

t.test('a session is priced by the version in force at its start; older versions stay', async (t) => {
  let doc = putVersion(undefined, put(both(), '2026-01-01'), 1);
  doc = putVersion(doc, put(both({ servicePrice: 9000 }), '2026-03-01'), 2);
  t.same(doc.versions.map((v) => v.effectiveDate), ['2026-01-01', '2026-03-01'], 'a new date adds a version');
  t.equal(doc.versions[1]?.effectiveFrom, Date.parse('2026-03-01T00:00:00+08:00'), 'from the local midnight of the date');
  const before = session({ startedAt: at('2026-02-28', '23:30'), endedAt: at('2026-03-01', '00:30'), energyWms: 30 * KWH });
  const after = session({ startedAt: at('2026-03-01', '00:00'), endedAt: at('2026-03-01', '01:00') });
  t.equal(priceSession(before, tariffForSession(doc, before)).serviceFeeFen, 1800, 'started before midnight: the old version, for the whole session');
  t.equal(priceSession(after, tariffForSession(doc, after)).serviceFeeFen, 2700, 'started at midnight: the new one');
  const early = session({ startedAt: at('2025-06-01', '10:00'), endedAt: at('2025-06-01', '11:00') });
  t.equal(versionAt(doc, early.startedAt).effectiveDate, '2026-01-01', 'before the first version: the first');

  // the same date again replaces that version, and only it
  const replaced = putVersion(doc, put(both({ servicePrice: 100 }), '2026-03-01'), 3);
  t.same(replaced.versions.map((v) => v.effectiveDate), ['2026-01-01', '2026-03-01']);
  t.equal(replaced.versions[1]?.rules[0]?.servicePrice, 100);
  t.same(replaced.versions[0], doc.versions[0], 'the older version unchanged');

  // a version put later with an earlier date still sorts by date
  const back = putVersion(doc, put(both(), '2025-12-01'), 4);
  t.same(back.versions.map((v) => v.effectiveDate), ['2025-12-01', '2026-01-01', '2026-03-01']);
});

t.test('what does not make a tariff is refused with VALIDATION, naming it', async (t) => {
  const windows = fiveTier().windows;
  const refusals: Array<[string, TariffRule[], string, RegExp]> = [
    ['a gap', both({ windows: windows.filter((w) => w.from !== '06:00') }), '2026-01-01', /uncovered/],
    ['an overlap', both({ windows: [...windows, { tier: 'sharp', from: '12:00', to: '14:00', price: 1 }] }), '2026-01-01', /overlap/],
    ['a negative price', both({ windows: windows.map((w, i) => (i === 0 ? { ...w, price: -1 } : w)) }), '2026-01-01', /price must be an integer >= 0/],
    ['a fractional price', both({ windows: windows.map((w, i) => (i === 0 ? { ...w, price: 0.5 } : w)) }), '2026-01-01', /price must be an integer >= 0/],
    ['two service fees', both({ serviceRate: 10 }), '2026-01-01', /exactly one service fee/],
    ['no service fee', both({ servicePrice: undefined }), '2026-01-01', /exactly one service fee/],
    ['a pile type twice', [fiveTier({}, 1), fiveTier({}, 1)], '2026-01-01', /given twice/],
    ['a pile type missing', [fiveTier({}, 2)], '2026-01-01', /pile type 1 is missing/],
    ['no such date', both(), '2026-02-30', /not a calendar date/],
    ['an empty window', both({ windows: [...windows.slice(0, -1), { tier: 'peak', from: '17:00', to: '17:00', price: 1 }] }), '2026-01-01', /empty/],
  ];
  for (const [what, rules, date, message] of refusals) {
    t.throws(() => checkVersion(put(rules, date).version), { code: 'VALIDATION', message }, what);
  }
  t.throws(() => checkVersion({ ...put(both()).version, timeZone: 'Mars/Olympus' }), { code: 'VALIDATION', message: /unknown time zone/ }, 'an unknown zone');
});

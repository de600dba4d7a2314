// Tariff specs: validation with clear errors, the five-tier form of document 004, and DST-observing zones.
import t from 'tap';
import {
  createTariff,
  DEFAULT_TARIFF,
  DEFAULT_TARIFF_SPEC,
  feeForConstantPower,
  feeForIntervals,
  localDayStartMs,
  TariffError,
  TIER_BY_TIME_TYPE,
  tierAt,
  WMS_PER_KWH,
} from '../src/index.js';
import type { TariffSpec, TierName } from '../src/index.js';

const sh = (local: string): number => Date.parse(`${local}:00+08:00`);
const kwh = (n: number): number => n * WMS_PER_KWH;
const splits = (tiers: Array<{ tier: TierName; energyWms: number; energyFeeFen: number }>) =>
  tiers.map((line) => [line.tier, line.energyWms / WMS_PER_KWH, line.energyFeeFen]);

const base = (tiers: TariffSpec['tiers'], extra: Partial<TariffSpec> = {}): TariffSpec => ({ serviceFeeYuanPerKwh: '0.8', tiers, ...extra });
const defaultTiers = () => DEFAULT_TARIFF_SPEC.tiers.map((entry) => ({ ...entry }));

t.test('the default spec and defaults of a spec', async (t) => {
  t.equal(DEFAULT_TARIFF.spec.timeZone, 'Asia/Shanghai');
  t.equal(DEFAULT_TARIFF.spec.serviceFeeYuanPerKwh, '0.8');
  const prices = Object.fromEntries(DEFAULT_TARIFF.spec.tiers.map((entry) => [entry.tier, entry.priceYuanPerKwh]));
  t.same(prices, { flat: '0.7', peak: '1.0', valley: '0.4' });

  const noZone = createTariff({ serviceFeeYuanPerKwh: 0.8, tiers: [{ tier: 'flat', from: '00:00', to: '00:00', priceYuanPerKwh: 0.7 }] });
  t.equal(noZone.spec.timeZone, 'Asia/Shanghai', 'zone defaults to Asia/Shanghai');
  const day = feeForConstantPower(noZone, { startMs: sh('2024-05-01T00:00'), endMs: sh('2024-05-02T00:00'), powerW: 1_000 });
  t.same([day.energyFeeFen, day.serviceFeeFen], [1680, 1920], 'one tier all day, prices given as numbers');

  // A tariff read back from storage as a plain { spec } works the same.
  const plain = { spec: JSON.parse(JSON.stringify(DEFAULT_TARIFF.spec)) };
  const session = { startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T07:05'), powerW: 30_000 };
  t.same(feeForConstantPower(plain, session), feeForConstantPower(DEFAULT_TARIFF, session));
  t.ok(Object.isFrozen(DEFAULT_TARIFF.spec), 'the spec cannot be changed under a tariff');
});

t.test('tariffs that do not cover the day exactly once are refused', async (t) => {
  const gap = defaultTiers().map((entry) => (entry.from === '21:00' ? { ...entry, to: '22:00' } : entry));
  t.throws(() => createTariff(base(gap)), { code: 'TARIFF_GAP', message: /22:00–23:00 uncovered/ });

  const tail = defaultTiers().filter((entry) => entry.from !== '23:00').concat([{ tier: 'valley', from: '00:00', to: '07:00', priceYuanPerKwh: '0.4' }]);
  const tailGap = tail.map((entry) => (entry.from === '21:00' ? { ...entry, to: '23:30' } : entry));
  t.throws(() => createTariff(base(tailGap)), { code: 'TARIFF_GAP', message: /23:30–24:00 uncovered/ });

  const head = [{ tier: 'peak' as const, from: '01:00', to: '24:00', priceYuanPerKwh: 1 }];
  t.throws(() => createTariff(base(head)), { code: 'TARIFF_GAP', message: /00:00–01:00/ });

  const overlap = defaultTiers().map((entry) => (entry.from === '10:00' ? { ...entry, to: '15:30' } : entry));
  t.throws(() => createTariff(base(overlap)), { code: 'TARIFF_OVERLAP', message: /15:00–15:30/ });

  const twice = [...defaultTiers(), { tier: 'sharp' as const, from: '12:00', to: '13:00', priceYuanPerKwh: 2 }];
  t.throws(() => createTariff(base(twice)), { code: 'TARIFF_OVERLAP', message: /12:00–13:00/ });

  const wrapOverlap = defaultTiers().map((entry) => (entry.from === '23:00' ? { ...entry, to: '07:30' } : entry));
  t.throws(() => createTariff(base(wrapOverlap)), { code: 'TARIFF_OVERLAP', message: /07:00–07:30/ });

  t.throws(() => createTariff(base([])), { code: 'TARIFF_BAD_VALUE' });
});

t.test('bad zones and bad values are refused with a clear error', async (t) => {
  for (const zone of ['Mars/Olympus', '', 'Asia/Shangai']) {
    t.throws(() => createTariff(base(defaultTiers(), { timeZone: zone })), { code: 'TARIFF_BAD_ZONE', message: /time zone/ }, JSON.stringify(zone));
  }
  const err = t.throws(() => createTariff(base(defaultTiers(), { timeZone: 'Mars/Olympus' })));
  t.ok(err instanceof TariffError && err instanceof Error, 'a TariffError');

  const badPrices: unknown[] = ['-0.1', -1, '0.12345', 0.00001, 'abc', '', Number.NaN, Number.POSITIVE_INFINITY, null];
  for (const price of badPrices) {
    const tiers = [{ tier: 'flat' as const, from: '00:00', to: '24:00', priceYuanPerKwh: price as string }];
    t.throws(() => createTariff(base(tiers)), { code: 'TARIFF_BAD_VALUE', message: /priceYuanPerKwh/ }, `price ${String(price)}`);
  }
  t.throws(() => createTariff({ serviceFeeYuanPerKwh: '-0.8', tiers: defaultTiers() }), { code: 'TARIFF_BAD_VALUE', message: /serviceFeeYuanPerKwh/ });
  t.doesNotThrow(() => createTariff({ serviceFeeYuanPerKwh: '0.1234', tiers: [{ tier: 'flat', from: '00:00', to: '24:00', priceYuanPerKwh: 0 }] }), '4 decimals and a free tier are fine');

  const badTimes: Array<[string, string]> = [['25:00', '24:00'], ['10:60', '24:00'], ['1000', '24:00'], ['00:00', '24:30'], ['24:00', '07:00'], ['07:00', '07:00']];
  for (const [from, to] of badTimes) {
    t.throws(() => createTariff(base([{ tier: 'flat', from, to, priceYuanPerKwh: 1 }])), { code: 'TARIFF_BAD_VALUE' }, `${from}–${to}`);
  }
  t.throws(() => createTariff(base([{ tier: 'super' as TierName, from: '00:00', to: '24:00', priceYuanPerKwh: 1 }])), { code: 'TARIFF_BAD_VALUE', message: /tier must be one of/ });
});

t.test('bad session figures are refused', async (t) => {
  const ok = { startMs: sh('2024-05-01T06:00'), endMs: sh('2024-05-01T07:00'), powerW: 7_000 };
  const cases: Array<[string, object]> = [
    ['fractional power', { ...ok, powerW: 7000.5 }],
    ['negative power', { ...ok, powerW: -1 }],
    ['end before start', { ...ok, endMs: ok.startMs - 1 }],
    ['fractional ms', { ...ok, endMs: ok.endMs + 0.5 }],
    ['negative cap', { ...ok, maxEnergyWms: -1 }],
    ['energy beyond exact range', { ...ok, powerW: 2 ** 40, endMs: ok.startMs + 2 ** 20 }],
  ];
  for (const [name, session] of cases) {
    t.throws(() => feeForConstantPower(DEFAULT_TARIFF, session as typeof ok), { code: 'TARIFF_BAD_VALUE' }, name);
  }
  const start = sh('2024-05-01T06:00');
  t.throws(() => feeForIntervals(DEFAULT_TARIFF, [
    { startMs: start, endMs: start + 600_000, energyWms: 1 },
    { startMs: start + 300_000, endMs: start + 900_000, energyWms: 1 },
  ]), { code: 'TARIFF_BAD_VALUE', message: /overlap/ });
  t.throws(() => feeForIntervals(DEFAULT_TARIFF, [{ startMs: start, endMs: start, energyWms: 5 }]), { code: 'TARIFF_BAD_VALUE', message: /no duration/ });
  t.throws(() => feeForIntervals(DEFAULT_TARIFF, [{ startMs: start, endMs: start + 1, energyWms: -5 }]), { code: 'TARIFF_BAD_VALUE' });
  t.throws(() => feeForIntervals(DEFAULT_TARIFF, [{ startMs: start, endMs: start + 1, energyWms: 0.5 }]), { code: 'TARIFF_BAD_VALUE' });
  t.doesNotThrow(() => feeForIntervals(DEFAULT_TARIFF, [
    { startMs: start, endMs: start + 600_000, energyWms: 1 },
    { startMs: start + 600_000, endMs: start + 900_000, energyWms: 1 },
  ]), 'touching intervals are fine');
});

t.test('a five-tier tariff in the form of document 004', async (t) => {
  // timeRates as document 004 lists them (timeType 1 尖峰 … 5 深谷, rate in yuan per kWh).
  const timeRates: Array<{ timeType: 1 | 2 | 3 | 4 | 5; startTime: string; endTime: string; rate: number }> = [
    { timeType: 5, startTime: '00:00', endTime: '06:00', rate: 0.2 },
    { timeType: 4, startTime: '06:00', endTime: '08:00', rate: 0.35 },
    { timeType: 3, startTime: '08:00', endTime: '10:00', rate: 0.65 },
    { timeType: 2, startTime: '10:00', endTime: '11:00', rate: 0.95 },
    { timeType: 1, startTime: '11:00', endTime: '12:00', rate: 1.25 },
    { timeType: 3, startTime: '12:00', endTime: '14:00', rate: 0.65 },
    { timeType: 2, startTime: '14:00', endTime: '17:00', rate: 0.95 },
    { timeType: 3, startTime: '17:00', endTime: '19:00', rate: 0.65 },
    { timeType: 2, startTime: '19:00', endTime: '22:00', rate: 0.95 },
    { timeType: 4, startTime: '22:00', endTime: '00:00', rate: 0.35 },
  ];
  const five = createTariff({
    serviceFeeYuanPerKwh: '0.6',
    tiers: timeRates.map((r) => ({ tier: TIER_BY_TIME_TYPE[r.timeType], from: r.startTime, to: r.endTime, priceYuanPerKwh: r.rate })),
  });
  // 10 kW for a whole day: deep valley 6 h = 60 kWh x 0.2 = 12.00; valley 4 h = 40 x 0.35 = 14.00;
  // flat 6 h = 60 x 0.65 = 39.00; peak 7 h = 70 x 0.95 = 66.50; sharp 1 h = 10 x 1.25 = 12.50 -> 144.00;
  // service 240 x 0.6 = 144.00.
  const day = feeForConstantPower(five, { startMs: sh('2024-05-01T00:00'), endMs: sh('2024-05-02T00:00'), powerW: 10_000 });
  t.same(splits(day.tiers), [['deepValley', 60, 1200], ['valley', 40, 1400], ['flat', 60, 3900], ['peak', 70, 6650], ['sharp', 10, 1250]]);
  t.same([day.energyFeeFen, day.serviceFeeFen, day.totalFen], [14400, 14400, 28800]);

  // 10:30–11:30 at 20 kW: 10 kWh peak (9.50) + 10 kWh sharp (12.50).
  const noon = feeForConstantPower(five, { startMs: sh('2024-05-01T10:30'), endMs: sh('2024-05-01T11:30'), powerW: 20_000 });
  t.same(splits(noon.tiers), [['peak', 10, 950], ['sharp', 10, 1250]]);
  t.equal(tierAt(five, sh('2024-05-01T05:59')), 'deepValley');
  t.equal(tierAt(five, sh('2024-05-01T23:59')), 'valley');
});

t.test('DST-observing zones bill by the local wall clock', async (t) => {
  const berlin = createTariff({
    timeZone: 'Europe/Berlin',
    serviceFeeYuanPerKwh: 0,
    tiers: [
      { tier: 'valley', from: '00:00', to: '06:00', priceYuanPerKwh: 1 },
      { tier: 'peak', from: '06:00', to: '00:00', priceYuanPerKwh: 2 },
    ],
  });
  // Spring forward (31 March 2024, 02:00 -> 03:00): 23:00–07:00 local is 7 real hours, the night only 5.
  const spring = feeForConstantPower(berlin, { startMs: Date.parse('2024-03-30T23:00:00+01:00'), endMs: Date.parse('2024-03-31T07:00:00+02:00'), powerW: 1_000 });
  // 23:00–00:00 and 06:00–07:00 peak (2 kWh), 00:00–06:00 valley (5 kWh).
  t.same(splits(spring.tiers), [['peak', 2, 400], ['valley', 5, 500]]);
  t.equal(spring.tiers[1]?.energyWms, kwh(5));
  t.equal(spring.energyWms, kwh(7));
  t.equal(spring.energyFeeFen, 900);
  // The last peak hour is 06:00–07:00 CEST on the 31st, after the night.
  t.equal(tierAt(berlin, Date.parse('2024-03-31T05:59:59+02:00')), 'valley');
  t.equal(tierAt(berlin, Date.parse('2024-03-31T06:00:00+02:00')), 'peak');

  // Fall back (27 October 2024, 03:00 -> 02:00): the night is 7 real hours.
  const fall = feeForConstantPower(berlin, { startMs: Date.parse('2024-10-26T23:00:00+02:00'), endMs: Date.parse('2024-10-27T07:00:00+01:00'), powerW: 1_000 });
  t.same(splits(fall.tiers), [['peak', 2, 400], ['valley', 7, 700]]);

  // A boundary inside the repeated hour is crossed twice; one inside the skipped hour not at all.
  const half = createTariff({
    timeZone: 'Europe/Berlin',
    serviceFeeYuanPerKwh: 0,
    tiers: [
      { tier: 'flat', from: '00:00', to: '02:30', priceYuanPerKwh: 1 },
      { tier: 'peak', from: '02:30', to: '24:00', priceYuanPerKwh: 2 },
    ],
  });
  // 00:00 CEST – 04:00 CET = 5 h: flat 00:00–02:30 CEST, peak 02:30–03:00 CEST, flat 02:00–02:30 CET, peak to 04:00.
  const repeated = feeForConstantPower(half, { startMs: Date.parse('2024-10-27T00:00:00+02:00'), endMs: Date.parse('2024-10-27T04:00:00+01:00'), powerW: 1_000 });
  t.same(splits(repeated.tiers), [['flat', 3, 300], ['peak', 2, 400]]);
  // 00:00 CET – 04:00 CEST = 3 h: flat until 02:00 CET, which is 03:00 CEST, peak from then on.
  const skipped = feeForConstantPower(half, { startMs: Date.parse('2024-03-31T00:00:00+01:00'), endMs: Date.parse('2024-03-31T04:00:00+02:00'), powerW: 1_000 });
  t.same(splits(skipped.tiers), [['flat', 2, 200], ['peak', 1, 200]]);

  // New York: 2 h metered across the spring change (2024-03-10 02:00 EST -> 03:00 EDT), all before 06:00.
  const ny = createTariff({ ...berlin.spec, timeZone: 'America/New_York' });
  const metered = feeForIntervals(ny, [{ startMs: Date.parse('2024-03-10T01:00:00-05:00'), endMs: Date.parse('2024-03-10T04:00:00-04:00'), energyWms: kwh(2) }]);
  t.same(splits(metered.tiers), [['valley', 2, 200]]);
});

t.test('a service fee as a percentage of the energy fee, and exactly one service fee form', async (t) => {
  const allDay = [{ tier: 'flat' as const, from: '00:00', to: '24:00', priceYuanPerKwh: '0.3333' }];
  const pct = createTariff({ serviceFeePercent: '12.5', tiers: allDay });
  // 3 kWh x 0.3333 = 0.9999 yuan -> 1.00; 12.5 % of the exact 0.9999 = 0.1249875 -> 0.12 (not 12.5 % of 1.00)
  const fee = feeForConstantPower(pct, { startMs: 0, endMs: 3_600_000, powerW: 3000 });
  t.equal(fee.energyFeeFen, 100);
  t.equal(fee.serviceFeeFen, 12);
  t.equal(fee.totalFen, 112);
  t.throws(() => createTariff({ tiers: allDay }), { code: 'TARIFF_BAD_VALUE', message: /exactly one/ }, 'neither form');
  t.throws(() => createTariff({ serviceFeePercent: 1, serviceFeeYuanPerKwh: 1, tiers: allDay }), { code: 'TARIFF_BAD_VALUE' }, 'both forms');
  t.throws(() => createTariff({ serviceFeePercent: '-1', tiers: allDay }), { code: 'TARIFF_BAD_VALUE' }, 'a negative percentage');
});

t.test('the first instant of a local day', async (t) => {
  t.equal(localDayStartMs('2026-03-01', 'Asia/Shanghai'), Date.parse('2026-03-01T00:00:00+08:00'));
  t.equal(localDayStartMs('2026-03-29', 'Europe/Berlin'), Date.parse('2026-03-29T00:00:00+01:00'));
  t.throws(() => localDayStartMs('2026-02-29', 'Asia/Shanghai'), { code: 'TARIFF_BAD_VALUE' }, 'not in the calendar');
  t.throws(() => localDayStartMs('2026-3-1', 'Asia/Shanghai'), { code: 'TARIFF_BAD_VALUE' });
  t.throws(() => localDayStartMs('2026-03-01', 'Mars/Olympus'), { code: 'TARIFF_BAD_ZONE' });
});

// The default (DESIGN.md) tariff: hand-computed splits, sessions across midnight and longer than a day,
// the energy cap, metered intervals, half-up rounding at the edges and the formatting helpers.
import t from 'tap';
import {
  createTariff,
  DEFAULT_TARIFF,
  feeForConstantPower,
  feeForIntervals,
  formatKwh,
  formatYuan,
  kwhToWms,
  tierAt,
  WMS_PER_KWH,
} from '../src/index.js';
import type { FeeBreakdown } from '../src/index.js';

/** Epoch ms of a Shanghai wall-clock time 'YYYY-MM-DDTHH:MM'. */
const sh = (local: string): number => Date.parse(`${local}:00+08:00`);
const kwh = (n: number): number => n * WMS_PER_KWH;
const HOUR = 3_600_000;

/** Yuan figures of a breakdown, as a bill shows them. */
function bill(b: FeeBreakdown) {
  return {
    kwh: formatKwh(b.energyWms),
    energy: formatYuan(b.energyFeeFen),
    service: formatYuan(b.serviceFeeFen),
    total: formatYuan(b.totalFen),
    tiers: b.tiers.map((line) => `${line.tier} ${formatKwh(line.energyWms)} kWh ${formatYuan(line.energyFeeFen)}`),
  };
}

t.test('the worked examples of the issue', async (t) => {
  const a = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T07:05'), powerW: 30_000 });
  t.same(bill(a), {
    kwh: '27.50', energy: '11.75', service: '22.00', total: '33.75',
    tiers: ['valley 25.00 kWh 10.00', 'flat 2.50 kWh 1.75'],
  });
  t.equal(a.energyWms, kwh(27.5));
  t.equal(a.durationMs, 55 * 60_000);
  t.same(a.tiers.map((line) => line.energyWms), [kwh(25), kwh(2.5)]);

  const b = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T07:10'), powerW: 30_000 });
  t.same(bill(b), {
    kwh: '30.00', energy: '13.50', service: '24.00', total: '37.50',
    tiers: ['valley 25.00 kWh 10.00', 'flat 5.00 kWh 3.50'],
  });
});

t.test('every boundary of the default tariff, 10 kW for 30 min either side', async (t) => {
  // 5 kWh on each side: valley 2.00, flat 3.50, peak 5.00 yuan; service 10 kWh x 0.8 = 8.00.
  const cases: Array<[string, string, string[], string, string]> = [
    ['06:30', '07:30', ['valley 5.00 kWh 2.00', 'flat 5.00 kWh 3.50'], '5.50', '13.50'],
    ['09:30', '10:30', ['flat 5.00 kWh 3.50', 'peak 5.00 kWh 5.00'], '8.50', '16.50'],
    ['14:30', '15:30', ['peak 5.00 kWh 5.00', 'flat 5.00 kWh 3.50'], '8.50', '16.50'],
    ['17:30', '18:30', ['flat 5.00 kWh 3.50', 'peak 5.00 kWh 5.00'], '8.50', '16.50'],
    ['20:30', '21:30', ['peak 5.00 kWh 5.00', 'flat 5.00 kWh 3.50'], '8.50', '16.50'],
    ['22:30', '23:30', ['flat 5.00 kWh 3.50', 'valley 5.00 kWh 2.00'], '5.50', '13.50'],
  ];
  for (const [from, to, tiers, energy, total] of cases) {
    const b = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh(`2024-05-01T${from}`), endMs: sh(`2024-05-01T${to}`), powerW: 10_000 });
    t.same(bill(b), { kwh: '10.00', energy, service: '8.00', total, tiers }, `${from}–${to}`);
  }
  // The tier in force on each side of each boundary.
  const expected: Array<[string, string]> = [
    ['00:00', 'valley'], ['06:59', 'valley'], ['07:00', 'flat'], ['09:59', 'flat'], ['10:00', 'peak'],
    ['14:59', 'peak'], ['15:00', 'flat'], ['18:00', 'peak'], ['21:00', 'flat'], ['22:59', 'flat'], ['23:00', 'valley'],
  ];
  for (const [time, tier] of expected) t.equal(tierAt(DEFAULT_TARIFF, sh(`2024-05-01T${time}`)), tier, time);
  t.equal(tierAt(DEFAULT_TARIFF, sh('2024-05-01T07:00') - 1), 'valley', 'one ms before 07:00');
});

t.test('sessions crossing midnight and lasting more than a day', async (t) => {
  // 22:00–23:00 flat 30 kWh (21.00), 23:00–01:00 valley 60 kWh (24.00); service 90 x 0.8 = 72.00.
  const night = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T22:00'), endMs: sh('2024-05-02T01:00'), powerW: 30_000 });
  t.same(bill(night), { kwh: '90.00', energy: '45.00', service: '72.00', total: '117.00', tiers: ['flat 30.00 kWh 21.00', 'valley 60.00 kWh 24.00'] });

  // A whole day at 10 kW: 8 h of each tier = 80 kWh each; 32 + 56 + 80 = 168.00; service 240 x 0.8 = 192.00.
  const day = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T00:00'), endMs: sh('2024-05-02T00:00'), powerW: 10_000 });
  t.same(bill(day), { kwh: '240.00', energy: '168.00', service: '192.00', total: '360.00', tiers: ['valley 80.00 kWh 32.00', 'flat 80.00 kWh 56.00', 'peak 80.00 kWh 80.00'] });

  // 30 h: the day plus 00:00–06:00 of the next (60 kWh valley, 24.00).
  const long = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T00:00'), endMs: sh('2024-05-02T06:00'), powerW: 10_000 });
  t.same(bill(long), { kwh: '300.00', energy: '192.00', service: '240.00', total: '432.00', tiers: ['valley 140.00 kWh 56.00', 'flat 80.00 kWh 56.00', 'peak 80.00 kWh 80.00'] });
  t.equal(long.durationMs, 30 * HOUR);

  // Three days and a bit, from mid-peak: three whole days plus 12:00–13:00 peak (10 kWh).
  const days = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-12-30T12:00'), endMs: sh('2025-01-02T13:00'), powerW: 10_000 });
  t.same(bill(days), { kwh: '730.00', energy: '514.00', service: '584.00', total: '1098.00', tiers: ['peak 250.00 kWh 250.00', 'flat 240.00 kWh 168.00', 'valley 240.00 kWh 96.00'] });
});

t.test('maxEnergyWms stops the session when the energy is delivered', async (t) => {
  const capped = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T09:00'), powerW: 30_000, maxEnergyWms: kwh(30) });
  t.same(bill(capped), { kwh: '30.00', energy: '13.50', service: '24.00', total: '37.50', tiers: ['valley 25.00 kWh 10.00', 'flat 5.00 kWh 3.50'] });
  t.equal(capped.endMs, sh('2024-05-01T07:10'), 'ends when 30 kWh are in');
  t.equal(capped.durationMs, HOUR);

  // 7.5 kWh at 7 kW takes 3_857_142.857… ms: the energy is exact, the end is the next whole ms.
  const odd = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T12:00'), endMs: sh('2024-05-01T20:00'), powerW: 7_000, maxEnergyWms: kwhToWms('7.5') });
  t.equal(odd.energyWms, 27_000_000_000);
  t.equal(odd.endMs, sh('2024-05-01T12:00') + 3_857_143);
  t.same(bill(odd), { kwh: '7.50', energy: '7.50', service: '6.00', total: '13.50', tiers: ['peak 7.50 kWh 7.50'] });

  // A cap that is not reached changes nothing; a zero cap delivers nothing.
  const free = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T07:05'), powerW: 30_000, maxEnergyWms: kwh(100) });
  t.equal(free.totalFen, 3375);
  t.equal(free.endMs, sh('2024-05-01T07:05'));
  const none = feeForConstantPower(DEFAULT_TARIFF, { startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T07:05'), powerW: 30_000, maxEnergyWms: 0 });
  t.same([none.energyWms, none.totalFen, none.endMs, none.tiers], [0, 0, sh('2024-05-01T06:10'), []]);
});

t.test('fee accrued by a running session at any instant', async (t) => {
  const session = { startMs: sh('2024-05-01T06:10'), powerW: 30_000 };
  // At 06:40: 15 kWh valley = 6.00 + service 12.00.
  t.equal(feeForConstantPower(DEFAULT_TARIFF, { ...session, endMs: sh('2024-05-01T06:40') }).totalFen, 1800);
  // At 07:01: 25.5 kWh; 10.00 + 0.35 + service 20.40.
  t.equal(feeForConstantPower(DEFAULT_TARIFF, { ...session, endMs: sh('2024-05-01T07:01') }).totalFen, 3075);
  // At the start nothing has accrued.
  const zero = feeForConstantPower(DEFAULT_TARIFF, { ...session, endMs: session.startMs });
  t.same([zero.energyWms, zero.totalFen, zero.tiers.length], [0, 0, 0]);
});

t.test('metered intervals', async (t) => {
  // 06:30–07:30 metered 12 kWh (6 valley + 6 flat), 07:30–08:00 metered 3 kWh flat, given out of order.
  const b = feeForIntervals(DEFAULT_TARIFF, [
    { startMs: sh('2024-05-01T07:30'), endMs: sh('2024-05-01T08:00'), energyWms: kwh(3) },
    { startMs: sh('2024-05-01T06:30'), endMs: sh('2024-05-01T07:30'), energyWms: kwh(12) },
  ]);
  t.same(bill(b), { kwh: '15.00', energy: '8.70', service: '12.00', total: '20.70', tiers: ['valley 6.00 kWh 2.40', 'flat 9.00 kWh 6.30'] });
  t.same([b.startMs, b.endMs, b.durationMs], [sh('2024-05-01T06:30'), sh('2024-05-01T08:00'), 90 * 60_000]);

  // The worked example as one meter reading.
  const one = feeForIntervals(DEFAULT_TARIFF, [{ startMs: sh('2024-05-01T06:10'), endMs: sh('2024-05-01T07:10'), energyWms: kwh(30) }]);
  t.same([one.energyFeeFen, one.serviceFeeFen], [1350, 2400]);

  // A pause between readings: duration counts the metered time only.
  const paused = feeForIntervals(DEFAULT_TARIFF, [
    { startMs: sh('2024-05-01T12:00'), endMs: sh('2024-05-01T12:30'), energyWms: kwh(5) },
    { startMs: sh('2024-05-01T13:00'), endMs: sh('2024-05-01T13:30'), energyWms: kwh(5) },
  ]);
  t.same([paused.durationMs, paused.endMs - paused.startMs, paused.energyFeeFen], [HOUR, 90 * 60_000, 1000]);

  // 10 Wms over 3 ms, one ms before 07:00: valley gets floor(10/3) = 3 Wms, flat the other 7; nothing is lost.
  const tiny = feeForIntervals(DEFAULT_TARIFF, [{ startMs: sh('2024-05-01T07:00') - 1, endMs: sh('2024-05-01T07:00') + 2, energyWms: 10 }]);
  t.same(tiny.tiers.map((line) => [line.tier, line.energyWms]), [['valley', 3], ['flat', 7]]);

  // Zero-energy intervals and an empty list bill nothing.
  t.equal(feeForIntervals(DEFAULT_TARIFF, [{ startMs: 0, endMs: 1000, energyWms: 0 }]).totalFen, 0);
  t.same(feeForIntervals(DEFAULT_TARIFF, []).tiers, []);
});

t.test('one half-up rounding to the fen at the edge', async (t) => {
  const valleyAt = sh('2024-05-01T02:00');
  const valley = (energyWms: number) => feeForIntervals(DEFAULT_TARIFF, [{ startMs: valleyAt, endMs: valleyAt + HOUR, energyWms }]);
  // 0.0125 kWh x 0.4 = 0.5 fen exactly: up to 1; one Wms less stays at 0. Service 0.8 x 0.0125 = 1 fen.
  t.same([valley(45_000_000).energyFeeFen, valley(45_000_000).serviceFeeFen], [1, 1]);
  t.equal(valley(44_999_999).energyFeeFen, 0);
  // 1.0125 kWh x 0.4 = 40.5 fen: half-up gives 41 (banker's rounding would give 40).
  t.same(bill(valley(kwhToWms('1.0125'))), { kwh: '1.01', energy: '0.41', service: '0.81', total: '1.22', tiers: ['valley 1.01 kWh 0.41'] });
  // 1.1375 kWh x 0.4 = 45.5 fen -> 46, x 0.8 = 91 fen.
  t.same([valley(kwhToWms('1.1375')).energyFeeFen, valley(kwhToWms('1.1375')).serviceFeeFen], [46, 91]);

  // Lines are rounded for display on their own; the total is the exact sum rounded once.
  const split = createTariff({
    serviceFeeYuanPerKwh: '0.0005',
    tiers: [
      { tier: 'valley', from: '00:00', to: '12:00', priceYuanPerKwh: '0.4' },
      { tier: 'flat', from: '12:00', to: '24:00', priceYuanPerKwh: '0.2' },
    ],
  });
  const b = feeForIntervals(split, [
    { startMs: sh('2024-05-01T11:00'), endMs: sh('2024-05-01T12:00'), energyWms: 45_000_000 }, // 0.5 fen
    { startMs: sh('2024-05-01T12:00'), endMs: sh('2024-05-01T13:00'), energyWms: 90_000_000 }, // 0.5 fen
  ]);
  t.same(b.tiers.map((line) => line.energyFeeFen), [1, 1]);
  t.equal(b.energyFeeFen, 1, 'exact 1.0 fen, not the sum of rounded lines');
  // Service at 4 decimals: 0.0375 kWh x 0.0005 yuan = 0.001875 fen -> 0.
  t.equal(b.serviceFeeFen, 0);
  const tenKwh = feeForIntervals(split, [{ startMs: sh('2024-05-01T01:00'), endMs: sh('2024-05-01T02:00'), energyWms: kwh(10) }]);
  t.equal(tenKwh.serviceFeeFen, 1, '10 kWh x 0.0005 = 0.5 fen -> 1');
});

t.test('units and formatting', async (t) => {
  t.equal(WMS_PER_KWH, 3_600_000_000);
  t.equal(formatYuan(1350), '13.50');
  t.equal(formatYuan(5), '0.05');
  t.equal(formatYuan(0), '0.00');
  t.equal(formatYuan(-1350), '-13.50');
  t.equal(formatKwh(108_000_000_000), '30.00');
  t.equal(formatKwh(18_000_000), '0.01', '0.005 kWh rounds half-up');
  t.equal(formatKwh(17_999_999), '0.00');
  t.equal(formatKwh(kwh(1234.567)), '1234.57');
  t.equal(kwhToWms('7.5'), 27_000_000_000);
  t.equal(kwhToWms(7.5), 27_000_000_000);
  t.equal(kwhToWms('0.001'), 3_600_000, '1 Wh');
  t.equal(kwhToWms(0.1), 360_000_000, 'decimal reading of a binary number');
  t.equal(kwhToWms('12.345'), 44_442_000_000);
  t.equal(kwhToWms(30), 108_000_000_000);
  t.throws(() => kwhToWms(-1), { code: 'TARIFF_BAD_VALUE' });
  t.throws(() => kwhToWms('1,5'), { code: 'TARIFF_BAD_VALUE' });
  t.throws(() => kwhToWms(Number.NaN), { code: 'TARIFF_BAD_VALUE' });
  t.throws(() => formatYuan(1.5), { code: 'TARIFF_BAD_VALUE' });
});

// A user's statistics from their bills (domain/statistics.ts): exact sums, one entry per local day of the session's
// end (a session ending at 00:30 Beijing time belongs to that Beijing day), days in order.
import t from 'tap';
import fc from 'fast-check';
import { chargingStatistics, type StatisticsBill } from '../../src/domain/statistics.js';

const KWH = 3_600_000_000;
const bill = (endedAt: string, over: Partial<StatisticsBill> = {}): StatisticsBill => ({
  endedAt: Date.parse(endedAt), durationMs: 3_600_000, energyWms: 30 * KWH, totalFen: 3750, ...over,
});

t.test('totals and days in the zone', async (t) => {
  const s = chargingStatistics([
    bill('2025-03-02T00:30:00+08:00', { totalFen: 1001, energyWms: 10 * KWH, durationMs: 1_200_000 }),
    bill('2025-03-01T23:50:00+08:00'),
    bill('2025-03-01T08:00:00+08:00', { totalFen: 1 }),
  ], 'Asia/Shanghai');
  t.same(s, {
    sessions: 3, durationMs: 8_400_000, energyWms: 70 * KWH, totalFen: 4752,
    days: [
      { date: '2025-03-01', sessions: 2, energyWms: 60 * KWH, totalFen: 3751 },
      { date: '2025-03-02', sessions: 1, energyWms: 10 * KWH, totalFen: 1001 },
    ],
  });
  t.same(chargingStatistics([bill('2025-03-02T00:30:00+08:00')], 'UTC').days.map((d) => d.date), ['2025-03-01'], 'the same instant is the 1st in UTC');
  t.same(chargingStatistics([], 'Asia/Shanghai'), { sessions: 0, durationMs: 0, energyWms: 0, totalFen: 0, days: [] });
});

t.test('the days add up to the totals, whatever the bills', async (t) => {
  const aBill = fc.record({
    endedAt: fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2030-01-01') }),
    durationMs: fc.nat(86_400_000),
    energyWms: fc.nat(100 * KWH),
    totalFen: fc.nat(1_000_000),
  });
  fc.assert(fc.property(fc.array(aBill, { maxLength: 50 }), (bills) => {
    const s = chargingStatistics(bills, 'Asia/Shanghai');
    const sum = (k: 'sessions' | 'energyWms' | 'totalFen') => s.days.reduce((n, d) => n + d[k], 0);
    return s.sessions === bills.length && sum('sessions') === s.sessions && sum('energyWms') === s.energyWms && sum('totalFen') === s.totalFen &&
      s.days.every((d, i) => i === 0 || s.days[i - 1]!.date < d.date);
  }));
  t.pass('checked');
});

t.test('sums too large to be exact are refused', async (t) => {
  t.throws(() => chargingStatistics([bill('2025-03-01T08:00:00Z', { energyWms: 2 ** 53 }), bill('2025-03-01T09:00:00Z', { energyWms: 2 ** 53 })], 'UTC'), { code: 'VALIDATION' });
});

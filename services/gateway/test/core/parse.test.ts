// The edge's parsing on its own (parse.ts): kWh and kW to the platform's integers, times and local days in the
// station's zone, report periods.
import t from 'tap';
import { energyWmsFromKwh, localDayRange, parseTime, powerWFromKw, reportPeriod } from '../../src/core/parse.js';
import { T0 } from '../support/fixtures.js';

const tz = 'Asia/Shanghai';

t.test('edge parsing', async (t) => {
  t.equal(energyWmsFromKwh(7.5), 27_000_000_000);
  t.equal(energyWmsFromKwh(0.1), 360_000_000, 'decimal, not binary, 0.1');
  t.throws(() => energyWmsFromKwh(0), { code: 'VALIDATION' });
  // a figure no schema bounds (002's power_capacity: 1e300) is a bad request, not an internal error
  t.throws(() => energyWmsFromKwh(1e300, 'power_capacity'), { code: 'VALIDATION', message: /^power_capacity: / });
  t.throws(() => energyWmsFromKwh(1e12, 'quantity'), { code: 'VALIDATION', message: /too large/ });
  t.equal(powerWFromKw(7.5, 'slowPowerKw'), 7500);
  t.equal(powerWFromKw(7.005, 'slowPowerKw'), 7005);
  t.throws(() => powerWFromKw(0.0001, 'x'), { code: 'VALIDATION' });
  t.equal(parseTime('2025-01-02T10:00:00', tz), T0, 'no offset = Asia/Shanghai wall time');
  t.equal(parseTime('2025-01-02T02:00:00Z', tz), T0);
  t.equal(parseTime('2025-01-02T10:00:00+08:00', tz), T0);
  t.throws(() => parseTime('yesterday', tz), { code: 'VALIDATION' });
  t.same(localDayRange('2025-01-02', tz, 'startDate'), { fromMs: Date.parse('2025-01-02T00:00:00+08:00'), toMs: Date.parse('2025-01-03T00:00:00+08:00') });
  t.throws(() => localDayRange('2025-02-30', tz, 'startDate'), { code: 'VALIDATION' });
});

t.test('report periods: the local day, the ISO week (Monday first) and the calendar month holding the date', async (t) => {
  const sh = (text: string) => Date.parse(`${text}+08:00`);
  t.same(reportPeriod('day', '2025-01-02', tz), { fromMs: sh('2025-01-02T00:00:00'), toMs: sh('2025-01-03T00:00:00') });
  // Thursday 2025-01-02: the week runs Monday 2024-12-30 to Monday 2025-01-06, across the year
  t.same(reportPeriod('week', '2025-01-02', tz), { fromMs: sh('2024-12-30T00:00:00'), toMs: sh('2025-01-06T00:00:00') });
  t.same(reportPeriod('week', '2025-03-03', tz), { fromMs: sh('2025-03-03T00:00:00'), toMs: sh('2025-03-10T00:00:00') }, 'a Monday starts its week');
  t.same(reportPeriod('week', '2025-03-09', tz), { fromMs: sh('2025-03-03T00:00:00'), toMs: sh('2025-03-10T00:00:00') }, 'a Sunday ends it');
  t.same(reportPeriod('month', '2024-02-29', tz), { fromMs: sh('2024-02-01T00:00:00'), toMs: sh('2024-03-01T00:00:00') }, 'leap February');
  t.same(reportPeriod('month', '2024-12-31', tz), { fromMs: sh('2024-12-01T00:00:00'), toMs: sh('2025-01-01T00:00:00') });
  // another zone with daylight saving: local midnights, so the day of the change has 23 hours
  const berlin = reportPeriod('day', '2025-03-30', 'Europe/Berlin');
  t.same(berlin, { fromMs: Date.parse('2025-03-30T00:00:00+01:00'), toMs: Date.parse('2025-03-31T00:00:00+02:00') });
  t.equal(berlin.toMs - berlin.fromMs, 23 * 3_600_000);
  for (const bad of ['2025-02-30', '2025-13-01', '2025-1-2', 'today', '']) {
    t.throws(() => reportPeriod('day', bad, tz), { code: 'VALIDATION', message: /date must be a date YYYY-MM-DD/ }, JSON.stringify(bad));
  }
});

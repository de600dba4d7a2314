// The shared units on their own (core/units.ts): yuan, kWh and hours half-up to two decimals, local times.
import t from 'tap';
import { hours, kwh, localTime, yuan } from '../../src/core/units.js';
import { KWH } from '../support/fixtures.js';

t.test('numbers at the edge: yuan and kWh half-up to two decimals', async (t) => {
  t.equal(yuan(1350), 13.5);
  t.equal(yuan(3000), 30);
  t.equal(yuan(1), 0.01);
  t.equal(kwh(30 * KWH), 30);
  t.equal(kwh(KWH / 200), 0.01, '0.005 kWh rounds up');
  t.equal(kwh(KWH / 200 - 1), 0, 'just below 0.005 rounds down');
  t.equal(kwh(Math.round(7.125 * KWH)), 7.13);
});

t.test('hours half-up to two decimals; local times in the zone', async (t) => {
  t.equal(hours(5_400_000), 1.5);
  t.equal(hours(18_000), 0.01, '0.005 h rounds up');
  t.equal(hours(17_999), 0, 'just below 0.005 h rounds down');
  t.equal(hours(0), 0);
  const ms = Date.parse('2025-01-02T02:03:04Z');
  t.equal(localTime(ms, 'Asia/Shanghai'), '2025-01-02 10:03:04');
  t.equal(localTime(ms, 'UTC'), '2025-01-02 02:03:04');
  t.equal(localTime(Date.parse('2025-01-02T16:00:00Z'), 'Asia/Shanghai'), '2025-01-03 00:00:00', 'midnight is 00, not 24');
  t.equal(localTime(undefined, 'UTC'), '', 'a moment not yet reached');
});

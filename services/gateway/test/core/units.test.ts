// The shared units on their own (core/units.ts): yuan and kWh half-up to two decimals.
import t from 'tap';
import { kwh, yuan } from '../../src/core/units.js';
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

// The admin routes' pure part (routes/admin.ts): a station configuration as the API takes it, to the scheduler's params.
import t from 'tap';
import { configureParams } from '../../../../src/dialects/d004/routes/admin.js';

t.test('edge parsing: station configuration', async (t) => {
  t.same(configureParams('default', { fastPowerKw: 60, FastChargingPileNum: 3, WaitingAreaSize: 6 }), { stationId: 'default', fastPiles: 3, waitingAreaSize: 6, fastPowerW: 60_000 });
  t.throws(() => configureParams('default', { fastPiles: 2, FastChargingPileNum: 3 }), { code: 'VALIDATION' });
  t.throws(() => configureParams('default', {}), { code: 'VALIDATION' });
});

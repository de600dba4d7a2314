// The seed list of PILE_SEED: pile ids into identities.
import t from 'tap';
import { parseSeedList } from '../../src/store/devices.js';

t.test('seed list', async (t) => {
  t.same(parseSeedList('default-F1, north-yard-T2,'), [
    { pileId: 'default-F1', stationId: 'default', pileNo: 'F1' },
    { pileId: 'north-yard-T2', stationId: 'north-yard', pileNo: 'T2' },
  ]);
  t.throws(() => parseSeedList('F1'), /not <stationId>-<pileNo>/);
});

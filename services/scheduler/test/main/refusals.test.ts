// What the scheduler's refusals tell a user through the gateway: which thing was not found, no internal ids, times
// in the platform's zone. The scheduler in-process over the bus (harness). The gateway maps these fields (code,
// details.resource, message) by its table; that table is tested in services/gateway/test (no test here imports it).
import t from 'tap';
import { WMS_PER_KWH } from '@voltq/contracts';
import { refusal, startHarness, type Harness } from '../support/harness.js';

const T0 = Date.parse('2025-03-03T09:00:00+08:00');

let h: Harness;
t.before(async () => {
  h = await startHarness();
  await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
});
t.teardown(async () => {
  await h?.close();
});

t.test('an unknown station is a station not found (2001), also on a pile route', async (t) => {
  const onPile = await refusal(h.bus.call('scheduler.pileStatus', { stationId: 'nope', pileNo: 'F1', status: 'off' }));
  t.match(onPile, { code: 'NOT_FOUND', message: 'unknown station nope', details: { resource: 'station' } });
  t.equal(onPile.details?.resource, 'station', "so the gateway's pile route answers 2001 (station), not 2002");
  const onSubmit = await refusal(h.bus.call('scheduler.submit', {
    orderId: 'x-1', userId: '1', stationId: 'nope', mode: 'fast', energyWms: WMS_PER_KWH,
  }));
  t.match(onSubmit, { code: 'NOT_FOUND', details: { resource: 'station' } });
  t.match(await refusal(h.bus.call('scheduler.board', { stationId: 'nope' })), { code: 'NOT_FOUND', details: { resource: 'station' } }, 'a station (2001) on an order route too');
  // a known station without that pile stays a pile not found
  const noPile = await refusal(h.bus.call('scheduler.pileStatus', { stationId: 'default', pileNo: 'F99', status: 'off' }));
  t.match(noPile, { code: 'NOT_FOUND' });
  t.notMatch(noPile, { details: { resource: 'station' } }, 'no station hint: the pile route answers 2002');
});

t.test("a second request says the user has one already, without the scheduler's synthetic car id", async (t) => {
  const ask = (orderId: string, carId?: string) => h.bus.call('scheduler.submit', {
    orderId, userId: '2', stationId: 'default', mode: 'slow', energyWms: WMS_PER_KWH, ...(carId ? { carId } : {}),
  });
  await ask('dup-1');
  const again = await refusal(ask('dup-2'));
  t.match(again, { code: 'ALREADY_QUEUED', message: 'you already have an active charging request', details: { reason: 'CAR_HAS_ACTIVE_REQUEST' } });
  t.notMatch(again.message, /~|user:/, 'no internal id');
  // ALREADY_QUEUED has no message of its own in the gateway's table (400, 3005): the user reads this one
  // a request for a named car still names it (the user chose that id)
  await ask('car-1', 'plate-A');
  t.match(await refusal(ask('car-2', 'plate-A')), { code: 'ALREADY_QUEUED', message: 'car plate-A already has an active request' });
  for (const orderId of ['dup-1', 'car-1']) await h.bus.call('scheduler.cancel', { orderId, stationId: 'default' });
});

t.test("times in refusals are in the platform's zone (+08:00), not UTC", async (t) => {
  await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
  const back = await refusal(h.bus.call('scheduler.clockAdvance', { toMs: Date.parse('2025-03-03T08:00:00+08:00') }));
  t.match(back, {
    code: 'VALIDATION',
    message: 'advance moves time forward only: 2025-03-03T08:00:00.000+08:00 is before now (2025-03-03T09:00:00.000+08:00)',
  });
  // the clock cannot go back past a queued car: the station's instant, in its zone
  await h.bus.call('scheduler.submit', { orderId: 'busy-1', userId: '3', stationId: 'default', mode: 'fast', energyWms: WMS_PER_KWH });
  t.teardown(() => h.bus.call('scheduler.cancel', { orderId: 'busy-1', stationId: 'default' }));
  const busy = await refusal(h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 - 3_600_000 }));
  t.match(busy, { code: 'STATION_BUSY', message: /has 1 active request\(s\) at 2025-03-03T09:00:00\.000\+08:00:/ });
  t.notMatch(busy.message, /Z\b/);
});

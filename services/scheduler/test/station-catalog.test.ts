// Stations at runtime, over the bus (the scheduler in-process, two replicas): the default station on the map, a
// queue station created while the scheduler runs takes charge requests at once on every replica, its sessions name
// its tariff, a walk-up station shows no ports and has no queue, and the refusals (duplicate id, unknown id).
import t from 'tap';
import { WMS_PER_KWH } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { defaultStationConfig, StationStore } from '../src/store/station-configs.js';
import { refusal, startHarness, type Harness } from './support/harness.js';

const T0 = Date.parse('2025-03-03T09:00:00+08:00');
const IDS = ['haidian-1', 'walk-1', 'direct-1', 'legacy-1', 'rr-1', 'rr-2', 'rr-3', 'rr-4'];

let h: Harness;
t.before(async () => {
  h = await startHarness({}, IDS);
  await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
});
t.teardown(async () => {
  await h?.close();
});

const place = { name: '海淀黄庄站', address: '北京市海淀区中关村大街27号', latitude: 39.9760, longitude: 116.3173 };

t.test('the default station is a queue station on the map with the tariff default and its 5 piles free', async (t) => {
  const d = await h.bus.call('scheduler.getStation', { stationId: 'default' });
  t.match(d, { stationId: 'default', kind: 'queue', status: 'online', tariffId: 'default', freePorts: 5, totalPorts: 5 });
  t.ok(d.name.length > 0 && d.address.includes('北京'), `named, in Beijing: ${d.name}, ${d.address}`);
  t.ok(Math.abs(d.latitude - 39.9) < 0.2 && Math.abs(d.longitude - 116.4) < 0.3, 'coordinates in Beijing');
  t.same(d.piles.map((p) => p.pileNo), ['F1', 'F2', 'T1', 'T2', 'T3']);
});

t.test('a queue station created at runtime takes a charge request at once; its sessions name its tariff', async (t) => {
  const created = await h.bus.call('scheduler.createStation', { stationId: 'haidian-1', ...place, kind: 'queue', tariffId: 'night' });
  t.match(created, { stationId: 'haidian-1', ...place, kind: 'queue', status: 'online', tariffId: 'night', freePorts: 5, totalPorts: 5 });
  const entry = await h.bus.call('scheduler.submit', {
    orderId: 'hd-1', userId: '7', stationId: 'haidian-1', mode: 'fast', energyWms: 10 * WMS_PER_KWH,
  });
  t.match(entry, { state: 'charging', pileNo: 'F1' });
  const started = await h.waitFor('session.started', (e) => e.payload.orderId === 'hd-1');
  t.match(started.payload, { stationId: 'haidian-1', tariffId: 'night', pileNo: 'F1' });
  t.match(await h.bus.call('scheduler.getStation', { stationId: 'haidian-1' }), { freePorts: 4, totalPorts: 5 }, 'the charging pile is not free');
  await h.bus.call('scheduler.clockAdvance', { seconds: 3600 });
  const ended = await h.waitFor('session.ended', (e) => e.payload.orderId === 'hd-1');
  t.match(ended.payload, { stationId: 'haidian-1', tariffId: 'night', reason: 'completed' });
  // the default station's sessions name the tariff default
  await h.bus.call('scheduler.submit', { orderId: 'df-1', userId: '8', stationId: 'default', mode: 'slow', energyWms: WMS_PER_KWH });
  t.match((await h.waitFor('session.started', (e) => e.payload.orderId === 'df-1')).payload, { stationId: 'default', tariffId: 'default' });
  await h.bus.call('scheduler.cancel', { orderId: 'df-1', stationId: 'default' });
  t.match((await h.waitFor('session.ended', (e) => e.payload.orderId === 'df-1')).payload, { tariffId: 'default', reason: 'cancelled' });
});

t.test('a station stored while the replicas run (none of them created it) is served on its first call', async (t) => {
  const store = new StationStore(h.service.ctx.mongo!);
  await store.create({
    stationId: 'direct-1', ...place, kind: 'queue', status: 'online', tariffId: 'default', createdAt: T0, updatedAt: T0,
  }, defaultStationConfig('direct-1'));
  const entry = await h.bus.call('scheduler.submit', {
    orderId: 'dr-1', userId: '9', stationId: 'direct-1', mode: 'slow', energyWms: WMS_PER_KWH,
  });
  t.match(entry, { state: 'charging', pileNo: 'T1' });
  const listed = await h.bus.call('scheduler.stations', {});
  t.ok(listed.items.some((s) => s.stationId === 'direct-1' && s.freePorts === 4));
  await h.bus.call('scheduler.cancel', { orderId: 'dr-1', stationId: 'direct-1' });
});

t.test('a station stored before stations had names reads as a queue station named by its id, tariff default', async (t) => {
  const store = new StationStore(h.service.ctx.mongo!);
  await store.save(defaultStationConfig('legacy-1')); // only the queue settings, as documents were before
  const s = await h.bus.call('scheduler.getStation', { stationId: 'legacy-1' });
  t.match(s, { stationId: 'legacy-1', name: 'legacy-1', kind: 'queue', status: 'online', tariffId: 'default', totalPorts: 5 });
  const entry = await h.bus.call('scheduler.submit', { orderId: 'lg-1', userId: '12', stationId: 'legacy-1', mode: 'fast', energyWms: WMS_PER_KWH });
  t.match(entry, { state: 'charging' });
  t.match((await h.waitFor('session.started', (e) => e.payload.orderId === 'lg-1')).payload, { stationId: 'legacy-1', tariffId: 'default' });
  await h.bus.call('scheduler.cancel', { orderId: 'lg-1', stationId: 'legacy-1' });
});

t.test('a walk-up station: no ports yet, no queue; refusals: duplicate id, unknown id, bad place', async (t) => {
  const w = await h.bus.call('scheduler.createStation', { stationId: 'walk-1', ...place, name: '五道口站', kind: 'walk-up' });
  t.match(w, { kind: 'walk-up', freePorts: 0, totalPorts: 0, piles: [], tariffId: 'default' });
  const submit = await refusal(h.bus.call('scheduler.submit', {
    orderId: 'wk-1', userId: '30', stationId: 'walk-1', mode: 'fast', energyWms: WMS_PER_KWH,
  }));
  t.match(submit, { code: 'VALIDATION', message: /walk-up/ });
  const dup = await refusal(h.bus.call('scheduler.createStation', { stationId: 'walk-1', ...place, kind: 'queue' }));
  t.match(dup, { code: 'CONFLICT', message: /walk-1/ });
  t.match(await h.bus.call('scheduler.getStation', { stationId: 'walk-1' }), { name: '五道口站', kind: 'walk-up' }, 'the first one stands');
  const unknown = await refusal(h.bus.call('scheduler.getStation', { stationId: 'nope' }));
  t.match(unknown, { code: 'NOT_FOUND', details: { resource: 'station' } });
  const blank = await refusal(h.bus.call('scheduler.createStation', { stationId: 'blank-1', ...place, name: '   ', kind: 'queue' }));
  t.ok(blank instanceof DomainError && blank.code === 'VALIDATION');
  t.match(await refusal(h.bus.call('scheduler.getStation', { stationId: 'blank-1' })), { code: 'NOT_FOUND' }, 'nothing stored');
  // nearby over the bus: the walk-up station at the same place, the default one about 4 km away
  const near = await h.bus.call('scheduler.stations', { near: { latitude: place.latitude, longitude: place.longitude, radiusM: 1000 }, pageNum: 1, pageSize: 50 });
  t.ok(near.items.some((s) => s.stationId === 'walk-1' && s.distanceM === 0));
  t.notOk(near.items.some((s) => s.stationId === 'default'), 'the default station is outside 1 km');
});

t.test('every replica serves stations created through any of them, also after the others stop', async (t) => {
  const replica = await h.startReplica();
  t.teardown(() => replica.shutdown());
  // two replicas answer createStation in turn: some of these are created by each
  for (const id of ['rr-1', 'rr-2', 'rr-3', 'rr-4']) {
    await h.bus.call('scheduler.createStation', { stationId: id, ...place, kind: 'queue' });
  }
  await h.service.shutdown(); // the first replica's shard places pass to the one left
  for (const [i, id] of ['rr-1', 'rr-2', 'rr-3', 'rr-4'].entries()) {
    const entry = await h.bus.call('scheduler.submit', {
      orderId: `rr-o${i}`, userId: `2${i}`, stationId: id, mode: 'fast', energyWms: WMS_PER_KWH,
    });
    t.match(entry, { state: 'charging' }, `${id} served by the replica left`);
    t.match((await h.waitFor('session.started', (e) => e.payload.orderId === `rr-o${i}`)).payload, { stationId: id, tariffId: 'default' });
  }
  const all = await h.bus.call('scheduler.stations', {});
  t.same(all.items.map((s) => s.stationId).filter((id) => id.startsWith('rr-')), ['rr-1', 'rr-2', 'rr-3', 'rr-4']);
});

// Stations at runtime, over the bus (the scheduler in-process, two replicas): the default station on the map, a
// queue station created while the scheduler runs takes charge requests at once on every replica, its sessions name
// its tariff, a walk-up station shows no ports and has no queue, an operator's edit (the list shows it, new sessions
// name the new tariff, a replica that did not make it takes it on its refresh), and the refusals (duplicate id,
// unknown id, a bad edit).
import t from 'tap';
import { WMS_PER_KWH } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { defaultStationConfig, StationStore } from '../src/store/station-configs.js';
import { refusal, startHarness, type Harness } from './support/harness.js';

const T0 = Date.parse('2025-03-03T09:00:00+08:00');
const IDS = ['haidian-1', 'walk-1', 'direct-1', 'legacy-1', 'edit-1', 'edit-2', 'rr-1', 'rr-2', 'rr-3', 'rr-4'];

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

t.test('an operator edits a station: stored, listed, and the next session names the new tariff', async (t) => {
  const created = await h.bus.call('scheduler.createStation', { stationId: 'edit-1', ...place, kind: 'queue' });
  await h.bus.call('scheduler.clockAdvance', { seconds: 60 });
  const edited = await h.bus.call('scheduler.updateStation', { stationId: 'edit-1', name: ' 海淀北站 ', tariffId: 'peak', latitude: 40.01 });
  t.match(edited, {
    stationId: 'edit-1', name: '海淀北站', address: place.address, latitude: 40.01, longitude: place.longitude,
    kind: 'queue', status: 'online', tariffId: 'peak', totalPorts: 5, createdAt: created.createdAt,
  });
  t.ok(edited.updatedAt >= created.updatedAt + 60_000, `updatedAt moved: ${created.updatedAt} -> ${edited.updatedAt}`);
  const listed = (await h.bus.call('scheduler.stations', { keyword: '海淀北站' })).items;
  t.same(listed.map((s) => [s.stationId, s.name, s.tariffId, s.latitude]), [['edit-1', '海淀北站', 'peak', 40.01]], 'the list shows the edit');
  const stored = await new StationStore(h.service.ctx.mongo!).get('edit-1');
  t.match(stored?.info, { name: '海淀北站', tariffId: 'peak', latitude: 40.01 }, 'stored');
  await h.bus.call('scheduler.submit', { orderId: 'ed-1', userId: '40', stationId: 'edit-1', mode: 'fast', energyWms: WMS_PER_KWH });
  t.match((await h.waitFor('session.started', (e) => e.payload.orderId === 'ed-1')).payload, { stationId: 'edit-1', tariffId: 'peak' });
  await h.bus.call('scheduler.cancel', { orderId: 'ed-1', stationId: 'edit-1' });
  t.match((await h.waitFor('session.ended', (e) => e.payload.orderId === 'ed-1')).payload, { tariffId: 'peak' });
  // status alone, and the kind cannot change
  t.match(await h.bus.call('scheduler.updateStation', { stationId: 'edit-1', status: 'maintenance' }), { status: 'maintenance', name: '海淀北站', tariffId: 'peak' });
});

t.test('an edit stored by another replica is taken on the next refresh: the sessions that follow name its tariff', async (t) => {
  await h.bus.call('scheduler.createStation', { stationId: 'edit-2', ...place, kind: 'queue' });
  await h.bus.call('scheduler.submit', { orderId: 'ed-2', userId: '41', stationId: 'edit-2', mode: 'slow', energyWms: WMS_PER_KWH });
  t.match((await h.waitFor('session.started', (e) => e.payload.orderId === 'ed-2')).payload, { tariffId: 'default' });
  await h.bus.call('scheduler.cancel', { orderId: 'ed-2', stationId: 'edit-2' });
  // as another replica stores it: none of the running ones made this edit
  await new StationStore(h.service.ctx.mongo!).update('edit-2', { tariffId: 'weekend', name: '周末站' }, T0 + 7_200_000);
  await new Promise((r) => setTimeout(r, 1000)); // past the test's station poll (300 ms)
  t.match(await h.bus.call('scheduler.getStation', { stationId: 'edit-2' }), { tariffId: 'weekend', name: '周末站' });
  await h.bus.call('scheduler.submit', { orderId: 'ed-3', userId: '42', stationId: 'edit-2', mode: 'slow', energyWms: WMS_PER_KWH });
  t.match((await h.waitFor('session.started', (e) => e.payload.orderId === 'ed-3')).payload, { stationId: 'edit-2', tariffId: 'weekend' });
  await h.bus.call('scheduler.cancel', { orderId: 'ed-3', stationId: 'edit-2' });
});

t.test('edit refusals: an unknown station, a blank name, a bad point, nothing to change, the kind or an unknown field', async (t) => {
  const unknown = await refusal(h.bus.call('scheduler.updateStation', { stationId: 'nope', name: 'x' }));
  t.match(unknown, { code: 'NOT_FOUND', details: { resource: 'station' } });
  const before = await h.bus.call('scheduler.getStation', { stationId: 'edit-1' });
  for (const [params, why] of [
    [{ stationId: 'edit-1', name: '   ' }, 'a blank name'],
    [{ stationId: 'edit-1', address: ' ' }, 'a blank address'],
    [{ stationId: 'edit-1', latitude: 91 }, 'latitude over 90'],
    [{ stationId: 'edit-1', longitude: -180.5 }, 'longitude under -180'],
    [{ stationId: 'edit-1' }, 'nothing to change'],
    [{ stationId: 'edit-1', kind: 'walk-up' }, 'the kind never changes'],
    [{ stationId: 'edit-1', name: 'x', piles: 3 }, 'an unknown field'],
  ] as const) {
    const err = await refusal(h.bus.call('scheduler.updateStation', params as never));
    t.match(err, { code: 'VALIDATION' }, why);
  }
  t.same(await h.bus.call('scheduler.getStation', { stationId: 'edit-1' }), before, 'the station is as it was');
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

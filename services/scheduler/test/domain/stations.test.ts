// Stations on a map as pure rules: great-circle distances against known values, nearest first within a radius, a
// keyword over name and address, pages, what a new station must be and what an edit may make of one, the ports a
// station shows.
import t from 'tap';
import { StationView as StationViewSchema, WMS_PER_KWH, type StationView } from '@voltq/contracts';
import { Value } from '@sinclair/typebox/value';
import { DomainError } from '@voltq/kit';
import { applyCommand, createStation } from '@voltq/scheduling';
import { engineCarId } from '../../src/domain/mapping.js';
import {
  EARTH_RADIUS_M, distanceM, editedStation, listStations, matchesKeyword, newStation, stationView, type StationInfo,
} from '../../src/domain/stations.js';

const T0 = Date.parse('2025-01-06T08:00:00+08:00');

t.test('great-circle distances of known pairs, within a metre', async (t) => {
  // Rosetta Code's haversine task: Nashville BNA to Los Angeles LAX is 2887.2599506 km on its sphere of 6372.8 km;
  // a great-circle distance scales with the radius, so on the sphere of 6371 km it is that times 6371/6372.8
  t.equal(EARTH_RADIUS_M, 6_371_000);
  const bnaLax = distanceM({ latitude: 36.12, longitude: -86.67 }, { latitude: 33.94, longitude: -118.40 });
  t.ok(Math.abs(bnaLax - (2_887_259.9506 * 6371) / 6372.8) < 1, `BNA-LAX ${bnaLax}`);
  // arcs of a great circle: R times the angle
  const R = 6_371_000;
  const oneDegree = distanceM({ latitude: 39, longitude: 116.3 }, { latitude: 40, longitude: 116.3 });
  t.ok(Math.abs(oneDegree - (R * Math.PI) / 180) < 1, `one degree along a meridian is ${oneDegree} m (about 111.19 km)`);
  t.ok(Math.abs(distanceM({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 90 }) - (R * Math.PI) / 2) < 1, 'a quarter of the equator');
  t.ok(Math.abs(distanceM({ latitude: 90, longitude: 0 }, { latitude: -90, longitude: 0 }) - R * Math.PI) < 1, 'pole to pole');
  t.ok(Math.abs(distanceM({ latitude: 0, longitude: 179.5 }, { latitude: 0, longitude: -179.5 }) - (R * Math.PI) / 180) < 1,
    'across the date line the short way');
  t.equal(distanceM({ latitude: 39.9, longitude: 116.4 }, { latitude: 39.9, longitude: 116.4 }), 0, 'a point to itself');
  const a = { latitude: 39.9042, longitude: 116.4074 };
  const b = { latitude: 31.2304, longitude: 121.4737 };
  t.equal(distanceM(a, b), distanceM(b, a), 'symmetric');
  t.ok(distanceM(a, b) > 1_000_000 && distanceM(a, b) < 1_100_000, 'Beijing-Shanghai is about 1070 km');
});

function info(stationId: string, name: string, address: string, latitude: number, longitude: number): StationInfo {
  return { stationId, name, address, latitude, longitude, kind: 'walk-up', status: 'online', tariffId: 'default', createdAt: T0, updatedAt: T0 };
}

// a few points around Tiananmen (39.9087, 116.3975): about 1.1 km per 0.01 degree of latitude
const HERE = { latitude: 39.9087, longitude: 116.3975 };
const all: StationView[] = [
  stationView(info('far', '首都机场站', '北京市顺义区机场路', 40.0799, 116.6031), null),
  stationView(info('north', '北二站', '北京市东城区北河沿大街', 39.9287, 116.3975), null),
  stationView(info('near', 'Near One', '北京市东城区东长安街', 39.9097, 116.3975), null),
  stationView(info('south', 'South Hub', '北京市西城区前门大街', 39.8987, 116.3975), null),
];

t.test('nearby: nearest first, only within the radius, each with its distance', async (t) => {
  const r = listStations(all, { near: { ...HERE, radiusM: 5000 } });
  t.same(r.items.map((s) => s.stationId), ['near', 'south', 'north'], 'the airport (about 27 km) is outside 5 km');
  t.equal(r.total, 3);
  for (const s of r.items) t.equal(s.distanceM, distanceM(HERE, s));
  t.ok(r.items[0]!.distanceM! < 150 && r.items[1]!.distanceM! < 1200 && r.items[2]!.distanceM! > 2000);
  t.same(listStations(all, { near: { ...HERE, radiusM: 50 } }).items, [], 'nothing within 50 m');
  t.same(listStations(all, { near: HERE }).items.map((s) => s.stationId), ['near', 'south', 'north', 'far'], 'no radius: all');
  // on the radius itself is within
  const edge = distanceM(HERE, all[1]!);
  t.same(listStations(all, { near: { ...HERE, radiusM: edge } }).items.map((s) => s.stationId), ['near', 'south', 'north']);
});

t.test('pages: total counts all matches, a page holds pageSize of them in order', async (t) => {
  const p1 = listStations(all, { near: HERE, pageNum: 1, pageSize: 3 });
  const p2 = listStations(all, { near: HERE, pageNum: 2, pageSize: 3 });
  t.same([p1.total, p2.total], [4, 4]);
  t.same([...p1.items, ...p2.items].map((s) => s.stationId), ['near', 'south', 'north', 'far']);
  t.same(listStations(all, { near: HERE, pageNum: 3, pageSize: 3 }).items, [], 'past the last page: empty');
  t.same(listStations(all, {}).items.map((s) => s.stationId), ['far', 'near', 'north', 'south'], 'without a point: by id');
});

t.test('search: the keyword in the name or the address, any case; with a point also nearest first', async (t) => {
  t.same(listStations(all, { keyword: '东城区' }).items.map((s) => s.stationId), ['near', 'north'], 'by address');
  t.same(listStations(all, { keyword: 'south' }).items.map((s) => s.stationId), ['south'], 'by name, case-insensitive');
  t.same(listStations(all, { keyword: '站' }).items.map((s) => s.stationId), ['far', 'north']);
  t.same(listStations(all, { keyword: 'nowhere' }), { total: 0, items: [] });
  const withPoint = listStations(all, { keyword: '北京市', near: HERE });
  t.same(withPoint.items.map((s) => s.stationId), ['near', 'south', 'north', 'far']);
  t.ok(withPoint.items.every((s) => typeof s.distanceM === 'number'));
  t.notOk('distanceM' in listStations(all, { keyword: '北京市' }).items[0]!, 'no point: no distance');
  t.ok(matchesKeyword({ name: 'A', address: 'Xizhimen Road' }, '  xizhimen '), 'blanks around the keyword do not count');
});

t.test('a point off the globe is refused', async (t) => {
  t.throws(() => listStations(all, { near: { latitude: 91, longitude: 0 } }), { code: 'VALIDATION', message: /latitude/ });
  t.throws(() => listStations(all, { near: { latitude: 0, longitude: -180.5 } }), { code: 'VALIDATION', message: /longitude/ });
  t.throws(() => listStations(all, { near: { latitude: Number.NaN, longitude: 0 } }), DomainError);
});

t.test('a new station: trimmed, online, the tariff default unless named; blanks and bad points refused', async (t) => {
  const s = newStation({ stationId: 's1', name: ' 西直门站 ', address: ' 北京市西城区 ', latitude: 39.94, longitude: 116.35, kind: 'queue' }, T0);
  t.same(s, {
    stationId: 's1', name: '西直门站', address: '北京市西城区', latitude: 39.94, longitude: 116.35, kind: 'queue',
    status: 'online', tariffId: 'default', createdAt: T0, updatedAt: T0,
  });
  t.equal(newStation({ stationId: 's2', name: 'n', address: 'a', latitude: 0, longitude: 0, kind: 'walk-up', tariffId: 'night' }, T0).tariffId, 'night');
  t.throws(() => newStation({ stationId: 's3', name: '  ', address: 'a', latitude: 0, longitude: 0, kind: 'queue' }, T0), { code: 'VALIDATION', message: /name/ });
  t.throws(() => newStation({ stationId: 's3', name: 'n', address: '', latitude: 0, longitude: 0, kind: 'queue' }, T0), { code: 'VALIDATION', message: /address/ });
  t.throws(() => newStation({ stationId: 's3', name: 'n', address: 'a', latitude: -90.1, longitude: 0, kind: 'queue' }, T0), { code: 'VALIDATION' });
});

t.test('an edit: only the fields given change, checked as a new station; id, kind and creation stay', async (t) => {
  const old = newStation({ stationId: 's1', name: '西直门站', address: '北京市西城区', latitude: 39.94, longitude: 116.35, kind: 'walk-up' }, T0);
  const later = T0 + 60_000;
  t.same(editedStation(old, { stationId: 's1', name: ' 西直门北站 ', tariffId: 'night' }, later), {
    ...old, name: '西直门北站', tariffId: 'night', updatedAt: later,
  }, 'the name trimmed, the tariff replaced, the rest as it was');
  t.same(editedStation(old, { stationId: 's1', latitude: -33.87, status: 'maintenance' }, later),
    { ...old, latitude: -33.87, status: 'maintenance', updatedAt: later }, 'one coordinate moves, the other stays');
  t.match(editedStation(old, { stationId: 's1', address: ' 北京市海淀区 ' }, later), { address: '北京市海淀区', kind: 'walk-up', createdAt: T0 });
  const refused = (p: Omit<Parameters<typeof editedStation>[1], 'stationId'>) => () => editedStation(old, { stationId: 's1', ...p }, later);
  t.throws(refused({ name: '   ' }), { code: 'VALIDATION', message: /name/ });
  t.throws(refused({ address: '' }), { code: 'VALIDATION', message: /address/ });
  t.throws(refused({ latitude: 90.5 }), { code: 'VALIDATION', message: /latitude/ });
  t.throws(refused({ longitude: Number.NaN }), { code: 'VALIDATION', message: /longitude/ });
  t.throws(refused({}), { code: 'VALIDATION', message: /nothing to change/ });
});

t.test('ports: a queue station counts its idle piles as free; a walk-up station shows 0 of 0', async (t) => {
  const s0 = createStation({}, T0); // 2 fast, 3 slow
  const fresh = stationView(info('q', 'Q', 'A', 0, 0), s0);
  t.same([fresh.freePorts, fresh.totalPorts], [5, 5]);
  t.same(fresh.piles.map((p) => [p.pileNo, p.state, p.freePorts]), [['F1', 'idle', 1], ['F2', 'idle', 1], ['T1', 'idle', 1], ['T2', 'idle', 1], ['T3', 'idle', 1]]);
  t.ok(Value.Check(StationViewSchema, fresh), 'a valid contract view');
  const r = applyCommand(s0, {
    type: 'submit', orderId: 'o1', userId: 'u1', carId: engineCarId('u1', undefined), mode: 'fast', energyWms: 10 * WMS_PER_KWH,
  }, T0);
  if (!r.ok) throw new Error(r.error.message);
  const off = applyCommand(r.state, { type: 'pileOff', pileNo: 'T3' }, T0);
  if (!off.ok) throw new Error(off.error.message);
  const busy = stationView(info('q', 'Q', 'A', 0, 0), off.state);
  t.same([busy.freePorts, busy.totalPorts], [3, 5], 'one pile charging, one off');
  t.same(busy.piles.filter((p) => p.freePorts === 0).map((p) => [p.pileNo, p.state]), [['F1', 'charging'], ['T3', 'off']]);
  const walkUp = stationView(info('w', 'W', 'A', 0, 0), null);
  t.same([walkUp.freePorts, walkUp.totalPorts, walkUp.piles], [0, 0, []]);
  t.ok(Value.Check(StationViewSchema, walkUp));
});

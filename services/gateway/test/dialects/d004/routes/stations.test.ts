// Document 004's stations (004:192-310) and the station admin over real RPC: fake auth and a fake scheduler on the
// test's bus (fakes.ts: stations in a map, distances from the latitude alone; the real geometry is the scheduler's,
// tested in services/scheduler/test/domain/stations.test.ts). What is checked: the query as 004 writes it (radius
// in metres, default 5000; pages), 004's fields and codes, an admin's edit of a station, and the refusals with nothing
// stored or changed.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({ label: 'gw004s', busName: 'gateway-d004-stations-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env({ TIME_ZONE: 'Asia/Shanghai' }), exit: false })).ctx.http;

interface Answer {
  status: number;
  body: { code: number; message: string; data: any };
}
async function api(method: 'GET' | 'POST' | 'PUT', url: string, opts: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const res = await http.inject({
    method, url,
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

const user = (await api('POST', '/api/user/register', { body: { username: 'mapuser1', password: 'mapuser1-password' } })).body.data.token as string;
const admin = (await api('POST', '/api/admin/login', { body: { username: 'admin', password: 'admin-pass-1' } })).body.data.token as string;

/** 004's nearby fields (004:213-224) */
const LIST_FIELDS = ['address', 'availablePorts', 'description', 'distance', 'id', 'latitude', 'longitude', 'name', 'status', 'totalPorts', 'updateTime'];
const place = { name: '五道口站', address: '北京市海淀区成府路28号', latitude: 39.9925, longitude: 116.3380 };

t.test('POST /api/admin/stations creates a station; GET lists every one', async (t) => {
  const before = fakes.stations.size;
  const a = await api('POST', '/api/admin/stations', { token: admin, body: { stationId: 'wdk-1', ...place, kind: 'walk-up' } });
  t.equal(a.status, 200);
  t.match(a.body, { code: 0, message: 'success' });
  t.match(a.body.data, { stationId: 'wdk-1', ...place, kind: 'walk-up', status: 'online', tariffId: 'default', availablePorts: 0, totalPorts: 0 });
  t.match(a.body.data.createdAt, /\+08:00$/, 'times in the platform zone');
  t.match(fakes.last('scheduler.createStation'), { stationId: 'wdk-1', kind: 'walk-up' });
  t.notOk('tariffId' in fakes.last('scheduler.createStation')!, 'no tariff named: the scheduler chooses default');
  const q = await api('POST', '/api/admin/stations', {
    token: admin, body: { stationId: 'far-1', name: '远站', address: '河北省廊坊市', latitude: 39.5, longitude: 116.7, kind: 'queue', tariffId: 'night' },
  });
  t.match(q.body.data, { stationId: 'far-1', kind: 'queue', tariffId: 'night' });
  t.equal(fakes.stations.size, before + 2);
  const all = await api('GET', '/api/admin/stations', { token: admin });
  t.equal(all.body.code, 0);
  t.same(all.body.data.map((s: any) => s.stationId).sort(), ['default', 'far-1', 'wdk-1']);
});

t.test('admin refusals: a user token, a duplicate id, a bad place; nothing stored', async (t) => {
  const size = fakes.stations.size;
  const calls = fakes.count('scheduler.createStation');
  const asUser = await api('POST', '/api/admin/stations', { token: user, body: { stationId: 'x-1', ...place, kind: 'queue' } });
  t.match(asUser, { status: 403, body: { code: 9003, data: null } });
  t.match(await api('GET', '/api/admin/stations', { token: user }), { status: 403, body: { code: 9003 } });
  t.match(await api('GET', '/api/admin/stations'), { status: 401, body: { code: 9002 } }, 'no token');
  for (const [body, why] of [
    [{ stationId: 'x-1', ...place, latitude: 90.5, kind: 'queue' }, 'latitude over 90'],
    [{ stationId: 'x-1', ...place, longitude: -181, kind: 'queue' }, 'longitude under -180'],
    [{ stationId: 'x-1', ...place, latitude: '39.9', kind: 'queue' }, 'a latitude as text (bodies are not coerced)'],
    [{ stationId: 'x-1', ...place, kind: 'drive-in' }, 'an unknown kind'],
    [{ stationId: 'x 1', ...place, kind: 'queue' }, 'a blank in the id'],
    [{ stationId: 'x-1', ...place, kind: 'queue', piles: 3 }, 'a field the route does not take'],
    [{ stationId: 'x-1', name: place.name, latitude: 1, longitude: 1, kind: 'queue' }, 'no address'],
  ] as const) {
    const r = await api('POST', '/api/admin/stations', { token: admin, body });
    t.match(r, { status: 400, body: { code: 9001, data: null } }, why);
  }
  t.equal(fakes.count('scheduler.createStation'), calls, 'none of these reached the scheduler');
  const dup = await api('POST', '/api/admin/stations', { token: admin, body: { stationId: 'wdk-1', ...place, name: 'other', kind: 'queue' } });
  t.match(dup, { status: 400, body: { code: 9005, message: /wdk-1/, data: null } }, 'a taken id');
  t.equal(fakes.stations.size, size, 'nothing stored');
  t.equal(fakes.stations.get('wdk-1')?.name, place.name, 'the first one stands');
});

t.test('GET /api/station/nearby: radius in metres (default 5000), nearest first, 004 page and fields', async (t) => {
  const here = { latitude: 39.97, longitude: 116.35 };
  const a = await api('GET', `/api/station/nearby?latitude=${here.latitude}&longitude=${here.longitude}`, { token: user });
  t.equal(a.status, 200);
  t.same(fakes.last('scheduler.stations'), { near: { ...here, radiusM: 5000 }, pageNum: 1, pageSize: 10 }, 'the defaults of 004:201-203');
  const page = a.body.data;
  t.same(Object.keys(page).sort(), ['list', 'pageNum', 'pageSize', 'pages', 'total']);
  t.match(page, { total: 2, pageNum: 1, pageSize: 10, pages: 1 });
  t.same(page.list.map((s: any) => s.id), ['default', 'wdk-1'], 'nearest first; far-1 (50 km) is outside 5 km');
  t.same(Object.keys(page.list[0]).sort(), LIST_FIELDS, "004's fields");
  t.match(page.list[0], { id: 'default', name: 'VoltQ 北邮充电站', status: 1, availablePorts: 1, totalPorts: 3, latitude: 39.9612 });
  t.ok(Math.abs(page.list[0].distance - 0.0088 * 111_195) < 0.01, `distance in metres, as the scheduler measured: ${page.list[0].distance}`);
  t.match(page.list[0].updateTime, /^\d{4}-\d\d-\d\dT.*\+08:00$/);
  t.match(page.list[1], { id: 'wdk-1', availablePorts: 0, totalPorts: 0 }, 'a walk-up station: no devices registered yet');
  // a wider radius and pages
  const p2 = await api('GET', `/api/station/nearby?latitude=39.97&longitude=116.35&radius=100000&pageNum=2&pageSize=2`, { token: user });
  t.same(fakes.last('scheduler.stations'), { near: { ...here, radiusM: 100_000 }, pageNum: 2, pageSize: 2 });
  t.match(p2.body.data, { total: 3, pageNum: 2, pageSize: 2, pages: 2 });
  t.same(p2.body.data.list.map((s: any) => s.id), ['far-1']);
  const none = await api('GET', '/api/station/nearby?latitude=0&longitude=0', { token: user });
  t.match(none.body.data, { total: 0, list: [], pages: 0 });
});

t.test('nearby refusals: bad coordinates, a bad radius, no token', async (t) => {
  const calls = fakes.count('scheduler.stations');
  for (const [q, why] of [
    ['latitude=91&longitude=116', 'latitude over 90'],
    ['latitude=-90.01&longitude=116', 'latitude under -90'],
    ['latitude=39&longitude=180.5', 'longitude over 180'],
    ['latitude=north&longitude=116', 'not a number'],
    ['longitude=116', 'no latitude'],
    ['latitude=39&longitude=116&radius=0', 'radius 0'],
    ['latitude=39&longitude=116&radius=-5', 'a negative radius'],
    ['latitude=39&longitude=116&pageSize=201', 'a page over 200'],
    ['latitude=39&longitude=116&city=beijing', 'a parameter 004 does not name'],
  ] as const) {
    t.match(await api('GET', `/api/station/nearby?${q}`, { token: user }), { status: 400, body: { code: 9001, data: null } }, why);
  }
  t.equal(fakes.count('scheduler.stations'), calls, 'none reached the scheduler');
  t.match(await api('GET', '/api/station/nearby?latitude=39&longitude=116'), { status: 401, body: { code: 9002 } });
});

t.test('GET /api/station/{id}: the station with its piles; an unknown id is 2001', async (t) => {
  const a = await api('GET', '/api/station/default', { token: user });
  t.equal(a.status, 200);
  const d = a.body.data;
  t.same(Object.keys(d).sort(), [...LIST_FIELDS.filter((f) => f !== 'distance'), 'piles'].sort(), "004:241-262's fields");
  t.match(d, { id: 'default', status: 1, availablePorts: 1, totalPorts: 3 });
  t.same(d.piles, [
    { id: 'default-F1', pileNo: 'F1', pileType: 1, status: 2, powerRate: 30, totalPorts: 1, availablePorts: 0 },
    { id: 'default-F2', pileNo: 'F2', pileType: 1, status: 1, powerRate: 30, totalPorts: 1, availablePorts: 1 },
    { id: 'default-T1', pileNo: 'T1', pileType: 2, status: 3, powerRate: 7, totalPorts: 1, availablePorts: 0 },
  ], 'pile type 1 fast / 2 slow, status 1 idle / 2 in use / 3 fault, power in kW');
  t.match((await api('GET', '/api/station/wdk-1', { token: user })).body.data, { id: 'wdk-1', piles: [], totalPorts: 0 });
  const unknown = await api('GET', '/api/station/nope', { token: user });
  t.match(unknown, { status: 404, body: { code: 2001, data: null } }, "004's station-not-found code");
  t.match(await api('GET', '/api/station/default'), { status: 401, body: { code: 9002 } });
});

t.test('GET /api/station/search: keyword over name and address; distances only with a point', async (t) => {
  const byAddress = await api('GET', `/api/station/search?keyword=${encodeURIComponent('海淀区')}`, { token: user });
  t.equal(byAddress.status, 200);
  t.same(fakes.last('scheduler.stations'), { keyword: '海淀区', pageNum: 1, pageSize: 10 });
  t.match(byAddress.body.data, { total: 2, pageNum: 1, pageSize: 10, pages: 1 });
  t.same(byAddress.body.data.list.map((s: any) => s.id).sort(), ['default', 'wdk-1']);
  t.ok(byAddress.body.data.list.every((s: any) => !('distance' in s)), 'no point: no distance (004:300)');
  t.same(Object.keys(byAddress.body.data.list[0]).sort(), LIST_FIELDS.filter((f) => f !== 'distance' && f !== 'description'),
    "004:290-304's fields (no description in search)");
  const withPoint = await api('GET', `/api/station/search?keyword=${encodeURIComponent('站')}&latitude=39.99&longitude=116.34`, { token: user });
  t.match(fakes.last('scheduler.stations'), { keyword: '站', near: { latitude: 39.99, longitude: 116.34 } });
  t.notOk('radiusM' in fakes.last('scheduler.stations')!.near!, 'search has no radius: every match');
  t.same(withPoint.body.data.list.map((s: any) => s.id), ['wdk-1', 'default', 'far-1'], 'nearest first');
  t.ok(withPoint.body.data.list.every((s: any) => typeof s.distance === 'number'));
  t.same(Object.keys(withPoint.body.data.list[0]).sort(), LIST_FIELDS.filter((f) => f !== 'description'));
  const none = await api('GET', '/api/station/search?keyword=nowhere', { token: user });
  t.match(none.body.data, { total: 0, list: [] });
  const calls = fakes.count('scheduler.stations');
  t.match(await api('GET', '/api/station/search', { token: user }), { status: 400, body: { code: 9001 } }, 'no keyword');
  t.match(await api('GET', '/api/station/search?keyword=a&latitude=39.9', { token: user }), { status: 400, body: { code: 9001, message: /both latitude and longitude/ } });
  t.match(await api('GET', '/api/station/search?keyword=a&latitude=95&longitude=1', { token: user }), { status: 400, body: { code: 9001 } });
  t.equal(fakes.count('scheduler.stations'), calls, 'none reached the scheduler');
});

t.test('PUT /api/admin/stations/{stationId} edits only the fields given; the list and the detail show the edit', async (t) => {
  const r = await api('PUT', '/api/admin/stations/wdk-1', { token: admin, body: { name: '五道口北站', tariffId: 'night', status: 'maintenance' } });
  t.equal(r.status, 200);
  t.match(r.body, { code: 0, message: 'success' });
  t.match(r.body.data, { stationId: 'wdk-1', name: '五道口北站', address: place.address, kind: 'walk-up', status: 'maintenance', tariffId: 'night' });
  t.same(Object.keys(r.body.data).sort(), ['address', 'availablePorts', 'createdAt', 'kind', 'latitude', 'longitude', 'name', 'stationId', 'status', 'tariffId', 'totalPorts', 'updateTime'],
    "the POST's answer");
  t.same(fakes.last('scheduler.updateStation'), { stationId: 'wdk-1', name: '五道口北站', tariffId: 'night', status: 'maintenance' }, 'only what was given');
  const all = await api('GET', '/api/admin/stations', { token: admin });
  t.match(all.body.data.find((s: any) => s.stationId === 'wdk-1'), { name: '五道口北站', tariffId: 'night', status: 'maintenance' });
  t.match((await api('GET', '/api/station/wdk-1', { token: user })).body.data, { name: '五道口北站', status: 2 }, "004's maintenance code");
  const moved = await api('PUT', '/api/admin/stations/wdk-1', { token: admin, body: { latitude: 39.99, longitude: 116.33 } });
  t.match(moved.body.data, { latitude: 39.99, longitude: 116.33, name: '五道口北站' });
});

t.test('PUT /api/admin/stations/{stationId} refusals: a user token, an unknown station, a bad body; nothing changed', async (t) => {
  const before = structuredClone(fakes.stations.get('wdk-1'));
  const asUser = await api('PUT', '/api/admin/stations/wdk-1', { token: user, body: { name: 'mine' } });
  t.match(asUser, { status: 403, body: { code: 9003, data: null } });
  t.match(await api('PUT', '/api/admin/stations/wdk-1', { body: { name: 'mine' } }), { status: 401, body: { code: 9002 } }, 'no token');
  const unknown = await api('PUT', '/api/admin/stations/nope', { token: admin, body: { name: 'x' } });
  t.match(unknown, { status: 404, body: { code: 2001, data: null } }, "004's station-not-found code");
  const calls = fakes.count('scheduler.updateStation');
  for (const [body, why] of [
    [{ latitude: 91 }, 'latitude over 90'],
    [{ longitude: 180.5 }, 'longitude over 180'],
    [{ latitude: '39.9' }, 'a latitude as text'],
    [{ name: '' }, 'an empty name'],
    [{ status: 'closed' }, 'an unknown status'],
    [{ kind: 'queue' }, 'the kind (it never changes)'],
    [{ stationId: 'other' }, 'the id (it never changes)'],
    [{ name: 'x', piles: 3 }, 'a field the route does not take'],
    [{}, 'nothing to change'],
  ] as const) {
    const r = await api('PUT', '/api/admin/stations/wdk-1', { token: admin, body });
    t.match(r, { status: 400, body: { code: 9001, data: null } }, why);
  }
  t.equal(fakes.count('scheduler.updateStation'), calls, 'none of these reached the scheduler');
  t.same(fakes.stations.get('wdk-1'), before, 'the station is as it was');
});

t.test('the OpenAPI documents the six routes', async (t) => {
  const spec = (await http.inject({ url: '/docs/json' })).json();
  for (const path of ['/api/station/nearby', '/api/station/search', '/api/station/{id}']) t.ok(spec.paths[path]?.get, `GET ${path}`);
  t.ok(spec.paths['/api/admin/stations']?.get && spec.paths['/api/admin/stations']?.post, 'GET and POST /api/admin/stations');
  t.ok(spec.paths['/api/admin/stations/{stationId}']?.put, 'PUT /api/admin/stations/{stationId}');
});

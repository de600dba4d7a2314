// Document 002's admin pages over real RPC: the station board, the pile switches, one pile's report and cars. Fake
// auth and fake scheduler/billing servers on the test's bus (the fake board: fixtures.ts board(); the fake report:
// fakes.ts billing.report); token in the `token` header.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { client002, refused002 } from '../../../support/d002-client.js';
import { board as fixtureBoard } from '../../../support/fixtures.js';

const h = await startServiceHarness({ label: 'gw002a', busName: 'gateway-d002-admin-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env({ TIME_ZONE: 'Asia/Shanghai' }), exit: false })).ctx.http;

const call = client002(http);
const refused = refused002;

const admin = (await call('POST', '/admin/login', { body: { account: 'admin', password: 'admin-pass-1' } })).body.data.token as string;
// the fake board's charging car on F1 is user 2's (no car); its waiting car is user 3's car V2: register them in order
const alice = (await call('POST', '/client/register', { body: { account: 'alice@example.com', password: 'alice-pass', name: 'Alice' } })).body.data.token as string;
const carol = await http.inject({ method: 'POST', url: '/u/register', payload: { username: 'carol', password: 'carol-pass-1', email: 'carol@example.com', license_plate: 'V2', battery_capcity: 55 } });
t.equal(carol.json().code, 200, 'user 3 with the car V2 (55 kWh)');

/** The CarBlock fields of 002's table (002:206–214). */
const BLOCK_FIELDS = ['apply_kwh', 'car_id', 'name', 'number', 'power_capacity', 'power_current', 'state', 'user_id', 'wait_time'];
/** The Charge fields of 002's table (002:194–204). */
const CHARGE_FIELDS = ['car_blocks', 'id', 'mode', 'name', 'state', 'total_charge', 'total_charge_duration', 'total_charge_fee', 'total_charge_service', 'total_charge_times', 'total_fee'];
// the fake report: F1 2 sessions, 80 min, 40 kWh, 23.50 + 32.00 = 55.50 yuan; T1 1 session, 1 h, 10.005 kWh, 7 + 8 = 15 yuan
const F1_TOTALS = { total_charge: 40, total_charge_times: 2, total_charge_duration: 1.33, total_charge_fee: 23.5, total_charge_service: 32, total_fee: 55.5 };
const T1_TOTALS = { total_charge: 10.01, total_charge_times: 1, total_charge_duration: 1, total_charge_fee: 7, total_charge_service: 8, total_fee: 15 };

t.test('the station board (GET /admin/index/manage)', async (t) => {
  const a = await call('GET', '/admin/index/manage', { token: admin });
  t.equal(a.status, 200);
  t.equal(a.body.code, 0);
  const station = a.body.data;
  t.match(station, { id: 'default', charge_array: Array, wait_array: Array }, 'data is the station (the field table), not data.station');
  t.same(station.charge_array.map((c: any) => c.id), ['F1', 'T1'], 'every pile, by its id');
  const [f1, t1] = station.charge_array;
  t.same(Object.keys(f1).sort(), CHARGE_FIELDS, "a pile has the table's fields");
  t.match(f1, { id: 'F1', mode: 'F', state: 'WORK', ...F1_TOTALS });
  t.match(t1, { id: 'T1', mode: 'T', state: 'FAULT', ...T1_TOTALS, car_blocks: [] }, 'a faulty slow pile with no car');
  t.equal(f1.car_blocks.length, 1, "F1's one car (the charging head)");
  t.same(Object.keys(f1.car_blocks[0]).sort(), BLOCK_FIELDS, "a car place has the table's fields");
  t.match(f1.car_blocks[0], { number: 'F1', user_id: '2', car_id: '', name: '', state: 'CHARGING', apply_kwh: 30, wait_time: 0, power_capacity: 0, power_current: 0 });
  t.equal(station.wait_array.length, 1);
  // the waiting car: user 3's V2 (55 kWh), 30 kWh asked, waiting 1 min = 0.02 h
  t.same(station.wait_array[0], { number: 'F2', car_id: 'V2', user_id: '3', name: 'V2', power_capacity: 55, power_current: 0, apply_kwh: 30, wait_time: 0.02, state: 'WAITING' });
  const report = fakes.last('billing.report');
  t.match(report, { stationId: 'default', fromMs: 0 }, 'totals of every bill');
  t.ok(report && report.toMs > fixtureBoard().timeMs, "up to the board's instant");
  t.equal(report?.pileNo, undefined, 'the whole station in one report');

  refused(t, await call('GET', '/admin/index/manage', { token: alice }), 'a user');
  refused(t, await call('GET', '/admin/index/manage'), 'no token');
});

t.test('switching piles (POST /admin/index/manage)', async (t) => {
  const switches = () => fakes.count('scheduler.pileStatus');
  const manage = (body: unknown, token = admin) => call('POST', '/admin/index/manage', { token, body });

  let before = switches();
  t.match((await manage({ mode: 'SWITCHOFF', switch_array: ['F1'] })).body, { code: 0, data: {} });
  t.same(fakes.last('scheduler.pileStatus'), { stationId: 'default', pileNo: 'F1', status: 'off' });
  t.equal(switches(), before + 1);

  before = switches();
  t.equal((await manage({ mode: 'SWITCHOFF', switch_array: ['F1', 'F1'] })).body.code, 0);
  t.equal(switches(), before + 1, 'a pile named twice is switched once');

  before = switches();
  t.equal((await manage({ mode: 'SWITCHON', switch_array: ['F1'] })).body.code, 0, 'a working pile switched on');
  t.equal((await manage({ mode: 'SWITCHOFF', switch_array: ['T1'] })).body.code, 0, 'a faulty pile switched off');
  t.equal((await manage({ mode: 'SWITCHON', switch_array: [] })).body.code, 0, 'no pile');
  t.equal(switches(), before, 'piles already where the switch puts them are left alone');

  // "all on" over the board: the faulty T1 is brought back, the working F1 left alone
  t.equal((await manage({ mode: 'SWITCHON', switch_array: ['F1', 'T1'] })).body.code, 0);
  t.same(fakes.last('scheduler.pileStatus'), { stationId: 'default', pileNo: 'T1', status: 'on' });
  t.equal(switches(), before + 1);

  before = switches();
  refused(t, await manage({ mode: 'SWITCHOFF', switch_array: ['F1', 'F9'] }), 'an unknown pile among known ones');
  refused(t, await manage({ mode: 'SWITCHOFF', switch_array: ['1'] }), 'a numeric id');
  refused(t, await manage({ mode: 'TOGGLE', switch_array: ['F1'] }), 'a bad mode');
  refused(t, await manage({ mode: 'switchoff', switch_array: ['F1'] }), 'a mode in small letters');
  refused(t, await manage({ switch_array: ['F1'] }), 'no mode');
  refused(t, await manage({ mode: 'SWITCHOFF' }), 'no switch_array');
  refused(t, await manage({ mode: 'SWITCHOFF', switch_array: 'F1' }), 'switch_array not an array');
  refused(t, await manage({ mode: 'SWITCHOFF', switch_array: ['F1'], station: 'other' }), 'an unknown field');
  refused(t, await manage({ mode: 'SWITCHOFF', switch_array: ['F1'] }, alice), 'a user');
  refused(t, await call('POST', '/admin/index/manage', { body: { mode: 'SWITCHOFF', switch_array: ['F1'] } }), 'no token');
  t.equal(switches(), before, 'nothing switched');
});

t.test("one pile's report and cars (GET /admin/index/report, /admin/index/charge)", async (t) => {
  const f1 = await call('GET', '/admin/index/report?charge_id=F1', { token: admin });
  t.equal(f1.body.code, 0);
  // the board's instant: T0 + 10 min = 2025-01-02 10:10:00 in Asia/Shanghai
  t.same(f1.body.data, { id: 'F1', name: 'F1', mode: 'F', state: 'WORK', ...F1_TOTALS, time: '2025-01-02 10:10:00' });
  t.match(fakes.last('billing.report'), { stationId: 'default', pileNo: 'F1', fromMs: 0 });
  t.match((await call('GET', '/admin/index/report?charge_id=T1', { token: admin })).body.data, { id: 'T1', mode: 'T', state: 'FAULT', ...T1_TOTALS });

  const cars = await call('GET', '/admin/index/charge?charge_id=F1', { token: admin });
  t.equal(cars.body.code, 0);
  t.match(cars.body.data, { id: 'F1', name: 'F1', mode: 'F', state: 'WORK' });
  t.same(Object.keys(cars.body.data).sort(), ['car_blocks', 'id', 'mode', 'name', 'state']);
  t.match(cars.body.data.car_blocks, [{ number: 'F1', user_id: '2', state: 'CHARGING', apply_kwh: 30 }]);
  t.equal(cars.body.data.car_blocks.length, 1);
  t.same((await call('GET', '/admin/index/charge?charge_id=T1', { token: admin })).body.data.car_blocks, [], 'a pile without cars');

  for (const path of ['report', 'charge']) {
    refused(t, await call('GET', `/admin/index/${path}?charge_id=F9`, { token: admin }), `${path}: an unknown pile`);
    refused(t, await call('GET', `/admin/index/${path}`, { token: admin }), `${path}: no charge_id`);
    refused(t, await call('GET', `/admin/index/${path}?charge_id=F1&extra=1`, { token: admin }), `${path}: an unknown query field`);
    refused(t, await call('GET', `/admin/index/${path}?charge_id=F1`, { token: alice }), `${path}: a user`);
    refused(t, await call('GET', `/admin/index/${path}?charge_id=F1`), `${path}: no token`);
  }
});

// Tariffs over real RPC (routes/tariffs.ts): GET/PUT /api/admin/tariffs and 004's GET /api/config/billing-rules
// (004:949–991), with fake auth and a fake billing on the test's bus (fakes.ts: billing.tariffs / putTariff).
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { billingRulesView, putTariffParams } from '../../../../src/dialects/d004/routes/tariffs.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({ label: 'gw004t', busName: 'gateway-d004-tariffs-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env({ TIME_ZONE: 'Asia/Shanghai' }), exit: false })).ctx.http;

async function api(method: 'GET' | 'PUT', url: string, opts: { token?: string; body?: unknown } = {}) {
  const res = await http.inject({
    method,
    url,
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
  });
  return { status: res.statusCode, body: res.json() as { code: number; message: string; data: any } };
}

const admin = (await http.inject({ method: 'POST', url: '/api/admin/login', payload: { username: 'admin', password: 'admin-pass-1' } })).json().data.token as string;
const user = (await http.inject({ method: 'POST', url: '/api/user/register', payload: { username: 'tariffuser', password: 'tariff-pass-1' } })).json().data.token as string;

/** 004's billing rule fields (004:963–978) and default rule fields (004:980–988). */
const RULE_FIELDS = ['description', 'effectiveDate', 'id', 'isActive', 'name', 'pileType', 'serviceFeeRate', 'timeRates'];
const DEFAULT_RULE_FIELDS = ['description', 'id', 'isActive', 'name', 'pileType', 'rate', 'serviceFeeRate'];
const TIME_RATE_FIELDS = ['endTime', 'rate', 'startTime', 'timeType'];

/** A five-tier day in 004's words. */
const timeRates = [
  { timeType: 5, startTime: '00:00', endTime: '06:00', rate: 0.2 },
  { timeType: 4, startTime: '06:00', endTime: '08:00', rate: 0.35 },
  { timeType: 3, startTime: '08:00', endTime: '11:00', rate: 0.6543 },
  { timeType: 1, startTime: '11:00', endTime: '13:00', rate: 1.4999 },
  { timeType: 3, startTime: '13:00', endTime: '17:00', rate: 0.6543 },
  { timeType: 2, startTime: '17:00', endTime: '24:00', rate: 1.0001 },
];
const body = (over: Record<string, unknown> = {}) => ({
  name: '快充站电价',
  description: 'walk-up',
  effectiveDate: '2026-01-01',
  rules: [
    { pileType: 1, serviceFeePerKwh: 0.6, timeRates },
    { pileType: 2, serviceFeeRate: 12.5, timeRates },
  ],
  ...over,
});

function refused(t: Pick<typeof import('tap').default, 'equal' | 'match'>, a: { status: number; body: { code: number; data: unknown } }, status: number, code: number, what: string) {
  t.equal(a.status, status, `${what}: HTTP ${status}`);
  t.match(a.body, { code, message: String, data: null }, `${what}: 004's shape, ${code}`);
}

t.test('PUT /api/admin/tariffs/{tariffId} stores a tariff; a new effective date adds a version', async (t) => {
  const a = await api('PUT', '/api/admin/tariffs/walkup', { token: admin, body: body() });
  t.equal(a.status, 200);
  t.equal(a.body.code, 0);
  t.match(a.body.data, { tariffId: 'walkup', name: '快充站电价', description: 'walk-up', updatedAt: /\+08:00$/ });
  t.equal(a.body.data.versions.length, 1);
  const [fast, slow] = a.body.data.versions[0].rules;
  t.match(a.body.data.versions[0], { effectiveDate: '2026-01-01', timeZone: 'Asia/Shanghai', isActive: true });
  t.same(fast, { pileType: 1, serviceFeePerKwh: 0.6, serviceFeeRate: null, timeRates });
  t.same(slow, { pileType: 2, serviceFeePerKwh: null, serviceFeeRate: 12.5, timeRates });
  // billing got exact integers: 0.6543 yuan/kWh = 6543 units of 1/10000
  const sent = fakes.last('billing.putTariff');
  t.equal(sent?.version.rules[0]?.windows[2]?.price, 6543);
  t.equal(sent?.version.rules[0]?.servicePrice, 6000);
  t.equal(sent?.version.rules[1]?.serviceRate, 125_000);
  t.equal(sent?.version.rules[0]?.windows[3]?.tier, 'sharp', 'timeType 1 is the sharp tier');

  const later = await api('PUT', '/api/admin/tariffs/walkup', { token: admin, body: body({ effectiveDate: '2099-01-01' }) });
  t.same(later.body.data.versions.map((v: any) => [v.effectiveDate, v.isActive]), [['2026-01-01', true], ['2099-01-01', false]], 'the older version stays, still in force');
});

t.test('GET /api/admin/tariffs lists every tariff', async (t) => {
  const a = await api('GET', '/api/admin/tariffs', { token: admin });
  t.equal(a.body.code, 0);
  t.same(a.body.data.map((x: any) => x.tariffId), ['default', 'walkup']);
  const def = a.body.data[0];
  // DESIGN.md "Billing": peak 10-15 and 18-21 at 1.0, flat 7-10, 15-18, 21-23 at 0.7, valley 23-07 at 0.4
  t.same(def.versions[0].rules[0].timeRates.map((r: any) => [r.timeType, r.startTime, r.endTime, r.rate]), [
    [3, '07:00', '10:00', 0.7], [2, '10:00', '15:00', 1], [3, '15:00', '18:00', 0.7],
    [2, '18:00', '21:00', 1], [3, '21:00', '23:00', 0.7], [4, '23:00', '07:00', 0.4],
  ], 'the default tariff in 004 words, by start time');
  t.equal(def.versions[0].rules[0].serviceFeePerKwh, 0.8, "the default's service fee 0.8 yuan/kWh");
});

t.test('GET /api/config/billing-rules: 004\'s fields, for any signed-in user', async (t) => {
  const a = await api('GET', '/api/config/billing-rules', { token: user });
  t.equal(a.status, 200);
  t.equal(a.body.code, 0);
  t.same(Object.keys(a.body.data).sort(), ['billingRules', 'defaultRule']);
  const rules = a.body.data.billingRules;
  for (const r of rules) {
    t.same(Object.keys(r).sort(), RULE_FIELDS, `rule ${r.id}: 004's fields`);
    for (const tr of r.timeRates) t.same(Object.keys(tr).sort(), TIME_RATE_FIELDS);
  }
  t.same(rules.map((r: any) => [r.id, r.pileType, r.effectiveDate, r.isActive]), [
    ['default:1:2000-01-01', 1, '2000-01-01', true],
    ['default:2:2000-01-01', 2, '2000-01-01', true],
    ['walkup:1:2026-01-01', 1, '2026-01-01', true],
    ['walkup:2:2026-01-01', 2, '2026-01-01', true],
    ['walkup:1:2099-01-01', 1, '2099-01-01', false],
    ['walkup:2:2099-01-01', 2, '2099-01-01', false],
  ], 'per tariff, pile type and version: in force now and to come');
  const slow = rules.find((r: any) => r.id === 'walkup:2:2026-01-01');
  t.equal(slow.serviceFeeRate, 12.5, 'a percentage service fee is serviceFeeRate');
  t.same(slow.timeRates, timeRates);
  const fast = rules.find((r: any) => r.id === 'walkup:1:2026-01-01');
  t.equal(fast.serviceFeeRate, null, 'a per-kWh service fee is no percentage');
  t.match(fast.description, /服务费 0\.6 元\/度/, 'it is in the description');
  t.same(Object.keys(a.body.data.defaultRule).sort(), DEFAULT_RULE_FIELDS);
  t.match(a.body.data.defaultRule, { id: 'default:1:2000-01-01', pileType: 1, rate: 0.7, serviceFeeRate: null, isActive: true });
  t.equal((await api('GET', '/api/config/billing-rules', { token: admin })).body.code, 0, 'an admin is signed in too');
  refused(t, await api('GET', '/api/config/billing-rules'), 401, 9002, 'no token');
});

t.test('refusals: no token, a user on an admin route, malformed tariffs; nothing stored', async (t) => {
  const before = JSON.stringify([...fakes.tariffs.values()]);
  const puts = () => fakes.count('billing.putTariff');
  const n = puts();
  refused(t, await api('GET', '/api/admin/tariffs'), 401, 9002, 'list without a token');
  refused(t, await api('GET', '/api/admin/tariffs', { token: user }), 403, 9003, 'list as a user');
  refused(t, await api('PUT', '/api/admin/tariffs/x1', { body: body() }), 401, 9002, 'put without a token');
  refused(t, await api('PUT', '/api/admin/tariffs/x1', { token: user, body: body() }), 403, 9003, 'put as a user');
  const schemaRefusals: Array<[string, unknown]> = [
    ['an unknown field', body({ owner: 'me' })],
    ['a negative rate', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates: [{ ...timeRates[0], rate: -0.1 }, ...timeRates.slice(1)] }, { pileType: 2, serviceFeeRate: 1, timeRates }] })],
    ['a timeType 6', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates: [{ ...timeRates[0], timeType: 6 }, ...timeRates.slice(1)] }, { pileType: 2, serviceFeeRate: 1, timeRates }] })],
    ['a pile type 3', body({ rules: [{ pileType: 3, serviceFeePerKwh: 0.6, timeRates }] })],
    ['a time 25:00', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates: [{ ...timeRates[0], endTime: '25:00' }] }] })],
    ['no name', { ...body(), name: undefined }],
    ['a rate with 5 decimals', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates: [{ ...timeRates[0], rate: 0.12345 }, ...timeRates.slice(1)] }, { pileType: 2, serviceFeeRate: 1, timeRates }] })],
    ['both service fees', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, serviceFeeRate: 3, timeRates }, { pileType: 2, serviceFeeRate: 1, timeRates }] })],
  ];
  for (const [what, b] of schemaRefusals) refused(t, await api('PUT', '/api/admin/tariffs/x1', { token: admin, body: b }), 400, 9001, what);
  t.equal(puts(), n, 'none of these reached billing');
  // refused by billing: a gap, an overlap, one pile type only, no such date
  const billingRefusals: Array<[string, unknown, RegExp]> = [
    ['a gap', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates: timeRates.slice(1) }, { pileType: 2, serviceFeeRate: 1, timeRates }] }), /uncovered/],
    ['an overlap', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates: [...timeRates, { timeType: 1, startTime: '12:00', endTime: '14:00', rate: 2 }] }, { pileType: 2, serviceFeeRate: 1, timeRates }] }), /overlap/],
    ['one pile type', body({ rules: [{ pileType: 1, serviceFeePerKwh: 0.6, timeRates }] }), /pile type/],
    ['30 February', body({ effectiveDate: '2026-02-30' }), /calendar date/],
  ];
  for (const [what, b, message] of billingRefusals) {
    const a = await api('PUT', '/api/admin/tariffs/x1', { token: admin, body: b });
    refused(t, a, 400, 9001, what);
    t.match(a.body.message, message, `${what}: says what is wrong`);
  }
  t.equal(JSON.stringify([...fakes.tariffs.values()]), before, 'nothing stored');
});

t.test('edge parsing: 004 numbers to exact integers', async (t) => {
  const p = putTariffParams('w', { name: 'w', effectiveDate: '2026-01-01', rules: [{ pileType: 1, serviceFeeRate: 0.0001, timeRates: [{ timeType: 3, startTime: '00:00', endTime: '24:00', rate: 0.7 }] }] });
  t.same(p.version.rules[0], { pileType: 1, windows: [{ tier: 'flat', from: '00:00', to: '24:00', price: 7000 }], serviceRate: 1 });
  t.throws(() => putTariffParams('w', { name: 'w', effectiveDate: '2026-01-01', rules: [{ pileType: 1, timeRates: [{ timeType: 3, startTime: '00:00', endTime: '24:00', rate: 0.7 }] }] }), { code: 'VALIDATION' }, 'no service fee');
});

t.test("defaultRule's rate without a flat tier: the price in force now", async (t) => {
  const version = (effectiveDate: string, effectiveFrom: number) => ({
    effectiveDate, effectiveFrom, timeZone: 'Asia/Shanghai',
    rules: [{ pileType: 1 as const, servicePrice: 8000, windows: [
      { tier: 'valley' as const, from: '22:00', to: '08:00', price: 3000 },
      { tier: 'peak' as const, from: '08:00', to: '22:00', price: 12000 },
    ] }],
  });
  const doc = { tariffId: 'default', name: 'd', description: '', updatedAt: 0, inForce: '2026-01-01', versions: [version('2026-01-01', Date.parse('2026-01-01T00:00:00+08:00'))] };
  const at = (iso: string) => billingRulesView([doc], { timeZone: 'Asia/Shanghai', nowMs: Date.parse(iso) }).defaultRule?.rate;
  t.equal(at('2026-06-01T23:30:00+08:00'), 0.3, 'valley across midnight');
  t.equal(at('2026-06-01T07:59:00+08:00'), 0.3);
  t.equal(at('2026-06-01T08:00:00+08:00'), 1.2, 'peak from 08:00');
  const view = billingRulesView([doc], { timeZone: 'Asia/Shanghai', nowMs: 0 });
  t.same(view.billingRules[0]?.timeRates.map((r) => r.timeType), [2, 4], 'by start time: 08:00 peak, 22:00 valley');
  t.equal(billingRulesView([], { timeZone: 'Asia/Shanghai', nowMs: 0 }).defaultRule, null, 'no default: null');
});

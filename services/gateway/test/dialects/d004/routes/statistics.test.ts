// GET /api/statistics/charging: the period on the platform clock sent to billing, the answer in 004's fields and
// units (s, kWh and yuan half-up, averages from the exact sums); a stand-in billing.statistics on the test's bus.
import t from 'tap';
import { rpcSchemas, type Statistics, type StatisticsParams } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { KWH } from '../../../support/fixtures.js';

const h = await startServiceHarness({ label: 'gw004s', busName: 'gateway-d004-stats-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
const asked: StatisticsParams[] = [];
// three sessions: 1 h + 20 min + 1 min, 30 + 10 + 0.005 kWh, 37.50 + 10.01 + 0.01 yuan
const answer: Statistics = {
  sessions: 3, durationMs: 4_860_000, energyWms: 40 * KWH + KWH / 200, totalFen: 4752,
  days: [{ date: '2025-01-01', sessions: 2, energyWms: 40 * KWH, totalFen: 4751 }, { date: '2025-01-02', sessions: 1, energyWms: KWH / 200, totalFen: 1 }],
};
await h.bus.serve('billing.statistics', async (params) => {
  asked.push(params);
  return answer;
});
const gateway = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const http = gateway.ctx.http;
const token = (await http.inject({ method: 'POST', url: '/api/user/register', payload: { username: 'sam004', password: 'sam-password' } })).json().data.token as string;
const get = async (url: string, bearer = token) => {
  const res = await http.inject({ url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: res.statusCode, body: res.json() };
};

t.test("the caller's statistics in 004's fields", async (t) => {
  const res = await get('/api/statistics/charging?period=all');
  t.equal(res.status, 200);
  t.same(res.body.data, {
    totalChargingTimes: 3,
    totalChargingDuration: 4860,
    totalPowerConsumption: 40.01,
    totalAmount: 47.52,
    averageChargingDuration: 1620,
    averagePowerConsumption: 13.34,
    averageAmount: 15.84,
    chargingTrend: [
      { date: '2025-01-01', chargingTimes: 2, powerConsumption: 40, amount: 47.51 },
      { date: '2025-01-02', chargingTimes: 1, powerConsumption: 0.01, amount: 0.01 },
    ],
  });
  t.match(asked.at(-1), { timeZone: 'Asia/Shanghai' });
  t.equal(asked.at(-1)?.fromMs, undefined, 'all: no bounds');
  t.equal(asked.at(-1)?.userId, JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub, "the caller's own");
});

t.test('periods: this week, month (the default) and year on the platform clock', async (t) => {
  const now = gateway.ctx.clock.now();
  const local = new Date(now + 8 * 3_600_000); // Beijing wall time as UTC fields
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  await get('/api/statistics/charging');
  t.same([asked.at(-1)?.fromMs, asked.at(-1)?.toMs], [Date.UTC(y, m, 1) - 8 * 3_600_000, Date.UTC(y, m + 1, 1) - 8 * 3_600_000], 'month by default');
  await get('/api/statistics/charging?period=year');
  t.same([asked.at(-1)?.fromMs, asked.at(-1)?.toMs], [Date.UTC(y, 0, 1) - 8 * 3_600_000, Date.UTC(y + 1, 0, 1) - 8 * 3_600_000]);
  await get('/api/statistics/charging?period=week');
  const week = asked.at(-1)!;
  t.equal(week.toMs! - week.fromMs!, 7 * 86_400_000, 'a week');
  t.equal(new Date(week.fromMs! + 8 * 3_600_000).getUTCDay(), 1, 'from a Monday, local midnight');
  t.ok(week.fromMs! <= now && now < week.toMs!, 'holding now');
});

t.test('refusals', async (t) => {
  const before = asked.length;
  t.match(await get('/api/statistics/charging?period=day'), { status: 400, body: { code: 9001 } });
  t.match(await get('/api/statistics/charging', ''), { status: 401, body: { code: 9002 } });
  t.equal(asked.length, before, 'billing was not asked');
});

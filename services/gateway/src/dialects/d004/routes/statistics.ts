// 004's `GET /api/statistics/charging` (004:869): the caller's sessions this week / month / year / ever, by the
// session's end on the platform clock, summed by billing from the caller's bills (both kinds of station).
import { Type } from '@sinclair/typebox';
import { principal, type Api } from '../../../core/context.js';
import { periodHolding } from '../../../core/parse.js';
import { averageOf, kwh, seconds, yuan } from '../../../core/units.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { Closed, responses } from '../schemas.js';

const StatisticsQuery = Closed({
  period: Type.Union([Type.Literal('week'), Type.Literal('month'), Type.Literal('year'), Type.Literal('all')], { default: 'month', description: 'week: this ISO week, month, year: this calendar one, all: ever' }),
});
const Statistics004 = Type.Object({
  totalChargingTimes: Type.Integer(),
  totalChargingDuration: Type.Integer({ description: 's' }),
  totalPowerConsumption: Type.Number({ description: 'kWh' }),
  totalAmount: Type.Number({ description: 'yuan' }),
  averageChargingDuration: Type.Integer({ description: 's' }),
  averagePowerConsumption: Type.Number({ description: 'kWh' }),
  averageAmount: Type.Number({ description: 'yuan' }),
  chargingTrend: Type.Array(Type.Object({ date: Type.String(), chargingTimes: Type.Integer(), powerConsumption: Type.Number(), amount: Type.Number() })),
});

export function statisticsRoutes(api: Api, deps: RouteDeps): void {
  api.get('/statistics/charging', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's charging statistics and the trend per day", security: [{ bearerAuth: [] }], querystring: StatisticsQuery, response: responses(Statistics004) },
    config: { resource: 'bill' },
  }, async (req) => {
    const { period } = req.query;
    const range = period === 'all' ? {} : periodHolding(period, deps.fmt().nowMs, deps.timeZone);
    const s = await deps.call(req, 'billing.statistics', { userId: principal(req).userId, timeZone: deps.timeZone, ...range });
    return ok({
      totalChargingTimes: s.sessions,
      totalChargingDuration: seconds(s.durationMs),
      totalPowerConsumption: kwh(s.energyWms),
      totalAmount: yuan(s.totalFen),
      averageChargingDuration: seconds(averageOf(s.durationMs, s.sessions)),
      averagePowerConsumption: kwh(averageOf(s.energyWms, s.sessions)),
      averageAmount: yuan(averageOf(s.totalFen, s.sessions)),
      chargingTrend: s.days.map((d) => ({ date: d.date, chargingTimes: d.sessions, powerConsumption: kwh(d.energyWms), amount: yuan(d.totalFen) })),
    });
  });
}

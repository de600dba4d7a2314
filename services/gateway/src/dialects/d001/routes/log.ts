// 001's history: `GET /user/log` (001:163) and `GET /user/lognew` (001:229), the caller's latest `num` past orders
// (finished or cancelled, newest first), one record per order. `/user/log` answers the records as a list (its table
// shows one record's fields and no envelope), `/user/lognew` inside `{code: 200, log}` (docs/api/001.md).
import { Type } from '@sinclair/typebox';
import { principal, type Api } from '../../../core/context.js';
import { listOrders } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { OK } from '../envelope.js';
import { logNewRecord001, logRecord001 } from '../format.js';

const LogQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096 })),
  // "如果不填写则默认返回10个" (001:182): required in the table, with a default
  num: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
}, { additionalProperties: false });

export function logRoutes(api: Api, deps: RouteDeps): void {
  const pastOrders = async (req: Parameters<typeof principal>[0], num: number) =>
    (await listOrders(deps, req, { userId: principal(req).userId, pageNum: 1, pageSize: num, states: ['finished', 'cancelled'] })).items;

  api.get('/user/log', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's latest past orders, as a list of records", querystring: LogQuery },
    config: { resource: 'order' },
  }, async (req) => (await pastOrders(req, req.query.num)).map((o) => logRecord001(o, deps.timeZone)));

  api.get('/user/lognew', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's latest past orders inside {code, log}", querystring: LogQuery },
    config: { resource: 'order' },
  }, async (req) => ({ code: OK, log: (await pastOrders(req, req.query.num)).map((o) => logNewRecord001(o, deps.timeZone)) }));
}

// 003's admin login (003:34), one pile's queue (003:86), every pile's state and totals (003:139) and the pile switch
// (003:192): `on`/`off`/`repair` go to scheduler.pileStatus (switching off or to repair a busy pile runs rule 5);
// `offline` has no platform state and is refused (docs/api/003.md). Piles have integer ids (core/numeric-ids.ts).
import { Type } from '@sinclair/typebox';
import type { PileState } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { numericPileId, pileNoOfNumericId } from '../../../core/numeric-ids.js';
import { hours, kwh, seconds } from '../../../core/units.js';
import { adminLogin, carKey, carsOf, pileTotals, stationBoard } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';

const Failure = Type.Object({ code: Type.Integer(), msg: Type.String() });
const responses = <T extends ReturnType<typeof Type.Object>>(answer: T) => ({ 200: Type.Union([answer, Failure]) });
const LoginBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const SetQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096 })),
  id: Type.Integer({ minimum: 1 }),
  status: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('repair'), Type.Literal('offline')]),
}, { additionalProperties: false });
const Token = Type.Optional(Type.String({ maxLength: 4096 }));
const QueueQuery = Type.Object({ token: Token, id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const TokenOnly = Type.Object({ token: Token }, { additionalProperties: false });
const QueueAnswer = Type.Object({
  code: Type.Integer(),
  msg: Type.String(),
  data: Type.Array(Type.Object({ user_id: Type.String(), battery_capacity: Type.Number(), request_quantity: Type.Number(), waiting_time: Type.Integer() })),
});
const StatusAnswer = Type.Object({
  code: Type.Integer(),
  msg: Type.String(),
  data: Type.Array(Type.Object({
    charging_station_id: Type.Integer(),
    status: Type.String(),
    total_charging_times: Type.Integer(),
    total_charging_power: Type.Number(),
    total_charging_duration: Type.Number(),
  })),
});

/** 003's words for a pile state (003:185 lists on/off/repair): a faulty or offline pile needs repair. */
const STATUS_003: Record<PileState, 'on' | 'off' | 'repair'> = { idle: 'on', charging: 'on', off: 'off', fault: 'repair', offline: 'repair' };

export function pileRoutes(api: Api, deps: RouteDeps): void {
  api.post('/a/login', {
    schema: { tags: [TAG], summary: 'admin log in -> token', body: LoginBody, response: responses(Type.Object({ code: Type.Integer(), msg: Type.String(), token: Type.String() })) },
    config: { resource: 'login' },
  }, async (req, reply) => {
    const result = await adminLogin(deps, req, reply, req.body);
    return ok('登录成功', { token: result.token });
  });

  api.post('/admin/charge/status/set', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'switch a pile on / off / repair', querystring: SetQuery, response: responses(Failure) },
    config: { resource: 'pile' },
  }, async (req) => {
    const { id, status } = req.query;
    if (status === 'offline') throw new DomainError('VALIDATION', 'offline cannot be set by an admin: a pile goes offline when its connection is lost');
    const pileNo = pileNoOfNumericId(id);
    if (!pileNo) throw new DomainError('NOT_FOUND', `no pile ${id}`, { resource: 'pile' });
    await deps.call(req, 'scheduler.pileStatus', { stationId: deps.defaultStationId, pileNo, status });
    return ok('设置成功');
  });

  api.get('/admin/charge/queue', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "one pile's cars, head first", querystring: QueueQuery, response: responses(QueueAnswer) },
    config: { resource: 'pile' },
  }, async (req) => {
    const { id } = req.query;
    const pileNo = pileNoOfNumericId(id);
    const pile = pileNo === undefined ? undefined : (await stationBoard(deps, req)).piles.find((p) => p.pileNo === pileNo);
    if (!pile) throw new DomainError('NOT_FOUND', `no pile ${id}`, { resource: 'pile' });
    const cars = await carsOf(deps, req, pile.queue);
    return ok('获取成功', {
      data: pile.queue.map((e) => ({
        user_id: e.userId,
        battery_capacity: kwh(cars.get(carKey(e))?.capacityWms ?? 0),
        request_quantity: kwh(e.energyWms),
        waiting_time: seconds(e.waitingMs ?? 0),
      })),
    });
  });

  api.get('/admin/charge/status/get', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "every pile's state and totals", querystring: TokenOnly, response: responses(StatusAnswer) },
    config: { resource: 'station' },
  }, async (req) => {
    const b = await stationBoard(deps, req);
    const rows = await pileTotals(deps, req, b);
    return ok('获取成功', {
      data: b.piles.map((p) => {
        const row = rows.get(p.pileNo);
        return {
          charging_station_id: numericPileId(p.pileNo),
          status: STATUS_003[p.state],
          total_charging_times: row?.sessions ?? 0,
          total_charging_power: kwh(row?.energyWms ?? 0),
          total_charging_duration: hours(row?.durationMs ?? 0),
        };
      }),
    });
  });
}

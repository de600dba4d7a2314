// 003's admin login (003:34) and pile switch (003:200): `on`/`off`/`repair` go to scheduler.pileStatus (switching
// off or to repair a busy pile runs rule 5); `offline` has no platform state and is refused (docs/api/003.md).
import { Type } from '@sinclair/typebox';
import { DomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { pileNoOfNumericId } from '../../../core/numeric-ids.js';
import { adminLogin } from '../../../core/use-cases.js';
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
}

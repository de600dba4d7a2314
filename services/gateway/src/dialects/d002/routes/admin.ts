// Document 002's admin pages: login and home page (the station board, switches, reports: not served yet).
import type { Api } from '../../../core/context.js';
import { adminLogin } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { LoginBody } from '../schemas.js';

export function adminRoutes(api: Api, deps: RouteDeps): void {
  api.post('/admin/login', { schema: { tags: [TAG], summary: 'admin log in', body: LoginBody }, config: { resource: 'login' } }, async (req, reply) => {
    const result = await adminLogin(deps, req, reply, { username: req.body.account, password: req.body.password });
    return ok({ token: result.token, account: req.body.account }, '登录成功');
  });

  api.get('/admin/index', { onRequest: deps.admin, schema: { tags: [TAG], summary: 'admin home page', security: [{ token: [] }] } }, async () => ok({}));
}

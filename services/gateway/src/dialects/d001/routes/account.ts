// 001 `POST /login` (001:10) and `POST /register` (001:54): every parameter in the query string (001:26, 001:70).
import { Type } from '@sinclair/typebox';
import type { Api } from '../../../core/context.js';
import { login, register } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { OK } from '../envelope.js';

const Name = Type.String({ minLength: 1, maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: 128 });

export function accountRoutes(api: Api, deps: RouteDeps): void {
  api.post('/login', {
    config: { resource: 'login' },
    schema: {
      tags: [TAG],
      summary: 'Log in (001:10); username and password in the query string',
      querystring: Type.Object({ username: Name, password: Password }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { token } = await login(deps, req, reply, { username: req.query.username, password: req.query.password });
    return { code: OK, token };
  });

  api.post('/register', {
    config: { resource: 'register' },
    schema: {
      tags: [TAG],
      summary: 'Register (001:54); `code` is a verification code no endpoint issues: any non-empty one is accepted and not sent on',
      querystring: Type.Object({ username: Name, password: Password, code: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { token } = await register(deps, req, reply, { username: req.query.username, password: req.query.password });
    return { code: OK, token };
  });
}

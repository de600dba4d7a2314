// Document 004 users (register, login, info) and the platform's admin login.
import type { LoginResult } from '@voltq/contracts';
import { ok, principal, type Api, type RouteDeps } from '../context.js';
import { iso, numericUserId } from '../format.js';
import { AdminToken, LoginBody, Login004, RegisterBody, UserInfo004, responses } from '../schemas.js';

/** Balance and points belong to billing's accounts, which have no RPC yet: 004 shows 0. */
function login004(result: LoginResult) {
  return { token: result.token, userId: numericUserId(result.userId), openId: '', balance: 0, points: 0 };
}

export function userRoutes(api: Api, deps: RouteDeps): void {
  api.post('/user/register', {
    schema: { tags: ['users'], summary: 'register (and log in)', body: RegisterBody, response: responses(Login004) },
    config: { resource: 'register' },
  }, async (req) => ok(login004(await deps.call(req, 'auth.register', req.body)), '注册成功'));

  api.post('/user/login', {
    schema: { tags: ['users'], summary: 'log in with username and password', body: LoginBody, response: responses(Login004) },
    config: { resource: 'login' },
  }, async (req) => ok(login004(await deps.call(req, 'auth.login', req.body)), '登录成功'));

  api.get('/user/info', {
    onRequest: deps.user,
    schema: { tags: ['users'], summary: 'the caller', security: [{ bearerAuth: [] }], response: responses(UserInfo004) },
    config: { resource: 'user' },
  }, async (req) => {
    const info = await deps.call(req, 'auth.userInfo', { userId: principal(req).userId });
    return ok({
      userId: numericUserId(info.userId),
      openId: '',
      nickname: info.nickname,
      avatar: info.avatar,
      gender: info.gender,
      country: '',
      province: '',
      city: '',
      language: '',
      balance: 0,
      points: 0,
      lastLoginTime: iso(info.lastLoginAt, deps.timeZone),
    });
  });

  api.post('/admin/login', {
    schema: { tags: ['admin'], summary: 'admin log in', body: LoginBody, response: responses(AdminToken) },
    config: { resource: 'login' },
  }, async (req) => ok({ token: (await deps.call(req, 'auth.adminLogin', req.body)).token }, '登录成功'));
}

// Document 004 users (register, login, info) and the platform's admin login. Logins and registrations run under
// the failed-attempt limits (domain/rate-limit.ts): 429 / 9006 with Retry-After.
import type { FastifyRequest } from 'fastify';
import type { LoginResult } from '@voltq/contracts';
import { definedFields } from '@voltq/kit';
import { principal, type Api } from '../../../core/context.js';
import { TAG, type RouteDeps } from '../context.js';
import { adminLogin, login, register } from '../../../core/use-cases.js';
import { ok } from '../envelope.js';
import { Type } from '@sinclair/typebox';
import { iso, yuan } from '../../../core/units.js';
import { carView, numericUserId } from '../format.js';
import { energyWmsFromKwh } from '../../../core/parse.js';
import { AdminToken, WechatLoginBody, CarBody, CarIdPath, CarView, CardBody, CardIdPath, CardView004, LoginBody, Login004, RegisterBody, UpdateProfileBody, UserInfo004, responses } from '../schemas.js';

/**
 * 004's `openId` (004:78): the user's WeChat openid; "if the openid is empty the system makes a default one, in the
 * form user_{userId}" (004:78), shown, not stored.
 */
function openIdOf(userId: string, openId: string | undefined): string {
  return openId ?? `user_${numericUserId(userId)}`;
}

export function userRoutes(api: Api, deps: RouteDeps): void {
  /** 004's login answer: the token, the user's ids and balance (billing's ledger); points are not kept (0). */
  const login004 = async (req: FastifyRequest, result: LoginResult) => {
    const { balanceFen } = await deps.call(req, 'billing.balance', { userId: result.userId });
    return { token: result.token, userId: numericUserId(result.userId), openId: openIdOf(result.userId, result.openId), balance: yuan(balanceFen), points: 0 };
  };

  api.post('/user/wechat/login', {
    schema: { tags: [TAG], summary: "the mini-program's login: WeChat's code (wx.login) -> a token; the first login creates the user", body: WechatLoginBody, response: responses(Login004) },
    config: { resource: 'wechat' },
  }, async (req) => {
    const { code, userInfo } = req.body;
    const profile = userInfo === undefined ? undefined : definedFields({
      nickname: userInfo.nickName, avatar: userInfo.avatarUrl, gender: userInfo.gender,
      country: userInfo.country, province: userInfo.province, city: userInfo.city, language: userInfo.language,
    }, ['nickname', 'avatar', 'gender', 'country', 'province', 'city', 'language']);
    const result = await deps.call(req, 'auth.wechatLogin', { code, ...(profile !== undefined ? { profile } : {}) });
    return ok(await login004(req, result), '登录成功');
  });

  api.post('/user/register', {
    schema: { tags: [TAG], summary: 'register (and log in)', body: RegisterBody, response: responses(Login004) },
    config: { resource: 'register' },
  }, async (req, reply) => {
    const result = await register(deps, req, reply, req.body);
    return ok(await login004(req, result), '注册成功');
  });

  api.post('/user/login', {
    schema: { tags: [TAG], summary: 'log in with username and password', body: LoginBody, response: responses(Login004) },
    config: { resource: 'login' },
  }, async (req, reply) => {
    const result = await login(deps, req, reply, req.body);
    return ok(await login004(req, result), '登录成功');
  });

  api.get('/user/info', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'the caller', security: [{ bearerAuth: [] }], response: responses(UserInfo004) },
    config: { resource: 'user' },
  }, async (req) => {
    const userId = principal(req).userId;
    const [info, balance] = await Promise.all([deps.call(req, 'auth.userInfo', { userId }), deps.call(req, 'billing.balance', { userId })]);
    return ok({
      userId: numericUserId(info.userId),
      openId: openIdOf(info.userId, info.openId),
      nickname: info.nickname,
      avatar: info.avatar,
      gender: info.gender,
      country: info.country ?? '',
      province: info.province ?? '',
      city: info.city ?? '',
      language: info.language ?? '',
      // billing's ledger (document 002's recharges credit it)
      balance: yuan(balance.balanceFen),
      points: 0,
      lastLoginTime: iso(info.lastLoginAt, deps.timeZone),
    });
  });

  api.put('/user/update', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "update the caller's profile", security: [{ bearerAuth: [] }], body: UpdateProfileBody, response: responses(Type.Null()) },
    config: { resource: 'user' },
  }, async (req) => {
    await deps.call(req, 'auth.updateProfile', { ...req.body, userId: principal(req).userId });
    return ok(null, '更新成功');
  });

  api.get('/user/cars', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's cars", security: [{ bearerAuth: [] }], response: responses(Type.Array(CarView)) },
    config: { resource: 'car' },
  }, async (req) => {
    const { items } = await deps.call(req, 'auth.listCars', { userId: principal(req).userId });
    return ok(items.map((c) => carView(c, deps.fmt())));
  });

  api.post('/user/cars', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'add a car (plate unique per user)', security: [{ bearerAuth: [] }], body: CarBody, response: responses(CarView) },
    config: { resource: 'car' },
  }, async (req) => {
    const { plate, carId, capacityKwh } = req.body;
    const car = await deps.call(req, 'auth.addCar', {
      userId: principal(req).userId,
      plate,
      ...(carId !== undefined ? { carId } : {}),
      ...(capacityKwh !== undefined ? { capacityWms: energyWmsFromKwh(capacityKwh, 'capacityKwh') } : {}),
    });
    return ok(carView(car, deps.fmt()));
  });

  api.delete('/user/cars/:carId', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'remove a car', security: [{ bearerAuth: [] }], params: CarIdPath, response: responses(CarView) },
    config: { resource: 'car' },
  }, async (req) => ok(carView(await deps.call(req, 'auth.removeCar', { userId: principal(req).userId, carId: req.params.carId }), deps.fmt())));

  // RFID cards (DESIGN.md "Platform additions"): a session a pile starts with one is its owner's
  const cardView = (c: { cardId: string; createdAt: number }) => ({ cardId: c.cardId, createdAt: iso(c.createdAt, deps.timeZone) ?? '' });
  api.get('/user/cards', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's RFID cards, oldest first", security: [{ bearerAuth: [] }], response: responses(Type.Array(CardView004)) },
    config: { resource: 'card' },
  }, async (req) => ok((await deps.call(req, 'auth.listCards', { userId: principal(req).userId })).items.map(cardView)));

  api.post('/user/cards', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "bind an RFID card (another user's card: 9005)", security: [{ bearerAuth: [] }], body: CardBody, response: responses(CardView004) },
    config: { resource: 'card' },
  }, async (req) => ok(cardView(await deps.call(req, 'auth.addCard', { userId: principal(req).userId, cardId: req.body.cardId }))));

  api.delete('/user/cards/:cardId', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'unbind a card', security: [{ bearerAuth: [] }], params: CardIdPath, response: responses(CardView004) },
    config: { resource: 'card' },
  }, async (req) => ok(cardView(await deps.call(req, 'auth.removeCard', { userId: principal(req).userId, cardId: req.params.cardId }))));

  api.post('/admin/login', {
    schema: { tags: [TAG], summary: 'admin log in', body: LoginBody, response: responses(AdminToken) },
    config: { resource: 'login' },
  }, async (req, reply) => {
    const result = await adminLogin(deps, req, reply, req.body);
    return ok({ token: result.token }, '登录成功');
  });
}

// 000's accounts: login (000:34), register (000:84; registered means logged in), the caller's detail (000:140).
import { DomainError } from '@voltq/kit';
import { principal, type Api } from '../../../core/context.js';
import { energyWmsFromKwh } from '../../../core/parse.js';
import { iso, kwh } from '../../../core/units.js';
import { login, register } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { DetailAnswer, LoginBody, RegisterBody, TokenAnswer, TokenQuery, responses } from '../schemas.js';

/** A form or JSON number -> number (the schema has checked its digits). */
export function formNumber(value: number | string): number {
  return typeof value === 'number' ? value : Number(value.trim());
}

export function accountRoutes(api: Api, deps: RouteDeps): void {
  api.post('/u/login', {
    schema: { tags: [TAG], summary: 'log in (username, password) -> token', body: LoginBody, response: responses(TokenAnswer) },
    config: { resource: 'login' },
  }, async (req, reply) => {
    const result = await login(deps, req, reply, req.body);
    return ok('登录成功', { token: result.token });
  });

  api.post('/u/register', {
    schema: { tags: [TAG], summary: 'register (and log in) -> token', body: RegisterBody, response: responses(TokenAnswer) },
    config: { resource: 'register' },
  }, async (req, reply) => {
    const { username, password, email, license_plate: plate, battery_capcity, battery_capacity } = req.body;
    const capacity = battery_capcity ?? battery_capacity;
    if (capacity !== undefined && plate === undefined) throw new DomainError('VALIDATION', 'battery_capcity describes a car: send license_plate with it');
    const result = await register(deps, req, reply, {
      username,
      password,
      email,
      ...(plate !== undefined ? { carId: plate } : {}),
      ...(capacity !== undefined ? { carCapacityWms: energyWmsFromKwh(formNumber(capacity), 'battery_capcity') } : {}),
    });
    return ok('注册成功', { token: result.token });
  });

  api.get('/user/detail', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'the caller', querystring: TokenQuery, response: responses(DetailAnswer) },
    config: { resource: 'user' },
  }, async (req) => {
    const info = await deps.call(req, 'auth.userInfo', { userId: principal(req).userId });
    const car = info.cars[0];
    const createdAt = iso(info.createdAt, deps.timeZone) ?? '';
    return ok('获取用户信息成功', {
      data: {
        user_id: info.userId,
        username: info.username,
        email: info.email ?? '',
        license_plate: car?.plate ?? car?.carId ?? '',
        battery_capacity: car?.capacityWms !== undefined ? kwh(car.capacityWms) : 0,
        created_at: createdAt,
        // auth keeps no update time: the latest login, else the creation
        updated_at: iso(info.lastLoginAt, deps.timeZone) ?? createdAt,
      },
    });
  });
}

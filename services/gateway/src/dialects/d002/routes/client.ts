// Document 002's client pages: account, profile, cars, the current order, recharge, home page.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { RECHARGE_MAX_FEN } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { principal, type Api } from '../../../core/context.js';
import { energyWmsFromKwh } from '../../../core/parse.js';
import { cancelAndWaitForBill, currentRequest, listOrders, login, modifyRequest, register, requestCharge } from '../../../core/use-cases.js';
import { yuan } from '../../../core/units.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { car002, modeFrom002, order002 } from '../format.js';
import { fenFromYuanText } from '../../../core/parse.js';
import { CarBody, CarPatchBody, CarRefBody, InformationBody, LoginBody, OrderBody, OrderPatchBody, OrderQuery, OrderRefBody, RechargeQuery, RegisterBody } from '../schemas.js';

const security = [{ token: [] }];
/** order.list's page for HISTORY: 002 documents no paging, so the newest 100 past orders. */
const HISTORY_SIZE = 100;

export function clientRoutes(api: Api, deps: RouteDeps): void {
  const balanceYuan = async (req: FastifyRequest, userId: string) => yuan((await deps.call(req, 'billing.balance', { userId })).balanceFen);
  const me = async (req: FastifyRequest) => {
    const userId = principal(req).userId;
    const [info, cars, balance] = await Promise.all([
      deps.call(req, 'auth.userInfo', { userId }),
      deps.call(req, 'auth.listCars', { userId }),
      balanceYuan(req, userId),
    ]);
    return { id: info.userId, account: info.username, name: info.nickname, car_array: cars.items.map((c) => car002(c, userId)), balance };
  };

  api.post('/client/register', { schema: { tags: [TAG], summary: 'register (and log in)', body: RegisterBody }, config: { resource: 'register' } }, async (req, reply) => {
    const { account, password, name } = req.body;
    const result = await register(deps, req, reply, { username: account, password, nickname: name, email: account });
    return ok({ token: result.token }, '注册成功');
  });

  api.post('/client/login', { schema: { tags: [TAG], summary: 'log in', body: LoginBody }, config: { resource: 'login' } }, async (req, reply) => {
    const result = await login(deps, req, reply, { username: req.body.account, password: req.body.password });
    return ok({ token: result.token }, '登录成功');
  });

  api.get('/client/index', { onRequest: deps.user, schema: { tags: [TAG], summary: 'home page: the caller', security }, config: { resource: 'user' } },
    async (req) => ok(await me(req)));

  api.get('/client/index/information', { onRequest: deps.user, schema: { tags: [TAG], summary: 'the caller, cars and balance', security }, config: { resource: 'user' } },
    async (req) => ok(await me(req)));

  api.post('/client/index/information', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'change name and/or password', security, body: InformationBody },
    config: { resource: 'user' },
  }, async (req) => {
    const userId = principal(req).userId;
    const { name, old_password: oldPassword, new_password: newPassword } = req.body;
    if ((oldPassword === undefined) !== (newPassword === undefined)) throw new DomainError('VALIDATION', 'old_password and new_password go together');
    if (name === undefined && oldPassword === undefined) throw new DomainError('VALIDATION', 'nothing to change: send name and/or old_password with new_password');
    // the password first: a wrong old password changes nothing, not even the name
    if (oldPassword !== undefined && newPassword !== undefined) await deps.call(req, 'auth.changePassword', { userId, oldPassword, newPassword });
    if (name !== undefined) await deps.call(req, 'auth.updateProfile', { userId, nickname: name });
    return ok({}, '修改成功');
  });

  api.get('/client/index/car', { onRequest: deps.user, schema: { tags: [TAG], summary: "the caller's cars", security }, config: { resource: 'car' } }, async (req) => {
    const userId = principal(req).userId;
    const { items } = await deps.call(req, 'auth.listCars', { userId });
    return ok(items.map((c) => car002(c, userId)));
  });

  api.post('/client/index/car', { onRequest: deps.user, schema: { tags: [TAG], summary: 'add a car', security, body: CarBody }, config: { resource: 'car' } }, async (req) => {
    const capacity = req.body.power_capacity;
    await deps.call(req, 'auth.addCar', {
      userId: principal(req).userId,
      plate: req.body.name,
      ...(capacity !== undefined && capacity !== null ? { capacityWms: energyWmsFromKwh(capacity, 'power_capacity') } : {}),
    });
    return ok({}, '添加成功!');
  });

  api.patch('/client/index/car', { onRequest: deps.user, schema: { tags: [TAG], summary: 'change a car', security, body: CarPatchBody }, config: { resource: 'car' } }, async (req) => {
    const { car_id: carId, name, power_capacity: capacity } = req.body;
    await deps.call(req, 'auth.updateCar', {
      userId: principal(req).userId,
      carId,
      ...(name !== undefined ? { plate: name } : {}),
      ...(capacity !== undefined ? { capacityWms: energyWmsFromKwh(capacity, 'power_capacity') } : {}),
    });
    return ok({}, '修改成功');
  });

  api.delete('/client/index/car', { onRequest: deps.user, schema: { tags: [TAG], summary: 'remove a car', security, body: CarRefBody }, config: { resource: 'car' } }, async (req) => {
    await deps.call(req, 'auth.removeCar', { userId: principal(req).userId, carId: req.body.car_id });
    return ok({}, '删除成功');
  });

  api.get('/client/index/order', { onRequest: deps.user, schema: { tags: [TAG], summary: 'the current order or the past ones', security, querystring: OrderQuery }, config: { resource: 'order' } }, async (req) => {
    const userId = principal(req).userId;
    if (req.query.mode === 'CURRENT') {
      try {
        return ok([order002(await currentRequest(deps, req, userId), deps.timeZone)]);
      } catch (err) {
        if (err instanceof DomainError && err.code === 'NOT_FOUND') return ok([]);
        throw err;
      }
    }
    const page = await listOrders(deps, req, { userId, pageNum: 1, pageSize: HISTORY_SIZE, states: ['finished', 'cancelled', 'refused'] });
    return ok(page.items.map((o) => order002(o, deps.timeZone)));
  });

  api.post('/client/index/order', { onRequest: deps.user, schema: { tags: [TAG], summary: 'create the current order', security, body: OrderBody }, config: { resource: 'order' } }, async (req) => {
    const order = await requestCharge(deps, req, {
      userId: principal(req).userId,
      mode: modeFrom002(req.body.mode),
      energyWms: energyWmsFromKwh(req.body.apply_kwh, 'apply_kwh'),
      carId: req.body.car_id,
    });
    return ok(order002(order, deps.timeZone), '创建成功');
  });

  api.patch('/client/index/order', { onRequest: deps.user, schema: { tags: [TAG], summary: 'change the current order (waiting area only)', security, body: OrderPatchBody }, config: { resource: 'order' } }, async (req) => {
    const { id, mode, apply_kwh: applyKwh } = req.body;
    if (mode === undefined && applyKwh === undefined) throw new DomainError('VALIDATION', 'nothing to change: send mode and/or apply_kwh');
    const order = await modifyRequest(deps, req, {
      orderId: id,
      userId: principal(req).userId,
      ...(mode !== undefined ? { mode: modeFrom002(mode) } : {}),
      ...(applyKwh !== undefined ? { energyWms: energyWmsFromKwh(applyKwh, 'apply_kwh') } : {}),
    });
    return ok(order002(order, deps.timeZone), '修改成功');
  });

  api.delete('/client/index/order', { onRequest: deps.user, schema: { tags: [TAG], summary: 'end the current order', security, body: OrderRefBody }, config: { resource: 'order' } }, async (req) => {
    const { order } = await cancelAndWaitForBill(deps, req, { orderId: req.body.id, userId: principal(req).userId });
    return ok(order002(order, deps.timeZone), '结束成功');
  });

  api.post('/client/index/recharge', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'top up the balance (yuan, two decimals; no payment provider)', security, querystring: RechargeQuery },
    config: { resource: 'user' },
  }, async (req) => {
    const amountFen = fenFromYuanText(req.query.amount, RECHARGE_MAX_FEN);
    const key = req.headers['idempotency-key'];
    // with the header a retry credits once; without it every request is a new recharge (a blind retry credits twice)
    const requestId = typeof key === 'string' && key !== '' ? key : randomUUID();
    const result = await deps.call(req, 'billing.recharge', { userId: principal(req).userId, amountFen, requestId });
    return ok({ balance: yuan(result.balanceFen) }, '充值成功');
  });
}

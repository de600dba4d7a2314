// 000's charge calls: apply (000:241), cancel (000:296), modify (000:326), info (000:383). None names a request:
// they act on the caller's live request (order.current), docs/api/000.md.
import { DomainError } from '@voltq/kit';
import type { OrderView } from '@voltq/contracts';
import { principal, type Api } from '../../../core/context.js';
import { energyWmsFromKwh } from '../../../core/parse.js';
import { iso, kwh, seconds, type FormatContext } from '../../../core/units.js';
import { cancelAndWaitForBill, currentRequest, modifyRequest, requestCharge } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { ApplyBody, InfoAnswer, ModifyBody, PlainAnswer, QueueNumberAnswer, TokenQuery, responses } from '../schemas.js';
import { formNumber } from './account.js';

/** `state` (000:414 "called yet?"): true once the car is on a pile. */
const CALLED = new Set(['dispatched', 'charging']);

export function infoView(order: OrderView, fmt: FormatContext) {
  return {
    user_id: order.userId,
    charging_type: order.mode,
    request_power: kwh(order.energyWms),
    queue_num: order.queueNo ?? '',
    time_duration: seconds(Math.max(0, fmt.nowMs - order.createdAt)),
    created_at: iso(order.createdAt, fmt.timeZone) ?? '',
    state: CALLED.has(order.state),
  };
}

export function chargeRoutes(api: Api, deps: RouteDeps): void {
  api.post('/user/charge/apply', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'apply for a charge -> the queue number (F… / T…)', querystring: TokenQuery, body: ApplyBody, response: responses(QueueNumberAnswer) },
    config: { resource: 'station' },
  }, async (req) => {
    const userId = principal(req).userId;
    // 000 knows one car per user (its register's license_plate, /user/detail's car): the request is for that car
    const car = (await deps.call(req, 'auth.userInfo', { userId })).cars[0];
    const order = await requestCharge(deps, req, {
      userId,
      ...(car ? { carId: car.carId } : {}),
      mode: req.body.mode,
      energyWms: energyWmsFromKwh(formNumber(req.body.quantity), 'quantity'),
    });
    return ok('申请成功', { data: order.queueNo ?? '' });
  });

  api.post('/user/charge/cancel', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'cancel the live request (charging: stops and bills it)', querystring: TokenQuery, response: responses(PlainAnswer) },
    config: { resource: 'order' },
  }, async (req) => {
    const userId = principal(req).userId;
    const live = await currentRequest(deps, req, userId);
    await cancelAndWaitForBill(deps, req, { orderId: live.orderId, userId });
    return ok('取消成功');
  });

  api.post('/user/charge/modify', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'change mode and/or quantity (waiting area only) -> the (new) queue number', querystring: TokenQuery, body: ModifyBody, response: responses(QueueNumberAnswer) },
    config: { resource: 'order' },
  }, async (req) => {
    const { mode, quantity } = req.body;
    if (mode === undefined && quantity === undefined) throw new DomainError('VALIDATION', 'send mode and/or quantity');
    const userId = principal(req).userId;
    const live = await currentRequest(deps, req, userId);
    const order = await modifyRequest(deps, req, {
      orderId: live.orderId,
      userId,
      ...(mode !== undefined ? { mode } : {}),
      ...(quantity !== undefined ? { energyWms: energyWmsFromKwh(formNumber(quantity), 'quantity') } : {}),
    });
    return ok('修改成功', { data: order.queueNo ?? '' });
  });

  api.get('/user/charge/info', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's live request (polled)", querystring: TokenQuery, response: responses(InfoAnswer) },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await currentRequest(deps, req, principal(req).userId);
    return ok('查询成功', { data: infoView(order, deps.fmt()) });
  });
}

// Document 004's walk-up orders and order payment: create an order on a port (order.createWalkUp: the pile's start
// is acknowledged before the answer), an order's live status, stop it (order.stop: the pile's stop acknowledged),
// pay what it owes (billing.payOrder). Queue-station orders show in the same views with what they have.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { IdempotencyKey, type OrderView } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { principal, type Api } from '../../../core/context.js';
import { cancelAndWaitForBill, ownOrder } from '../../../core/use-cases.js';
import { yuan } from '../../../core/units.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { orderCreated004, orderStatus004, orderStopped004, withBill } from '../format.js';
import { findPile, orderExtras } from '../lookup.js';
import { Closed, OrderIdParams, responses } from '../schemas.js';
import { createLimit, parseCreatePortId } from '../walkup.js';
import { payPageUrl } from './payments.js';

/** A pile's start or stop waits for the pile's acknowledgement (device.command: 10 s): the RPC may take longer. */
export const PILE_COMMAND_RPC_TIMEOUT_MS = 15_000;

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ description: 'ISO 8601 with offset' });
const Yuan = Type.Number({ description: 'yuan, two decimals' });
const Kwh = Type.Number({ description: 'kWh, two decimals' });
const OrderStatus = Type.Integer({ description: '0 created, 1 charging, 2 finished, 3 cancelled, 4 abnormal (refused, failed)' });
const PayStatus = Type.Integer({ description: "the order's: 0 not paid (or partly), 1 paid, 2 refunded" });
const Method = Type.Unsafe<1 | 2 | 3>({ type: 'integer', enum: [1, 2, 3], description: '1 WeChat Pay, 2 Alipay (4001 unless configured), 3 the balance' });
export const StopReason = Type.Integer({ minimum: 1, maximum: 7, description: '1 user, 2 full, 3 time, 4 energy, 5 amount, 6 pile fault, 7 other' });

/** `Idempotency-Key`, as the queue routes take it: the same key from the same user answers the same order. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: IdempotencyKey.minLength,
    maxLength: IdempotencyKey.maxLength,
    pattern: IdempotencyKey.pattern,
    description: 'client key: a retry with the same key gets the same answer',
  })),
});

export const CreateOrderBody = Closed({
  pileId: Id,
  portId: Type.String({ minLength: 1, maxLength: 140, description: '<pileId>-<portNo>, or the port number alone' }),
  chargingMode: Type.Integer({ minimum: 1, maximum: 5, description: '1 until full, 2 amount, 3 time, 4 energy (5 other: refused)' }),
  chargingParameter: Type.Optional(Type.Number({ minimum: 0, description: 'mode 2 yuan (2 decimals), 3 minutes, 4 kWh; mode 1 none' })),
  paymentMethod: Method,
});
export const OrderCreated004 = Type.Object({
  orderId: Type.String(),
  orderNo: Type.String(),
  status: OrderStatus,
  paymentStatus: PayStatus,
  paymentMethod: Type.Integer(),
  amount: Type.Number({ description: 'yuan so far (0 at the start)' }),
  startTime: Nullable(IsoTime),
  paymentUrl: Type.String({ description: "the pay page of a WeChat prepay (root-relative), '' without one" }),
  deviceAddress: Nullable(Type.String()),
});
export const OrderStatus004 = Type.Object({
  id: Type.String(),
  status: OrderStatus,
  paymentStatus: PayStatus,
  startTime: Nullable(IsoTime),
  endTime: Nullable(IsoTime),
  powerConsumption: Kwh,
  chargingTime: Type.Integer({ description: 'seconds' }),
  power: Type.Number({ description: 'kW' }),
  amount: Yuan,
  voltage: Type.Number({ description: "V (0: not charging, or a queue station's modelled pile)" }),
  currentAmpere: Type.Number({ description: 'A' }),
  currentTime: IsoTime,
});
export const StopOrderBody = Closed({ stopReason: StopReason });
export const OrderStopped004 = Type.Object({
  orderId: Type.String(),
  status: OrderStatus,
  endTime: Nullable(IsoTime),
  powerConsumption: Kwh,
  chargingTime: Type.Integer({ description: 'seconds' }),
  amount: Yuan,
});
export const PayBody = Closed({ orderId: Id, paymentMethod: Method });
export const PayView004 = Type.Object({
  paymentId: Type.String(),
  orderId: Type.String(),
  paymentStatus: Type.Integer({ description: "the payment's: 0 not paid, 1 paying, 2 paid, 3 failed, 4 refunded" }),
  paymentMethod: Type.Integer(),
  amount: Yuan,
  paymentUrl: Type.String({ description: "WeChat: the pay page (root-relative); '' for the balance" }),
  qrCodeUrl: Type.String({ description: "WeChat's code_url to scan; '' for the balance" }),
});

/**
 * Stop an order's charging: a walk-up order's session at the pile (order.stop), a queue order by ending its request
 * (the queue's only way to stop a charge; its bill counted in the answer). Another user's order is NOT_FOUND.
 */
export async function stopOrder(deps: RouteDeps, req: FastifyRequest, order: OrderView, stopReason: number): Promise<OrderView> {
  const userId = principal(req).userId;
  // an order that is over: 004's own codes (3003 finished, 3004 cancelled), before any pile is asked
  if (order.state === 'finished') throw new DomainError('CONFLICT', `order ${order.orderId} is finished`, { resource: 'order', reason: 'ORDER_FINISHED' });
  if (order.state === 'cancelled') throw new DomainError('CONFLICT', `order ${order.orderId} is cancelled`, { resource: 'order', reason: 'ORDER_CANCELLED' });
  if (order.kind === 'walk-up') {
    return deps.call(req, 'order.stop', { orderId: order.orderId, userId, stopReason }, { timeoutMs: PILE_COMMAND_RPC_TIMEOUT_MS });
  }
  if (order.state !== 'charging') throw new DomainError('CONFLICT', `order ${order.orderId} is not charging`, { resource: 'order', reason: 'NOT_CHARGING' });
  const { order: ended, bill } = await cancelAndWaitForBill(deps, req, { orderId: order.orderId, userId });
  return bill ? withBill(ended, bill) : ended;
}

export function walkUpRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.post('/order/create', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'a walk-up order on a port, started at once: answered once the pile acknowledged the start',
      security,
      headers: IdempotencyHeaders,
      body: CreateOrderBody,
      response: responses(OrderCreated004),
    },
    config: { resource: 'pile' },
  }, async (req) => {
    const { pileId, portId, chargingMode, chargingParameter, paymentMethod } = req.body;
    const limit = createLimit(chargingMode, chargingParameter);
    const port = parseCreatePortId(portId);
    if (!port) throw new DomainError('NOT_FOUND', `no port ${portId}`, { resource: 'port' });
    if (port.pileId !== undefined && port.pileId !== pileId) {
      // pileId may be the device id (a QR code names either): the port's pile must be that pile
      const pile = await findPile(deps, req, { code: pileId });
      if (port.pileId !== pile.pileId && port.pileId !== pile.deviceId) throw new DomainError('VALIDATION', `portId ${portId} is not a port of pile ${pileId}`);
    }
    const key = req.headers['idempotency-key'];
    const order = await deps.call(req, 'order.createWalkUp', {
      userId: principal(req).userId,
      pileId,
      portNo: port.portNo,
      chargingMode: chargingMode as 1 | 2 | 3 | 4,
      ...limit,
      paymentMethod,
      ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
    }, { timeoutMs: PILE_COMMAND_RPC_TIMEOUT_MS });
    return ok(orderCreated004(order, deps.fmt(), order.paymentId !== undefined ? payPageUrl(order.paymentId) : ''));
  });

  api.get('/order/:id/status', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "one of the caller's orders, live (a walk-up order's figures from the port's meter)", security, params: OrderIdParams, response: responses(OrderStatus004) },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await ownOrder(deps, req, principal(req).userId, req.params.id);
    return ok(orderStatus004(order, deps.fmt(), await orderExtras(deps, req, order)));
  });

  api.post('/order/:id/stop', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: "stop one of the caller's orders charging: answered once the pile acknowledged the stop (3002 when it is not charging)",
      security,
      params: OrderIdParams,
      body: StopOrderBody,
      response: responses(OrderStopped004),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await ownOrder(deps, req, principal(req).userId, req.params.id);
    const stopped = await stopOrder(deps, req, order, req.body.stopReason);
    return ok(orderStopped004(stopped, deps.fmt(), await orderExtras(deps, req, stopped)));
  });

  api.post('/payment/pay', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'pay what one of the caller\'s orders owes: the balance at once, or WeChat Pay (scan qrCodeUrl or open paymentUrl)',
      security,
      headers: IdempotencyHeaders,
      body: PayBody,
      response: responses(PayView004),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const userId = principal(req).userId;
    const order = await ownOrder(deps, req, userId, req.body.orderId);
    const key = req.headers['idempotency-key'];
    const p = await deps.call(req, 'billing.payOrder', {
      userId,
      orderId: order.orderId,
      method: req.body.paymentMethod,
      requestId: typeof key === 'string' ? key : randomUUID(),
    });
    const wechat = p.method === 1;
    return ok({
      paymentId: p.paymentId,
      orderId: p.orderId,
      paymentStatus: p.status,
      paymentMethod: p.method,
      amount: yuan(p.amountFen),
      paymentUrl: wechat ? payPageUrl(p.paymentId) : '',
      qrCodeUrl: p.codeUrl ?? '',
    });
  });
}

// Platform additions: a charge request in a queue station — apply, look, change, cancel.
import { Type } from '@sinclair/typebox';
import { IdempotencyKey } from '@voltq/contracts';
import { principal, type Api } from '../../../core/context.js';
import { TAG, type RouteDeps } from '../context.js';
import { cancelAndWaitForBill, currentRequest, modifyRequest, requestCharge } from '../../../core/use-cases.js';
import { ok } from '../envelope.js';
import { billView, requestCreated, requestView, withBill } from '../format.js';
import { energyWmsFromKwh } from '../../../core/parse.js';
import { CancelView, OrderIdPath, QueueModifyBody, QueueRequestBody, RequestCreated, RequestView, responses } from '../schemas.js';

/**
 * `Idempotency-Key` (optional, printable ASCII, at most 128 characters): the same key from the same user always
 * answers the same order, so a retry after a timeout or a lost answer never makes a second one (a key reused for a
 * different request: 400 9005). Without it the gateway derives none: the order service answers a repeat of the
 * caller's live request (same station, car, mode and kWh) with that order instead of refusing it.
 */
const QueueRequestHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: IdempotencyKey.minLength,
    maxLength: IdempotencyKey.maxLength,
    pattern: IdempotencyKey.pattern,
    description: 'client key: a retry with the same key gets the same order',
  })),
});

export function queueRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.post('/queue/requests', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'apply for a charge (enters the waiting area)',
      security,
      headers: QueueRequestHeaders,
      body: QueueRequestBody,
      response: responses(RequestCreated),
    },
    // the only thing a new request can fail to find is its station (004: 2001)
    config: { resource: 'station' },
  }, async (req) => {
    const { mode, energyKwh, carId, stationId } = req.body;
    const idempotencyKey = req.headers['idempotency-key'];
    const order = await requestCharge(deps, req, {
      userId: principal(req).userId,
      mode,
      energyWms: energyWmsFromKwh(energyKwh),
      ...(stationId !== undefined ? { stationId } : {}),
      ...(carId !== undefined ? { carId } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    });
    return ok(requestCreated(order));
  });

  api.get('/queue/requests/current', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's live request", security, response: responses(RequestView) },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await currentRequest(deps, req, principal(req).userId);
    return ok(requestView(order, deps.fmt()));
  });

  api.patch('/queue/requests/:orderId', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'change mode and/or kWh (waiting area only; a new mode gives a new number)',
      security,
      params: OrderIdPath,
      body: QueueModifyBody,
      response: responses(RequestView),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const { mode, energyKwh } = req.body;
    const order = await modifyRequest(deps, req, {
      orderId: req.params.orderId,
      userId: principal(req).userId,
      ...(mode !== undefined ? { mode } : {}),
      ...(energyKwh !== undefined ? { energyWms: energyWmsFromKwh(energyKwh) } : {}),
    });
    return ok(requestView(order, deps.fmt()));
  });

  api.delete('/queue/requests/:orderId', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'cancel; when charging had started the answer carries the bill',
      security,
      params: OrderIdPath,
      response: responses(CancelView),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const { order, bill } = await cancelAndWaitForBill(deps, req, { orderId: req.params.orderId, userId: principal(req).userId });
    const fmt = deps.fmt();
    return ok(bill ? { ...requestView(withBill(order, bill), fmt), bill: billView(bill, fmt) } : { ...requestView(order, fmt), bill: null });
  });
}

// Platform additions: a charge request in a queue station — apply, look, change, cancel.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { IdempotencyKey, type Bill, type OrderView } from '@voltq/contracts';
import { isDomainError } from '@voltq/kit';
import { ok, principal, type Api, type RouteDeps } from '../context.js';
import { billView, requestCreated, requestView, withBill } from '../format.js';
import { energyWmsFromKwh } from '../parse.js';
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
      tags: ['queue'],
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
    const params = {
      userId: principal(req).userId,
      stationId: stationId ?? deps.defaultStationId,
      mode,
      energyWms: energyWmsFromKwh(energyKwh),
      ...(carId !== undefined ? { carId } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    };
    return ok(requestCreated(await deps.call(req, 'order.request', params)));
  });

  api.get('/queue/requests/current', {
    onRequest: deps.user,
    schema: { tags: ['queue'], summary: "the caller's live request", security, response: responses(RequestView) },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await deps.call(req, 'order.current', { userId: principal(req).userId });
    return ok(requestView(order, deps.fmt()));
  });

  api.patch('/queue/requests/:orderId', {
    onRequest: deps.user,
    schema: {
      tags: ['queue'],
      summary: 'change mode and/or kWh (waiting area only; a new mode gives a new number)',
      security,
      params: OrderIdPath,
      body: QueueModifyBody,
      response: responses(RequestView),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const { mode, energyKwh } = req.body;
    const params = {
      orderId: req.params.orderId,
      userId: principal(req).userId,
      ...(mode !== undefined ? { mode } : {}),
      ...(energyKwh !== undefined ? { energyWms: energyWmsFromKwh(energyKwh) } : {}),
    };
    return ok(requestView(await deps.call(req, 'order.modify', params), deps.fmt()));
  });

  api.delete('/queue/requests/:orderId', {
    onRequest: deps.user,
    schema: {
      tags: ['queue'],
      summary: 'cancel; when charging had started the answer carries the bill',
      security,
      params: OrderIdPath,
      response: responses(CancelView),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const userId = principal(req).userId;
    const order = await deps.call(req, 'order.cancel', { orderId: req.params.orderId, userId });
    const bill = await billOfCancel(req, deps, order, userId);
    const fmt = deps.fmt();
    return ok(bill ? { ...requestView(withBill(order, bill), fmt), bill: billView(bill, fmt) } : { ...requestView(order, fmt), bill: null });
  });
}

/**
 * The bill to show with a cancelled order: the one of the session the cancel stopped (billing makes it
 * asynchronously from session.ended, so wait for it, bounded), else the order's latest bill, else none.
 */
async function billOfCancel(req: FastifyRequest, deps: RouteDeps, order: OrderView, userId: string): Promise<Bill | null> {
  try {
    if (order.stoppedSessionId) {
      return await deps.call(req, 'billing.sessionBill', { sessionId: order.stoppedSessionId, userId, waitMs: deps.billWaitMs }, { timeoutMs: deps.billWaitMs + 2000 });
    }
    const latest = order.billIds.at(-1);
    return latest ? await deps.call(req, 'billing.getBill', { billId: latest, userId }) : null;
  } catch (err) {
    // The cancel itself succeeded; a bill that is not there yet must not turn it into an error.
    if (isDomainError(err) && (err.code === 'NOT_FOUND' || err.code === 'TIMEOUT')) {
      req.log.warn({ orderId: order.orderId, code: err.code }, 'bill of the cancelled order not available yet');
      return null;
    }
    throw err;
  }
}

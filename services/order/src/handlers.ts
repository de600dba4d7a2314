// RPC and event handlers of the order service: thin adapters between the bus and the pure aggregate. A request,
// modify, cancel or current also asks the scheduler (and auth, for a car) over the bus; those steps are the named
// functions above registerHandlers.
import type { Bus, Clock, Envelope, Logger, RpcParams, ServiceContext } from '@voltq/kit';
import { DomainError, isDomainError, ownedOrNotFound } from '@voltq/kit';
import type { OrderView, QueueEntryView } from '@voltq/contracts';
import { liveView } from './domain/live.js';
import {
  applyCancelAnswer,
  applyEvent,
  applyModifyAnswer,
  applyRequestAnswer,
  applyWalkUpStart,
  applyWalkUpStop,
  isFinal,
  isStale,
  LIVE_STATES,
  ORDER_EVENT_TYPES,
  sameRequest,
  toView,
  withPaymentId,
  type OrderDoc,
  type OrderEventType,
  type WalkUpRequest,
} from './domain/order.js';
import { checkBalance, checkLimit, checkPaymentMethod, modeOfPileType, requiredFen, walkUpFingerprint } from './domain/walk-up.js';
import { newOrderId, orderIdFor } from './domain/ids.js';
import type { OrderRepository } from './store/repository.js';

type Redis = ServiceContext['redis'];

export interface OrderDeps {
  bus: Bus;
  redis: Redis;
  clock: Clock;
  repo: OrderRepository;
  ns: string;
  log: Logger;
}

/** An order the caller may see: with a userId, another user's order does not exist for them. */
async function visibleOrder(deps: OrderDeps, orderId: string, userId: string | undefined): Promise<OrderDoc> {
  return ownedOrNotFound(await deps.repo.get(orderId), userId, `order ${orderId}`);
}

function withPosition(view: OrderView, answer: QueueEntryView): OrderView {
  if (!isFinal(view.state)) view.position = answer.carsAhead;
  return view;
}

/** The car a request names must be one of the caller's (auth owns cars): another user's or a made-up id is not. */
async function ownCar(deps: OrderDeps, userId: string, carId: string, correlationId: string): Promise<void> {
  try {
    await deps.bus.call('auth.getCar', { userId, carId }, { correlationId });
  } catch (err) {
    if (isDomainError(err) && err.code === 'NOT_FOUND') {
      throw new DomainError('NOT_FOUND', `car ${carId} is not one of your cars`, { resource: 'car' });
    }
    throw err;
  }
}

function sameOrConflict(doc: OrderDoc, params: RpcParams<'order.request'>): void {
  if (doc.userId !== params.userId || !sameRequest(doc, params)) {
    throw new DomainError('CONFLICT', 'this Idempotency-Key was used for a different request');
  }
}

/** A stored order answered again to a retry of the request that made it (same key, or the same request while live). */
async function answerAgain(
  deps: OrderDeps,
  doc: OrderDoc,
  params: RpcParams<'order.request'>,
  correlationId: string,
): Promise<OrderView> {
  sameOrConflict(doc, params);
  if (isFinal(doc.state)) return toView(doc);
  let position: QueueEntryView | undefined;
  try {
    position = await deps.bus.call('scheduler.position', { orderId: doc.orderId, stationId: doc.stationId }, { correlationId });
  } catch (err) {
    if (!(isDomainError(err) && err.code === 'NOT_FOUND')) throw err;
  }
  return liveView(doc, position);
}

/** An order event: applied to the stored order (idempotent by event id, ordered by orderSeq). */
async function applyOrderEvent(deps: OrderDeps, env: Envelope<OrderEventType>, log: Logger): Promise<void> {
  const { clock, repo } = deps;
  const p = env.payload;
  const orderNo = await numberForUnnumbered(deps, env);
  await repo.mutate(p.orderId, (current) => {
    if (isStale(current, env) && !current!.eventIds.includes(env.id)) {
      // older than what is applied: it may only fill in facts nothing newer carried (domain/order.ts)
      log.info({ orderId: p.orderId, orderSeq: (p as { orderSeq?: number }).orderSeq, lastSeq: current!.lastSeq }, 'stale order event: cannot overwrite newer facts');
    }
    const next = applyEvent(current, env, clock.now());
    if (next && next.kind === 'walk-up' && next.orderNo === undefined && orderNo !== undefined) next.orderNo = orderNo;
    return next;
  });
}

/**
 * A walk-up session the order service did not create (a card session at the pile) names no order number: the order
 * made from its event gets one here (a number is only drawn when the order does not have one yet).
 */
async function numberForUnnumbered(deps: OrderDeps, env: Envelope<OrderEventType>): Promise<string | undefined> {
  if (env.type !== 'session.started' && env.type !== 'session.ended') return undefined;
  const p = env.payload as { kind?: string; orderNo?: string; orderId: string };
  if (p.kind !== 'walk-up' || p.orderNo !== undefined) return undefined;
  const stored = await deps.repo.get(p.orderId);
  if (stored?.orderNo !== undefined) return undefined;
  return deps.repo.nextOrderNo(deps.clock.now());
}

/** The walk-up order the same (userId, key) made already: the same request answers it, another is CONFLICT. */
function sameWalkUpOrConflict(doc: OrderDoc, params: RpcParams<'order.createWalkUp'>): void {
  if (doc.userId !== params.userId || (doc.requestFingerprint !== undefined && doc.requestFingerprint !== walkUpFingerprint(params))) {
    throw new DomainError('CONFLICT', 'this Idempotency-Key was used for a different request');
  }
}

/**
 * A WeChat-paid order prepays its limit (or 10 yuan) into the balance once charging started; its bill debits the
 * balance afterwards. The pile must not charge unpaid: when the prepay cannot be made, the session is stopped
 * (stopReason 7) and the error answered.
 */
async function prepay(deps: OrderDeps, doc: OrderDoc, amountFen: number, correlationId: string): Promise<OrderDoc> {
  const { bus, clock, repo, log } = deps;
  try {
    const payment = await bus.call('billing.createRecharge', { userId: doc.userId, amountFen, method: 1, requestId: `order-${doc.orderId}` }, { correlationId });
    return (await repo.mutate(doc.orderId, (current) => (current ? withPaymentId(current, payment.paymentId, clock.now()) : undefined)))!;
  } catch (err) {
    log.warn({ orderId: doc.orderId, err: (err as Error).message }, 'the WeChat prepay of a walk-up order failed: its session is stopped');
    try {
      const answer = await bus.call('scheduler.stopWalkUp', { orderId: doc.orderId, userId: doc.userId, stopReason: 7 }, { correlationId });
      await repo.mutate(doc.orderId, (current) => (current ? applyWalkUpStop(current, answer, clock.now()) : undefined));
    } catch (stopErr) {
      log.error({ orderId: doc.orderId, err: (stopErr as Error).message }, 'an unpaid walk-up session could not be stopped');
    }
    throw err;
  }
}

/** order.createWalkUp: a walk-up order on a port, charging at once (document 004 `POST /api/order/create`). */
async function createWalkUp(deps: OrderDeps, params: RpcParams<'order.createWalkUp'>, correlationId: string): Promise<OrderView> {
  const { bus, clock, repo } = deps;
  checkPaymentMethod(params);
  checkLimit(params);
  const key = params.idempotencyKey;
  const orderId = key !== undefined ? orderIdFor(params.userId, key) : newOrderId();
  if (key !== undefined) {
    const stored = await repo.get(orderId);
    if (stored) {
      sameWalkUpOrConflict(stored, params);
      if (stored.requestFingerprint !== undefined) {
        // a retry of a create that was stored: the same order (its prepay made now if the first call could not)
        if (stored.paymentMethod === 1 && stored.paymentId === undefined && stored.state === 'charging') {
          return toView(await prepay(deps, stored, requiredFen(params), correlationId));
        }
        return toView(stored);
      }
      // known only from its session's events (the first call never stored its answer): the scheduler answers its
      // own session again below
    }
  }
  if (params.paymentMethod === 3) {
    const { balanceFen } = await bus.call('billing.balance', { userId: params.userId }, { correlationId });
    checkBalance(params, balanceFen);
  }
  // the QR code names the pile by 004's pile id or the device id: the device registry knows both (NOT_FOUND pile)
  const device = await bus.call('device.get', { code: params.pileId }, { correlationId });
  const createdAt = clock.now();
  const orderNo = (await repo.get(orderId))?.orderNo ?? (await repo.nextOrderNo(createdAt));
  const start: RpcParams<'scheduler.startWalkUp'> = {
    orderId, orderNo, userId: params.userId, deviceId: device.deviceId, portNo: params.portNo,
    chargingMode: params.chargingMode, paymentMethod: params.paymentMethod,
  };
  for (const f of ['limitFeeFen', 'limitDurationMs', 'limitEnergyWms'] as const) if (params[f] !== undefined) start[f] = params[f];
  // the scheduler checks the port; its refusals propagate and nothing is stored
  const answer = await bus.call('scheduler.startWalkUp', start, { correlationId });
  const req: WalkUpRequest = {
    orderId, orderNo, userId: params.userId, stationId: device.stationId, deviceId: device.deviceId, pileId: device.pileId,
    portNo: params.portNo, mode: modeOfPileType(device.pileType), chargingMode: params.chargingMode, paymentMethod: params.paymentMethod,
    createdAt, fingerprint: walkUpFingerprint(params),
  };
  for (const f of ['limitFeeFen', 'limitDurationMs', 'limitEnergyWms'] as const) if (params[f] !== undefined) req[f] = params[f];
  if (key !== undefined) req.idempotencyKey = key;
  const stored = (await repo.mutate(orderId, (current) => applyWalkUpStart(current, req, answer, clock.now())))!;
  if (params.paymentMethod === 1 && stored.paymentId === undefined) return toView(await prepay(deps, stored, requiredFen(params), correlationId));
  return toView(stored);
}

/** order.stop: a walk-up order's session stopped at the pile (document 004 `POST /api/order/{id}/stop`). */
async function stopOrder(deps: OrderDeps, params: RpcParams<'order.stop'>, correlationId: string): Promise<OrderView> {
  const { bus, clock, repo } = deps;
  const doc = await visibleOrder(deps, params.orderId, params.userId);
  if (doc.kind !== 'walk-up') throw new DomainError('CONFLICT', `order ${doc.orderId} is a queue request: cancel it instead`, { resource: 'order' });
  if (isFinal(doc.state)) throw new DomainError('CONFLICT', `order ${doc.orderId} is already ${doc.state}`, { resource: 'order', reason: 'ORDER_FINISHED' });
  if (doc.state !== 'charging') throw new DomainError('CONFLICT', `order ${doc.orderId} is not charging`, { resource: 'order' });
  const answer = await bus.call('scheduler.stopWalkUp', { orderId: doc.orderId, userId: doc.userId, stopReason: params.stopReason }, { correlationId });
  const stored = await repo.mutate(doc.orderId, (current) => (current ? applyWalkUpStop(current, answer, clock.now()) : undefined));
  const view = toView(stored!);
  // stopping: the pile acknowledged, its final reading comes with session.ended; answer what was delivered so far
  if (view.state === 'charging') view.requestChargedWms = Math.max(view.requestChargedWms, answer.energyWms);
  return view;
}

/** order.request: a new order (or the retry of one) submitted to the scheduler and stored with its answer. */
async function requestOrder(deps: OrderDeps, params: RpcParams<'order.request'>, correlationId: string): Promise<OrderView> {
  const { bus, clock, repo } = deps;
  const key = params.idempotencyKey;
  const orderId = key !== undefined ? orderIdFor(params.userId, key) : newOrderId();
  if (key !== undefined) {
    // a retry of a request that was stored already (its first answer timed out or was lost): the same order
    const stored = await repo.get(orderId);
    if (stored) {
      sameOrConflict(stored, params);
      if (stored.orderNo !== undefined || isFinal(stored.state)) return answerAgain(deps, stored, params, correlationId);
      // known only from the scheduler's events (the first call never stored its answer): completed below, where
      // the scheduler answers its own live order again
    }
  }
  if (params.carId !== undefined) await ownCar(deps, params.userId, params.carId, correlationId);
  const createdAt = clock.now();
  const orderNo = await repo.nextOrderNo(createdAt);
  const submit: RpcParams<'scheduler.submit'> = {
    orderId,
    userId: params.userId,
    stationId: params.stationId,
    mode: params.mode,
    energyWms: params.energyWms,
  };
  if (params.carId !== undefined) submit.carId = params.carId;
  // a refusal (WAITING_AREA_FULL, ALREADY_QUEUED ...) propagates as the same DomainError; nothing is stored.
  // A keyed retry whose first call is still running reaches the scheduler with the same orderId and is answered
  // with that request (the scheduler knows its own order), so both calls store and answer the one order.
  let answer: QueueEntryView;
  try {
    answer = await bus.call('scheduler.submit', submit, { correlationId });
  } catch (err) {
    if (key === undefined && isDomainError(err) && err.code === 'ALREADY_QUEUED') {
      // no key: the same request again while the first is live is its retry, not a second request
      const live = await repo.liveOf(params.userId, params.carId);
      if (live && live.stationId === params.stationId && sameRequest(live, params)) {
        deps.log.info({ orderId: live.orderId, userId: params.userId }, 'request repeated while live: answered with the live order');
        return answerAgain(deps, live, params, correlationId);
      }
    }
    throw err;
  }
  const stored = await repo.mutate(orderId, (current) =>
    applyRequestAnswer(current, { ...params, orderId, orderNo, createdAt }, answer, clock.now()),
  );
  return withPosition(toView(stored!), answer);
}

async function modifyOrder(deps: OrderDeps, params: RpcParams<'order.modify'>, correlationId: string): Promise<OrderView> {
  const { bus, clock, repo } = deps;
  const doc = await visibleOrder(deps, params.orderId, params.userId);
  if (isFinal(doc.state)) throw new DomainError('NOT_MODIFIABLE', `order ${doc.orderId} is ${doc.state}`);
  if (doc.kind === 'walk-up') throw new DomainError('NOT_MODIFIABLE', `order ${doc.orderId} is a walk-up order: its limit is fixed at create`);
  const modify: RpcParams<'scheduler.modify'> = { orderId: doc.orderId, stationId: doc.stationId };
  if (params.mode !== undefined) modify.mode = params.mode;
  if (params.energyWms !== undefined) modify.energyWms = params.energyWms;
  const answer = await bus.call('scheduler.modify', modify, { correlationId });
  const stored = await repo.mutate(doc.orderId, (current) => (current ? applyModifyAnswer(current, answer, clock.now()) : undefined));
  return withPosition(toView(stored!), answer);
}

async function cancelOrder(deps: OrderDeps, params: RpcParams<'order.cancel'>, correlationId: string): Promise<OrderView> {
  const { bus, clock, repo } = deps;
  const doc = await visibleOrder(deps, params.orderId, params.userId);
  if (isFinal(doc.state)) throw new DomainError('CONFLICT', `order ${doc.orderId} is already ${doc.state}`);
  // a walk-up order has no queue to leave: its session is stopped at the pile (order.stop)
  if (doc.kind === 'walk-up') throw new DomainError('CONFLICT', `order ${doc.orderId} is a walk-up order: stop it instead`, { resource: 'order' });
  const answer = await bus.call('scheduler.cancel', { orderId: doc.orderId, stationId: doc.stationId }, { correlationId });
  const stored = await repo.mutate(doc.orderId, (current) =>
    current ? applyCancelAnswer(current, answer, params.reason, clock.now()) : undefined,
  );
  return toView(stored!);
}

/** order.current: the user's live request, with the scheduler's live figures when it still knows it. */
async function currentOrder(deps: OrderDeps, userId: string, correlationId: string): Promise<OrderView> {
  const { bus, repo } = deps;
  const doc = await repo.latestIn(userId, LIVE_STATES);
  if (!doc) throw new DomainError('NOT_FOUND', 'no live charging request');
  // a walk-up order is in no queue: the stored order (its live figures are the scheduler's walkUpSession)
  if (doc.kind === 'walk-up') return toView(doc);
  let position: QueueEntryView | undefined;
  try {
    position = await bus.call('scheduler.position', { orderId: doc.orderId, stationId: doc.stationId }, { correlationId });
  } catch (err) {
    // the scheduler no longer knows it (finished a moment ago; its events are on their way): stored view
    if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
  }
  return liveView(doc, position);
}

export async function registerHandlers(deps: OrderDeps): Promise<void> {
  const { bus, repo } = deps;
  await bus.consume({
    queue: 'events',
    types: ORDER_EVENT_TYPES,
    handler: (msg, { log }) => applyOrderEvent(deps, msg as Envelope<OrderEventType>, log),
  });
  await bus.serve('order.request', (params, { correlationId }) => requestOrder(deps, params, correlationId));
  await bus.serve('order.createWalkUp', (params, { correlationId }) => createWalkUp(deps, params, correlationId));
  await bus.serve('order.stop', (params, { correlationId }) => stopOrder(deps, params, correlationId));
  await bus.serve('order.get', async (params) => toView(await visibleOrder(deps, params.orderId, params.userId)));
  await bus.serve('order.list', async (params) => {
    const page = await repo.list(params);
    return { items: page.items.map(toView), total: page.total, pageNum: params.pageNum, pageSize: params.pageSize };
  });
  await bus.serve('order.modify', (params, { correlationId }) => modifyOrder(deps, params, correlationId));
  await bus.serve('order.cancel', (params, { correlationId }) => cancelOrder(deps, params, correlationId));
  await bus.serve('order.current', (params, { correlationId }) => currentOrder(deps, params.userId, correlationId));
}

// RPC and event handlers of the order service: thin adapters between the bus and the pure aggregate.
import type { Bus, Clock, Envelope, Logger, RpcParams, ServiceContext } from '@voltq/kit';
import { DomainError } from '@voltq/kit';
import type { OrderView, QueueEntryView } from '@voltq/contracts';
import { liveView } from './domain/live.js';
import {
  applyCancelAnswer,
  applyEvent,
  applyModifyAnswer,
  applyRequestAnswer,
  isFinal,
  LIVE_STATES,
  ORDER_EVENT_TYPES,
  toView,
  type OrderDoc,
  type OrderEventType,
} from './domain/order.js';
import { newOrderId, nextOrderNo, type OrderNoSource } from './ids.js';
import type { OrderRepository } from './repository.js';

type Redis = ServiceContext['redis'];

export interface OrderDeps {
  bus: Bus;
  redis: Redis;
  clock: Clock;
  repo: OrderRepository;
  ns: string;
  log: Logger;
  /** where order numbers come from (a MongoDB counter) */
  orderNos: OrderNoSource;
}

/** An order the caller may see: with a userId, another user's order does not exist for them. */
async function visibleOrder(deps: OrderDeps, orderId: string, userId: string | undefined): Promise<OrderDoc> {
  const doc = await deps.repo.get(orderId);
  if (!doc || (userId !== undefined && doc.userId !== userId)) throw new DomainError('NOT_FOUND', `order ${orderId} not found`);
  return doc;
}

function withPosition(view: OrderView, answer: QueueEntryView): OrderView {
  if (!isFinal(view.state)) view.position = answer.carsAhead;
  return view;
}

export async function registerOrderHandlers(deps: OrderDeps): Promise<void> {
  const { bus, clock, repo } = deps;

  await bus.consume({
    queue: 'events',
    types: ORDER_EVENT_TYPES,
    async handler(msg) {
      const p = msg.payload;
      await repo.mutate(p.orderId, (current) => applyEvent(current, msg as Envelope<OrderEventType>, clock.now()));
    },
  });

  await bus.serve('order.request', async (params, { correlationId }) => {
    const createdAt = clock.now();
    const orderId = newOrderId();
    const orderNo = await nextOrderNo(deps.orderNos, createdAt);
    const submit: RpcParams<'scheduler.submit'> = {
      orderId,
      userId: params.userId,
      stationId: params.stationId,
      mode: params.mode,
      energyWms: params.energyWms,
    };
    if (params.carId !== undefined) submit.carId = params.carId;
    // a refusal (WAITING_AREA_FULL, ALREADY_QUEUED ...) propagates as the same DomainError; nothing is stored
    const answer = await bus.call('scheduler.submit', submit, { correlationId });
    const stored = await repo.mutate(orderId, (current) =>
      applyRequestAnswer(current, { ...params, orderId, orderNo, createdAt }, answer, clock.now()),
    );
    return withPosition(toView(stored!), answer);
  });

  await bus.serve('order.get', async (params) => toView(await visibleOrder(deps, params.orderId, params.userId)));

  await bus.serve('order.list', async (params) => {
    const page = await repo.list(params);
    return { items: page.items.map(toView), total: page.total, pageNum: params.pageNum, pageSize: params.pageSize };
  });

  await bus.serve('order.modify', async (params, { correlationId }) => {
    const doc = await visibleOrder(deps, params.orderId, params.userId);
    if (isFinal(doc.state)) throw new DomainError('NOT_MODIFIABLE', `order ${doc.orderId} is ${doc.state}`);
    const modify: RpcParams<'scheduler.modify'> = { orderId: doc.orderId, stationId: doc.stationId };
    if (params.mode !== undefined) modify.mode = params.mode;
    if (params.energyWms !== undefined) modify.energyWms = params.energyWms;
    const answer = await bus.call('scheduler.modify', modify, { correlationId });
    const stored = await repo.mutate(doc.orderId, (current) => (current ? applyModifyAnswer(current, answer, clock.now()) : undefined));
    return withPosition(toView(stored!), answer);
  });

  await bus.serve('order.cancel', async (params, { correlationId }) => {
    const doc = await visibleOrder(deps, params.orderId, params.userId);
    if (isFinal(doc.state)) throw new DomainError('CONFLICT', `order ${doc.orderId} is already ${doc.state}`);
    const answer = await bus.call('scheduler.cancel', { orderId: doc.orderId, stationId: doc.stationId }, { correlationId });
    const stored = await repo.mutate(doc.orderId, (current) =>
      current ? applyCancelAnswer(current, answer, params.reason, clock.now()) : undefined,
    );
    return toView(stored!);
  });

  await bus.serve('order.current', async (params, { correlationId }) => {
    const doc = await repo.latestIn(params.userId, LIVE_STATES);
    if (!doc) throw new DomainError('NOT_FOUND', 'no live charging request');
    let position: QueueEntryView | undefined;
    try {
      position = await bus.call('scheduler.position', { orderId: doc.orderId, stationId: doc.stationId }, { correlationId });
    } catch (err) {
      // the scheduler no longer knows it (finished a moment ago; its events are on their way): stored view
      if (!(err instanceof DomainError && err.code === 'NOT_FOUND')) throw err;
    }
    return liveView(doc, position);
  });
}

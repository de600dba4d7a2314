// Order service: the charging order's lifecycle events and RPC.
import { Type, type Static } from '@sinclair/typebox';
import { PaymentMethod, TierSplit } from './billing.js';
import { DeviceId, PortNo } from './device.js';
import { ChargeMode, EnergyWms, EpochMs, FeeFen, Id, Literals, Page, PageParams, type RpcSchemaPair } from './common.js';

export const OrderState = Literals([
  'waiting', // in the waiting area
  'dispatched', // in a pile queue, not yet at its head
  'charging',
  'fault-queued', // re-queued after a pile fault
  'finished',
  'cancelled',
  'refused',
]);
export type OrderState = Static<typeof OrderState>;

// ---- events (published by the scheduler through its outbox; order service consumes) ----
/**
 * Per-order sequence of the scheduler's events: grows with every event about the order (from the station's
 * fencing version and the event's place in that write), so a consumer can tell an older event from a newer one
 * whatever order they arrive in. Optional: events written before it existed carry none.
 */
export const OrderSeq = Type.Integer({ minimum: 0, description: 'per-order event sequence: larger is newer' });
/** The sequence field every scheduler event about an order carries. */
export const OrderSeqField = { orderSeq: Type.Optional(OrderSeq) };
/** Whose order, at which station: what every order event begins with. */
export const OrderRef = { orderId: Id, userId: Id, stationId: Id };
/** A charging request as the station takes it: the order, its user and car, the station, mode and energy. */
export const ChargeRequest = {
  orderId: Id,
  userId: Id,
  carId: Type.Optional(Id),
  stationId: Id,
  mode: ChargeMode,
  energyWms: EnergyWms({ description: 'requested energy' }),
};

export const OrderQueued = Type.Object({
  ...ChargeRequest,
  queueNo: Type.String({ description: 'F1, T3 ...' }),
  seq: Type.Integer({ minimum: 0, description: 'global issue order; the real waiting order' }),
  queuedAt: EpochMs(),
  ...OrderSeqField,
});
export type OrderQueued = Static<typeof OrderQueued>;

export const OrderDispatched = Type.Object({
  ...OrderRef,
  queueNo: Type.String(),
  pileNo: Type.String(),
  place: Type.Integer({ minimum: 0, description: '0 = head of the pile queue' }),
  dispatchedAt: EpochMs(),
  ...OrderSeqField,
});
export type OrderDispatched = Static<typeof OrderDispatched>;

export const OrderModified = Type.Object({
  ...OrderRef,
  mode: ChargeMode,
  energyWms: EnergyWms(),
  queueNo: Type.String(),
  previousQueueNo: Type.String(),
  modifiedAt: EpochMs(),
  ...OrderSeqField,
});
export type OrderModified = Static<typeof OrderModified>;

export const OrderCancelled = Type.Object({
  ...OrderRef,
  queueNo: Type.String(),
  cancelledAt: EpochMs(),
  ...OrderSeqField,
  reason: Type.Optional(Type.String()),
  sessionId: Type.Optional(Id), // set when charging was stopped by the cancel (a session.ended follows)
});
export type OrderCancelled = Static<typeof OrderCancelled>;

export const OrderRequeued = Type.Object({
  ...OrderRef,
  queueNo: Type.String(),
  fromPileNo: Type.String(),
  remainingEnergyWms: EnergyWms(),
  reason: Type.String({ description: 'fault | pile-off | recovery-redispatch | start-failed ...' }),
  /** a failed start: the pile's or the scheduler's words (e.g. "the pile did not reconnect within 60 s ...") */
  detail: Type.Optional(Type.String()),
  requeuedAt: EpochMs(),
  ...OrderSeqField,
});
export type OrderRequeued = Static<typeof OrderRequeued>;

export const OrderFinished = Type.Object({
  ...OrderRef,
  queueNo: Type.String(),
  energyWms: EnergyWms({ description: 'delivered over all sessions of the order' }),
  finishedAt: EpochMs(),
  ...OrderSeqField,
});
export type OrderFinished = Static<typeof OrderFinished>;

export const orderMessages = {
  'order.queued': OrderQueued,
  'order.dispatched': OrderDispatched,
  'order.modified': OrderModified,
  'order.cancelled': OrderCancelled,
  'order.requeued': OrderRequeued,
  'order.finished': OrderFinished,
} as const;

// ---- RPC (order service serves) ----
/** A session of the order as the order service saw it (from session.* and bill.created). */
export const OrderSessionView = Type.Object({
  sessionId: Id,
  pileNo: Type.String(),
  powerW: Type.Integer({ minimum: 0 }),
  startedAt: EpochMs(),
  endedAt: Type.Optional(EpochMs()),
  energyWms: Type.Optional(EnergyWms({ description: 'delivered, once the session ended' })),
  reason: Type.Optional(Type.String()),
  billId: Type.Optional(Id),
});
export type OrderSessionView = Static<typeof OrderSessionView>;

export const OrderView = Type.Object({
  orderId: Id,
  orderNo: Type.String({ description: 'shown to users: station-local date + daily sequence' }),
  userId: Id,
  carId: Type.Optional(Id),
  stationId: Id,
  mode: ChargeMode,
  energyWms: EnergyWms({ description: 'requested' }),
  requestChargedWms: EnergyWms({ description: 'delivered over all sessions of the request so far (ended sessions; order.current adds the running one)' }),
  energyFeeFen: FeeFen({ description: 'billed so far: energy fee' }),
  serviceFeeFen: FeeFen({ description: 'billed so far: service fee' }),
  requestFeeFen: FeeFen({ description: 'billed so far for the whole request: total (order.current adds the running session)' }),
  tiers: Type.Array(TierSplit, { description: 'billed energy and energy fee per tariff tier, summed over the bills' }),
  chargingMs: Type.Integer({ minimum: 0, description: 'time spent charging over the ended sessions' }),
  state: OrderState,
  queueNo: Type.Optional(Type.String()),
  pileNo: Type.Optional(Type.String()),
  powerW: Type.Optional(Type.Integer({ minimum: 0, description: 'power of the latest session' })),
  position: Type.Optional(Type.Integer({ minimum: 0, description: 'cars ahead (request/modify/current answers)' })),
  billIds: Type.Array(Id),
  sessions: Type.Array(OrderSessionView),
  sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the running session' })),
  stoppedSessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the session a cancel stopped (its bill follows)' })),
  stopReason: Type.Optional(Type.String({ description: 'end reason of the latest session' })),
  requeues: Type.Optional(Type.Array(Type.Object({
    atMs: EpochMs(),
    fromPileNo: Type.String(),
    reason: Type.String(),
    detail: Type.Optional(Type.String()),
  }), { description: 'each time the order went back to the fault queue, oldest first (e.g. a start the pile never confirmed)' })),
  startedAt: Type.Optional(EpochMs({ description: 'first session start' })),
  endedAt: Type.Optional(EpochMs({ description: 'finish or cancel time' })),
  createdAt: EpochMs(),
  updatedAt: EpochMs(),
  // ---- walk-up orders (document 004); absent on queue-station orders ----
  kind: Type.Optional(Literals(['queue', 'walk-up'])),
  deviceId: Type.Optional(DeviceId),
  /** 004's pile id `<stationId>-<pileNo>` */
  pileId: Type.Optional(Id),
  portNo: Type.Optional(PortNo),
  origin: Type.Optional(Literals(['app', 'card'])),
  chargingMode: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
  limitFeeFen: Type.Optional(FeeFen()),
  limitDurationMs: Type.Optional(Type.Integer({ minimum: 1 })),
  limitEnergyWms: Type.Optional(EnergyWms()),
  paymentMethod: Type.Optional(PaymentMethod),
  /** 004's order paymentStatus: 0 not paid (or partly: owedFen > 0), 1 paid, 2 refunded */
  paymentStatus: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  /** paid towards the bills so far (balance debits) */
  paidFen: Type.Optional(FeeFen()),
  /** billed and not yet paid */
  owedFen: Type.Optional(FeeFen()),
  /** a WeChat prepay made at create (paymentMethod 1) */
  paymentId: Type.Optional(Type.String()),
  /** 004 stopReason code of the session's end (1 user ... 7 other) */
  stopReasonCode: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 })),
});
export type OrderView = Static<typeof OrderView>;

/** A client's idempotency key (the `Idempotency-Key` header): printable ASCII, at most 128 characters. */
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7E]+$' });
export const OrderRequestParams = Type.Object({
  userId: Id,
  /** must be one of the user's cars (auth); NOT_FOUND (resource car) otherwise, nothing stored */
  carId: Type.Optional(Id),
  stationId: Id,
  mode: ChargeMode,
  energyWms: EnergyWms(),
  /**
   * The same (userId, key) always names the same order: a retry (after a timeout answer) gets the order the first
   * call created, also while that call is still running; the key with a different request is CONFLICT.
   */
  idempotencyKey: Type.Optional(IdempotencyKey),
});
export type OrderRequestParams = Static<typeof OrderRequestParams>;

/** With userId, another user's order is NOT_FOUND (users see only their own). */
export const OrderGetParams = Type.Object({ orderId: Id, userId: Type.Optional(Id) });
/** Newest first. fromMs/toMs bound createdAt (inclusive, exclusive). */
export const OrderListParams = Type.Object({
  userId: Type.Optional(Id),
  stationId: Type.Optional(Id),
  states: Type.Optional(Type.Array(OrderState)),
  fromMs: Type.Optional(EpochMs()),
  toMs: Type.Optional(EpochMs()),
  ...PageParams,
});
export const OrderModifyParams = Type.Object({
  orderId: Id,
  userId: Type.Optional(Id),
  mode: Type.Optional(ChargeMode),
  energyWms: Type.Optional(EnergyWms()),
});
export const OrderCancelParams = Type.Object({ orderId: Id, userId: Type.Optional(Id), reason: Type.Optional(Type.String()) });
/** The user's live request (waiting, dispatched, charging or fault-queued) with live figures; NOT_FOUND if none. */
export const OrderCurrentParams = Type.Object({ userId: Id });
export const OrderList = Page(OrderView);

/**
 * 004's `POST /api/order/create`: a walk-up order on a port, started at once (scheduler.startWalkUp). The limit
 * is in exact units and must match the mode (2 fee, 3 duration, 4 energy; 1 none). Payment 3 (balance) needs at
 * least the fee limit (mode 2) or 10 yuan (other modes): CONFLICT reason BALANCE_LOW otherwise; 2 (Alipay) is
 * VALIDATION resource payment; 1 (WeChat) makes a prepay of the limit (mode 2) or 10 yuan, answered as paymentId,
 * and charging starts at once. The scheduler's refusals propagate; nothing is stored on a refusal. The same
 * (userId, idempotencyKey) answers the same order.
 */
export const CreateWalkUpParams = Type.Object({
  userId: Id,
  /** 004's pile id, or the device id (the QR code names either) */
  pileId: Id,
  portNo: PortNo,
  chargingMode: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)]),
  limitFeeFen: Type.Optional(FeeFen()),
  limitDurationMs: Type.Optional(Type.Integer({ minimum: 1 })),
  limitEnergyWms: Type.Optional(EnergyWms()),
  paymentMethod: PaymentMethod,
  idempotencyKey: Type.Optional(IdempotencyKey),
}, { additionalProperties: false });
export type CreateWalkUpParams = Static<typeof CreateWalkUpParams>;
/** 004's `POST /api/order/{id}/stop`: a walk-up order's session is stopped at the pile; CONFLICT resource order
 *  when it is not charging (ended: the order as it is). */
export const StopOrderParams = Type.Object({
  orderId: Id,
  userId: Type.Optional(Id),
  stopReason: Type.Integer({ minimum: 1, maximum: 7 }),
}, { additionalProperties: false });

export const orderRpc = {
  'order.createWalkUp': { params: CreateWalkUpParams, result: OrderView },
  'order.stop': { params: StopOrderParams, result: OrderView },
  'order.request': { params: OrderRequestParams, result: OrderView },
  'order.get': { params: OrderGetParams, result: OrderView },
  'order.list': { params: OrderListParams, result: OrderList },
  'order.modify': { params: OrderModifyParams, result: OrderView },
  'order.cancel': { params: OrderCancelParams, result: OrderView },
  'order.current': { params: OrderCurrentParams, result: OrderView },
} as const satisfies Record<string, RpcSchemaPair>;

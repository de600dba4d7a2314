// The RPC sequences every dialect runs the same way, so a dialect parses its input, calls one of these and shapes
// the result; it never re-sequences RPCs. Inputs are the platform's units (Wms, epoch ms); outputs the contracts'.
import type { FastifyRequest } from 'fastify';
import type { Bill, BoardResult, CarView, ChargeMode, LoginParams, LoginResult, OrderState, OrderView, QueueEntryView, RegisterParams, RegisterResult, ReportRow } from '@voltq/contracts';
import { isDomainError, ownedOrNotFound } from '@voltq/kit';
import type { CoreDeps } from './context.js';

type Deps = Pick<CoreDeps, 'call'>;

export interface ChargeRequest {
  userId: string;
  /** the configured default station when absent */
  stationId?: string;
  mode: ChargeMode;
  energyWms: number;
  carId?: string;
  /** the same key from the same user always answers the same order (order.request) */
  idempotencyKey?: string;
}

/** Request a charge: the order enters the waiting area (or the repeat of a live request answers that order). */
export function requestCharge(deps: Pick<CoreDeps, 'call' | 'defaultStationId'>, req: FastifyRequest, r: ChargeRequest): Promise<OrderView> {
  return deps.call(req, 'order.request', {
    userId: r.userId,
    stationId: r.stationId ?? deps.defaultStationId,
    mode: r.mode,
    energyWms: r.energyWms,
    ...(r.carId !== undefined ? { carId: r.carId } : {}),
    ...(r.idempotencyKey !== undefined ? { idempotencyKey: r.idempotencyKey } : {}),
  });
}

/** The caller's live request (NOT_FOUND when there is none). */
export function currentRequest(deps: Deps, req: FastifyRequest, userId: string): Promise<OrderView> {
  return deps.call(req, 'order.current', { userId });
}

/** Change mode and/or kWh of a request in the waiting area. */
export function modifyRequest(deps: Deps, req: FastifyRequest, r: { orderId: string; userId: string; mode?: ChargeMode; energyWms?: number }): Promise<OrderView> {
  return deps.call(req, 'order.modify', {
    orderId: r.orderId,
    userId: r.userId,
    ...(r.mode !== undefined ? { mode: r.mode } : {}),
    ...(r.energyWms !== undefined ? { energyWms: r.energyWms } : {}),
  });
}

/** Cancel a request and wait (bounded) for the bill of the session the cancel stopped: the order and that bill. */
export async function cancelAndWaitForBill(
  deps: Pick<CoreDeps, 'call' | 'billWaitMs'>,
  req: FastifyRequest,
  r: { orderId: string; userId: string },
): Promise<{ order: OrderView; bill: Bill | null }> {
  const order = await deps.call(req, 'order.cancel', { orderId: r.orderId, userId: r.userId });
  return { order, bill: await billOfCancel(deps, req, order, r.userId) };
}

/**
 * The bill to show with a cancelled order: the one of the session the cancel stopped (billing makes it
 * asynchronously from session.ended, so wait for it, bounded), else the order's latest bill, else none.
 */
async function billOfCancel(deps: Pick<CoreDeps, 'call' | 'billWaitMs'>, req: FastifyRequest, order: OrderView, userId: string): Promise<Bill | null> {
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

/** One order of the caller (another user's is NOT_FOUND, checked here too). */
export async function ownOrder(deps: Deps, req: FastifyRequest, userId: string, orderId: string): Promise<OrderView> {
  const order = ownedOrNotFound(await deps.call(req, 'order.get', { orderId, userId }), userId, `order ${orderId}`);
  // the order service filters by userId already; checked again so a user can never read another's order
  return withCurrentPayment(deps, req, order);
}

/**
 * An order that owed money when its bill was made may have been paid since (`/api/payment/pay`): billing's ledger
 * says what it owes now (the order service learns of bills, not of later payments).
 */
async function withCurrentPayment(deps: Deps, req: FastifyRequest, order: OrderView): Promise<OrderView> {
  if (order.kind !== 'walk-up' || (order.owedFen ?? 0) === 0) return order;
  const now = await deps.call(req, 'billing.orderPayment', { orderId: order.orderId, userId: order.userId });
  return { ...order, paidFen: now.paidFen, owedFen: now.owedFen, paymentStatus: now.owedFen === 0 ? 1 : 0 };
}

/** The caller's orders, newest first, optionally by state and [fromMs, toMs). */
export function listOrders(
  deps: Deps,
  req: FastifyRequest,
  q: { userId: string; pageNum: number; pageSize: number; states?: OrderState[]; fromMs?: number; toMs?: number },
) {
  return deps.call(req, 'order.list', q);
}

/** One bill of the caller (another user's is NOT_FOUND, checked here too). */
export async function ownBill(deps: Deps, req: FastifyRequest, userId: string, billId: string): Promise<Bill> {
  const bill = await deps.call(req, 'billing.getBill', { billId, userId });
  // billing filters by userId already; checked again so a user can never read another's bill
  return ownedOrNotFound(bill, userId, `bill ${billId}`);
}

/** The caller's bills, newest first (only the caller's, checked here too). */
export async function listBills(deps: Deps, req: FastifyRequest, q: { userId: string; pageNum: number; pageSize: number; orderId?: string }) {
  const page = await deps.call(req, 'billing.listBills', q);
  return { ...page, items: page.items.filter((b) => b.userId === q.userId) };
}

type Reply = Parameters<CoreDeps['logins']['attempt']>[1];

/** Register (and log in) under the failed-attempt limits (a taken name counts; 429 RATE_LIMITED with Retry-After). */
export function register(deps: Pick<CoreDeps, 'call' | 'logins'>, req: FastifyRequest, reply: Reply, params: RegisterParams): Promise<RegisterResult> {
  return deps.logins.attempt(req, reply, 'register', params.username, () => deps.call(req, 'auth.register', params));
}

/** A user's login under the failed-attempt limits (user and admin doors share the counts). */
export function login(deps: Pick<CoreDeps, 'call' | 'logins'>, req: FastifyRequest, reply: Reply, params: LoginParams): Promise<LoginResult> {
  return deps.logins.attempt(req, reply, 'login', params.username, () => deps.call(req, 'auth.login', params));
}

/** An admin's login under the same limits. */
export function adminLogin(deps: Pick<CoreDeps, 'call' | 'logins'>, req: FastifyRequest, reply: Reply, params: LoginParams): Promise<LoginResult> {
  return deps.logins.attempt(req, reply, 'login', params.username, () => deps.call(req, 'auth.adminLogin', params));
}

/** The configured station's board (piles with their queues, the waiting area, the fault queue). */
export function stationBoard(deps: Pick<CoreDeps, 'call' | 'defaultStationId'>, req: FastifyRequest): Promise<BoardResult> {
  return deps.call(req, 'scheduler.board', { stationId: deps.defaultStationId });
}

/** Every bill of the station (or one pile) up to the board's instant, summed per pile number (billing.report). */
export async function pileTotals(deps: Pick<CoreDeps, 'call' | 'defaultStationId'>, req: FastifyRequest, board: BoardResult, pileNo?: string): Promise<Map<string, ReportRow>> {
  const report = await deps.call(req, 'billing.report', { stationId: deps.defaultStationId, fromMs: 0, toMs: board.timeMs + 1, ...(pileNo !== undefined ? { pileNo } : {}) });
  return new Map(report.rows.map((r) => [r.pileNo, r]));
}

/** The key of a queued car in carsOf's answer. */
export const carKey = (e: Pick<QueueEntryView, 'userId' | 'carId'>): string => `${e.userId}|${e.carId ?? ''}`;

/** The cars of queued requests (plate, capacity), asked of auth once each; a car auth no longer has: absent. */
export async function carsOf(deps: Deps, req: FastifyRequest, entries: readonly QueueEntryView[]): Promise<Map<string, CarView>> {
  const refs = new Map<string, { userId: string; carId: string }>();
  for (const e of entries) if (e.carId !== undefined) refs.set(carKey(e), { userId: e.userId, carId: e.carId });
  const found = await Promise.all([...refs].map(async ([key, ref]) => {
    try {
      return [key, await deps.call(req, 'auth.getCar', ref)] as const;
    } catch (err) {
      if (isDomainError(err) && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }));
  return new Map(found.filter((x) => x !== undefined));
}

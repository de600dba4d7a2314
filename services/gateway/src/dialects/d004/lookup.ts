// The RPC sequences of 004's pile, port and control routes: find a pile (a registered device, else a queue
// station's modelled pile), its station's name, the port totals, and which order ids the caller may see.
import type { FastifyRequest } from 'fastify';
import type { DeviceView, OrderView, PortTotals } from '@voltq/contracts';
import { DomainError, isDomainError } from '@voltq/kit';
import { principal } from '../../core/context.js';
import type { RouteDeps } from './context.js';
import type { OrderExtras } from './format.js';
import { pileOfDevice, pileOfQueueStation, type PileModel, type Visible } from './piles.js';

type Deps = Pick<RouteDeps, 'call'>;

const notFound = (err: unknown) => isDomainError(err) && err.code === 'NOT_FOUND';

/** A station's name; its id when the scheduler does not know it (a device registered before its station went). */
export async function stationName(deps: Deps, req: FastifyRequest, stationId: string): Promise<string> {
  try {
    return (await deps.call(req, 'scheduler.getStation', { stationId })).name;
  } catch (err) {
    if (notFound(err)) return stationId;
    throw err;
  }
}

export async function pileOfDeviceView(deps: Deps, req: FastifyRequest, d: DeviceView): Promise<PileModel> {
  return pileOfDevice(d, await stationName(deps, req, d.stationId));
}

/**
 * One pile by 004's pile id (or, with `code`, anything a QR code names: pile id, device id, pile number): the
 * registered device, else a queue station's pile `<stationId>-<pileNo>`. NOT_FOUND resource pile (2002) otherwise.
 */
export async function findPile(deps: Deps, req: FastifyRequest, by: { pileId: string } | { code: string } | { deviceId: string }): Promise<PileModel> {
  try {
    return await pileOfDeviceView(deps, req, await deps.call(req, 'device.get', by));
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  const id = 'pileId' in by ? by.pileId : 'code' in by ? by.code : by.deviceId;
  // a queue pile's number holds no '-': the station id is what comes before the last one
  const cut = id.lastIndexOf('-');
  if (cut > 0) {
    const stationId = id.slice(0, cut);
    const pileNo = id.slice(cut + 1);
    try {
      const station = await deps.call(req, 'scheduler.getStation', { stationId });
      const pile = station.kind === 'queue' ? station.piles.find((p) => p.pileNo === pileNo) : undefined;
      if (pile) return pileOfQueueStation(station, pile);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  throw new DomainError('NOT_FOUND', `no pile ${id}`, { resource: 'pile' });
}

/** The totals of every port of these piles (devices only: a queue pile has none), by `<deviceId>|<portNo>`. */
export async function portTotals(deps: Deps, req: FastifyRequest, piles: readonly PileModel[]): Promise<Map<string, PortTotals>> {
  const deviceIds = [...new Set(piles.flatMap((p) => (p.deviceId !== undefined ? [p.deviceId] : [])))];
  const out = new Map<string, PortTotals>();
  for (let i = 0; i < deviceIds.length; i += 1000) {
    const { items } = await deps.call(req, 'scheduler.portTotals', { deviceIds: deviceIds.slice(i, i + 1000) });
    for (const t of items) out.set(totalsKey(t.deviceId, t.portNo), t);
  }
  return out;
}
export const totalsKey = (deviceId: string | undefined, portNo: number) => `${deviceId ?? ''}|${portNo}`;

/**
 * Which of these order ids the caller may see: an operator every one, a user its own (asked of the order service
 * with the caller's id: another user's order is NOT_FOUND there, and shown as null here).
 */
export async function visibleOrders(deps: Deps, req: FastifyRequest, ids: readonly (string | undefined)[]): Promise<Visible> {
  const who = principal(req);
  if (who.role === 'admin') return (id) => id ?? null;
  const distinct = [...new Set(ids.filter((id): id is string => id !== undefined))];
  const own = new Set<string>();
  await Promise.all(distinct.map(async (orderId) => {
    try {
      const order = await deps.call(req, 'order.get', { orderId, userId: who.userId });
      if (order.userId === who.userId) own.add(orderId);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }));
  return (id) => (id !== undefined && own.has(id) ? id : null);
}

/**
 * What an order's 004 views add to it: the station's name, a walk-up order's session (its live figures until the
 * bill is made) and a WeChat prepay's moment and transaction. A piece the services do not have is left out.
 */
export async function orderExtras(deps: Deps, req: FastifyRequest, order: OrderView): Promise<OrderExtras> {
  const userId = order.userId;
  const optional = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  };
  const wantsSession = order.kind === 'walk-up' && order.state !== 'refused' && (order.state === 'charging' || order.billIds.length === 0);
  const [name, session, payment] = await Promise.all([
    stationName(deps, req, order.stationId),
    wantsSession ? optional(deps.call(req, 'scheduler.walkUpSession', { orderId: order.orderId, userId })) : undefined,
    order.paymentId !== undefined ? optional(deps.call(req, 'billing.payment', { paymentId: order.paymentId, userId })) : undefined,
  ]);
  return {
    stationName: name,
    ...(session ? { session } : {}),
    ...(payment ? { payment: { ...(payment.paidAt !== undefined ? { paidAt: payment.paidAt } : {}), ...(payment.transactionId !== undefined ? { transactionId: payment.transactionId } : {}) } } : {}),
  };
}

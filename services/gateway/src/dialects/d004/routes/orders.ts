// Document 004 orders: the caller's order list and one order in full (fees and tier split from its bills); every
// user's orders for operators (`GET /api/admin/orders`, a platform addition).
import type { OrderState } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { principal, type Api } from '../../../core/context.js';
import { TAG, type RouteDeps } from '../context.js';
import { listOrders, ownOrder } from '../../../core/use-cases.js';
import { ok } from '../envelope.js';
import { orderExtras } from '../lookup.js';
import { numericUserId, orderDetail004, orderListItem004, page004, statesFor004Status } from '../format.js';
import { localDayRange } from '../../../core/parse.js';
import { AdminListQuery, adminListFilter, AdminOrderItem, OrderDetail004, OrderIdParams, OrderListItem004, OrdersQuery, Page004, responses } from '../schemas.js';

export function orderRoutes(api: Api, deps: RouteDeps): void {
  api.get('/orders', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's orders, newest first", security: [{ bearerAuth: [] }], querystring: OrdersQuery, response: responses(Page004(OrderListItem004)) },
    config: { resource: 'order' },
  }, async (req) => {
    const { pageNum, pageSize, status, startDate, endDate } = req.query;
    const params: { userId: string; pageNum: number; pageSize: number; states?: OrderState[]; fromMs?: number; toMs?: number } = {
      userId: principal(req).userId,
      pageNum,
      pageSize,
    };
    if (status !== undefined) params.states = statesFor004Status(status);
    if (startDate !== undefined) params.fromMs = localDayRange(startDate, deps.timeZone, 'startDate').fromMs;
    if (endDate !== undefined) params.toMs = localDayRange(endDate, deps.timeZone, 'endDate').toMs;
    if (params.fromMs !== undefined && params.toMs !== undefined && params.fromMs >= params.toMs) {
      throw new DomainError('VALIDATION', 'startDate must not be after endDate');
    }
    const page = await listOrders(deps, req, params);
    const fmt = deps.fmt();
    return ok(page004(page, (o) => orderListItem004(o, fmt)));
  });

  api.get('/order/:id', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'one order of the caller (a walk-up order charging: its live figures)', security: [{ bearerAuth: [] }], params: OrderIdParams, response: responses(OrderDetail004) },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await ownOrder(deps, req, principal(req).userId, req.params.id);
    return ok(orderDetail004(order, deps.fmt(), await orderExtras(deps, req, order)));
  });

  api.get('/admin/orders', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "every user's orders, newest first (by creation)", security: [{ bearerAuth: [] }], querystring: AdminListQuery, response: responses(Page004(AdminOrderItem)) },
    config: { resource: 'order' },
  }, async (req) => {
    // every user's: order.list without a userId (the user routes always name the caller, core/use-cases.ts)
    const page = await deps.call(req, 'order.list', adminListFilter(req.query, deps.timeZone));
    const fmt = deps.fmt();
    return ok(page004(page, (o) => ({ ...orderListItem004(o, fmt), userId: numericUserId(o.userId) })));
  });
}

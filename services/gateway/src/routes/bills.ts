// Platform additions: the caller's bills (详单).
import { ownedOrNotFound } from '@voltq/kit';
import { ok, principal, type Api, type RouteDeps } from '../context.js';
import { billView, page004 } from '../format.js';
import { BillIdPath, BillsQuery, BillView, Page004, responses } from '../schemas.js';

export function billRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.get('/bills/:billId', {
    onRequest: deps.user,
    schema: { tags: ['bills'], summary: 'one bill of the caller', security, params: BillIdPath, response: responses(BillView) },
    config: { resource: 'bill' },
  }, async (req) => {
    const userId = principal(req).userId;
    const bill = await deps.call(req, 'billing.getBill', { billId: req.params.billId, userId });
    // billing filters by userId already; checked again so a user can never read another's bill
    ownedOrNotFound(bill, userId, `bill ${req.params.billId}`);
    return ok(billView(bill, deps.fmt()));
  });

  api.get('/bills', {
    onRequest: deps.user,
    schema: { tags: ['bills'], summary: "the caller's bills, newest first", security, querystring: BillsQuery, response: responses(Page004(BillView)) },
    config: { resource: 'bill' },
  }, async (req) => {
    const { pageNum, pageSize, orderId } = req.query;
    const userId = principal(req).userId;
    const page = await deps.call(req, 'billing.listBills', { userId, pageNum, pageSize, ...(orderId !== undefined ? { orderId } : {}) });
    const fmt = deps.fmt();
    return ok(page004({ ...page, items: page.items.filter((b) => b.userId === userId) }, (b) => billView(b, fmt)));
  });
}

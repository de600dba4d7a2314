// Platform additions: the caller's bills (详单), and every user's for operators (`GET /api/admin/bills`).
import { principal, type Api } from '../../../core/context.js';
import { TAG, type RouteDeps } from '../context.js';
import { listBills, ownBill } from '../../../core/use-cases.js';
import { ok } from '../envelope.js';
import { billView, numericUserId, page004 } from '../format.js';
import { AdminBillView, AdminListQuery, adminListFilter, BillIdPath, BillsQuery, BillView, Page004, responses } from '../schemas.js';

export function billRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.get('/bills/:billId', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'one bill of the caller', security, params: BillIdPath, response: responses(BillView) },
    config: { resource: 'bill' },
  }, async (req) => {
    const bill = await ownBill(deps, req, principal(req).userId, req.params.billId);
    return ok(billView(bill, deps.fmt()));
  });

  api.get('/bills', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's bills, newest first", security, querystring: BillsQuery, response: responses(Page004(BillView)) },
    config: { resource: 'bill' },
  }, async (req) => {
    const { pageNum, pageSize, orderId } = req.query;
    const userId = principal(req).userId;
    const page = await listBills(deps, req, { userId, pageNum, pageSize, ...(orderId !== undefined ? { orderId } : {}) });
    const fmt = deps.fmt();
    return ok(page004(page, (b) => billView(b, fmt)));
  });

  api.get('/admin/bills', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "every user's bills, newest first (by session end)", security, querystring: AdminListQuery, response: responses(Page004(AdminBillView)) },
    config: { resource: 'bill' },
  }, async (req) => {
    const page = await deps.call(req, 'billing.listBills', adminListFilter(req.query, deps.timeZone));
    const fmt = deps.fmt();
    return ok(page004(page, (b) => ({ ...billView(b, fmt), userId: numericUserId(b.userId) })));
  });
}

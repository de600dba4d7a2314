// 000's history (000:420): the caller's latest `num` bills, one record per bill (billing.listBills, newest first).
import type { Bill } from '@voltq/contracts';
import { formatKwh, formatYuan } from '@voltq/tariff';
import { principal, type Api } from '../../../core/context.js';
import { numericPileId, numericRecordId } from '../../../core/numeric-ids.js';
import { iso } from '../../../core/units.js';
import { listBills, ownOrder } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { LogAnswer, LogQuery, responses } from '../schemas.js';

export function logRecord(bill: Bill, orderNo: string, timeZone: string) {
  return {
    record_id: numericRecordId(bill.billNo),
    request_id: numericRecordId(orderNo),
    charging_station_id: numericPileId(bill.pileNo),
    start_time: iso(bill.startedAt, timeZone) ?? '',
    end_time: iso(bill.endedAt, timeZone) ?? '',
    actual_power: formatKwh(bill.energyWms),
    service_fee: formatYuan(bill.serviceFeeFen),
    charging_fee: formatYuan(bill.energyFeeFen),
    total_fee: formatYuan(bill.totalFen),
  };
}

export function logRoutes(api: Api, deps: RouteDeps): void {
  api.get('/user/log/get', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "the caller's latest charges (one record per bill)", querystring: LogQuery, response: responses(LogAnswer) },
    config: { resource: 'bill' },
  }, async (req) => {
    const userId = principal(req).userId;
    const page = await listBills(deps, req, { userId, pageNum: 1, pageSize: req.query.num ?? 10 });
    const orderNos = new Map<string, string>();
    for (const bill of page.items) {
      if (!orderNos.has(bill.orderId)) orderNos.set(bill.orderId, (await ownOrder(deps, req, userId, bill.orderId)).orderNo);
    }
    return ok('获取成功', { log: page.items.map((b) => logRecord(b, orderNos.get(b.orderId) ?? '', deps.timeZone)) });
  });
}

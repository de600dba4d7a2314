// 001's views: modes fast/common (quick = fast in `revise`), one log record per past order (001:197-207), times
// `YYYY-MM-DD HH:mm:ss` in the station's zone, kWh, yuan and hours as numbers. Pure.
import type { Bill, ChargeMode, OrderView } from '@voltq/contracts';
import { numericPileId, numericRecordId } from '../../core/numeric-ids.js';
import { hours, kwh, localTime, yuan } from '../../core/units.js';

/** The words 001 reads: `fast`/`common` at the opening (001:115), `quick` in `revise` (001:151); `slow` too. */
export const MODE_WORDS = ['fast', 'quick', 'common', 'slow'] as const;
export type ModeWord = (typeof MODE_WORDS)[number];

export function modeOf001(word: ModeWord): ChargeMode {
  return word === 'fast' || word === 'quick' ? 'fast' : 'slow';
}

/** How 001's answers name a mode: the opening's words (001:115). */
export function mode001(mode: ChargeMode): 'fast' | 'common' {
  return mode === 'fast' ? 'fast' : 'common';
}

/** A past order as `/user/log` lists it (001:197-207): energy and fees of all its sessions. */
export function logRecord001(o: OrderView, timeZone: string) {
  return {
    id: numericRecordId(o.orderNo),
    time: localTime(o.createdAt, timeZone),
    stationId: o.pileNo ? numericPileId(o.pileNo) : 0,
    quantity: kwh(o.requestChargedWms),
    timeOfUse: hours(o.chargingMs),
    startTime: localTime(o.startedAt, timeZone),
    endTime: localTime(o.endedAt, timeZone),
    costOfCharge: yuan(o.energyFeeFen),
    costOfService: yuan(o.serviceFeeFen),
    cost: yuan(o.requestFeeFen),
  };
}

/** The same record as `/user/lognew` types it (001:266-275): `id` and `timeOfUse` are strings there. */
export function logNewRecord001(o: OrderView, timeZone: string) {
  const record = logRecord001(o, timeZone);
  return { ...record, id: String(record.id), timeOfUse: record.timeOfUse.toFixed(2) };
}

/** One session's bill inside the settlement push. */
export function billRecord001(b: Bill, timeZone: string) {
  return {
    id: numericRecordId(b.billNo),
    stationId: numericPileId(b.pileNo),
    quantity: kwh(b.energyWms),
    timeOfUse: hours(b.durationMs),
    startTime: localTime(b.startedAt, timeZone),
    endTime: localTime(b.endedAt, timeZone),
    costOfCharge: yuan(b.energyFeeFen),
    costOfService: yuan(b.serviceFeeFen),
    cost: yuan(b.totalFen),
  };
}

/**
 * The settlement push: the order's record with its totals summed over its bills (exact integers, rounded once
 * here), and the bills. `complete` false: a bill of one of its sessions was not there within the wait.
 */
export function settlement001(o: OrderView, bills: readonly Bill[], complete: boolean, timeZone: string) {
  const sorted = [...bills].sort((a, b) => a.startedAt - b.startedAt);
  const sum = (pick: (b: Bill) => number) => sorted.reduce((n, b) => n + pick(b), 0);
  const cancelled = o.state === 'cancelled' || o.state === 'refused';
  return {
    code: 200,
    type: 'settlement',
    msg: `${cancelled ? '已取消' : '充电完成'}，结算完成${complete ? '' : '（部分账单稍后可在充电历史中查看）'}`,
    state: cancelled ? 'cancelled' : 'finished',
    id: numericRecordId(o.orderNo),
    time: localTime(o.createdAt, timeZone),
    stationId: sorted.length > 0 ? numericPileId(sorted[sorted.length - 1]!.pileNo) : 0,
    quantity: kwh(sum((b) => b.energyWms)),
    timeOfUse: hours(sum((b) => b.durationMs)),
    startTime: localTime(sorted[0]?.startedAt, timeZone),
    endTime: localTime(sorted.at(-1)?.endedAt, timeZone),
    costOfCharge: yuan(sum((b) => b.energyFeeFen)),
    costOfService: yuan(sum((b) => b.serviceFeeFen)),
    cost: yuan(sum((b) => b.totalFen)),
    complete,
    bills: sorted.map((b) => billRecord001(b, timeZone)),
  };
}

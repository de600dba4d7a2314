// 002's views: modes F/T, states in capitals, times `YYYY-MM-DD HH:mm:ss` in the station's zone, yuan, kWh, hours.
import type { CarView, ChargeMode, OrderView, PileState, PileView, QueueEntryView, ReportRow } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { hours, kwh, localTime, yuan } from '../../core/units.js';

export const MODE_002 = { fast: 'F', slow: 'T' } as const satisfies Record<ChargeMode, string>;
export function modeFrom002(mode: string): ChargeMode {
  if (mode === 'F') return 'fast';
  if (mode === 'T') return 'slow';
  throw new DomainError('VALIDATION', 'mode must be F (fast) or T (slow)');
}

/** 002's order states; a cancelled or refused order and one in the fault queue have no word in 002: decided below. */
const STATE_002: Record<OrderView['state'], string> = {
  waiting: 'WAITING',
  dispatched: 'DISPATCHED',
  charging: 'CHARGING',
  'fault-queued': 'FAULT_QUEUED',
  finished: 'FINISHED',
  cancelled: 'CANCELLED',
  refused: 'CANCELLED',
};


/** 002's car: `name` is the plate; `power_current` is not kept by the platform (0). */
export function car002(c: CarView, userId: string) {
  return { car_id: c.carId, user_id: userId, name: c.plate ?? '', power_capacity: kwh(c.capacityWms ?? 0), power_current: 0 };
}

/** The integer of a queue number (F3 -> 3); 0 before the order has one. */
function number002(queueNo: string | undefined): number {
  const digits = /(\d+)$/.exec(queueNo ?? '');
  return digits ? Number(digits[1]) : 0;
}

export function order002(o: OrderView, timeZone: string) {
  const chargedKwh = kwh(o.requestChargedWms);
  return {
    id: o.orderId,
    user_id: o.userId,
    car_id: o.carId ?? '',
    mode: MODE_002[o.mode],
    apply_kwh: kwh(o.energyWms),
    charge_kwh: chargedKwh,
    state: STATE_002[o.state],
    // the average energy price of the order: energy fee / kWh charged (0 before any energy)
    charge_price: chargedKwh > 0 ? Math.round((yuan(o.energyFeeFen) / chargedKwh) * 100) / 100 : 0,
    service_price: yuan(o.serviceFeeFen),
    fee: yuan(o.requestFeeFen),
    create_time: localTime(o.createdAt, timeZone),
    // the platform keeps no separate dispatch moment: the first session's start stands for it
    dispatch_time: localTime(o.startedAt, timeZone),
    charge_id: o.pileNo ?? '',
    start_time: localTime(o.startedAt, timeZone),
    finish_time: localTime(o.endedAt, timeZone),
    number: number002(o.queueNo),
    front_cars: o.position ?? 0,
  };
}

/** 002's pile states (002:197): a pile that lost its connection is FAULT, as rule 5 treats it. */
const PILE_STATE_002: Record<PileState, string> = { idle: 'REST', charging: 'WORK', off: 'OFF', fault: 'FAULT', offline: 'FAULT' };

/**
 * A car place (CarBlock, 002:1512): `number` the queue number (F3), `name` and `power_capacity` the car's (auth);
 * `state` (002:214) as the order view says it (a car of the fault queue: FAULT_QUEUED).
 */
export function carBlock002(e: QueueEntryView, car: CarView | undefined) {
  return {
    number: e.queueNo,
    car_id: e.carId ?? '',
    user_id: e.userId,
    name: car?.plate ?? '',
    power_capacity: kwh(car?.capacityWms ?? 0),
    power_current: 0,
    apply_kwh: kwh(e.energyWms),
    wait_time: hours(e.waitingMs ?? 0),
    state: STATE_002[e.state],
  };
}

/** A pile's head (Charge, 002:1564): `id` and `name` its number. */
export function pileHead002(p: PileView) {
  return { id: p.pileNo, name: p.pileNo, mode: MODE_002[p.mode], state: PILE_STATE_002[p.state] };
}

/** A pile's totals from billing's report row (none: the pile has no bill yet). */
export function pileTotals002(row: ReportRow | undefined) {
  return {
    total_charge: kwh(row?.energyWms ?? 0),
    total_charge_times: row?.sessions ?? 0,
    total_charge_duration: hours(row?.durationMs ?? 0),
    total_charge_fee: yuan(row?.energyFeeFen ?? 0),
    total_charge_service: yuan(row?.serviceFeeFen ?? 0),
    total_fee: yuan(row?.totalFen ?? 0),
  };
}

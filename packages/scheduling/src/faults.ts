// Rule 5: a pile going down (fault, or an admin switching it off) and coming back.
import { runCalling } from './calling.js';
import { announceDispatch, startHeadIfIdle, stopSession } from './sessions.js';
import { pickPile } from './dispatch.js';
import { carRef, remainingWms } from './state.js';
import type { Ctx } from './state.js';
import type { CarEntry, Mode, Pile, StationError } from './types.js';

/**
 * The pile stops: its charging car's session ends and is billed for what was delivered; that car and then the
 * pile's other cars keep their numbers and join the fault queue for the energy they still lack. Under
 * 'time-order' the mode's fault queue and the not-yet-charging cars of its other piles are re-dispatched by number.
 */
export function pileDown(ctx: Ctx, pile: Pile, to: 'fault' | 'off', failedStart: string | null = null): StationError | null {
  const { state } = ctx;
  if (pile.state !== 'working') {
    return { code: 'PILE_NOT_WORKING', message: `pile ${pile.pileNo} is already ${pile.state === 'fault' ? 'faulty' : 'off'}` };
  }
  if (state.config.dispatchMode !== 'default' && pile.queue.length > 0) {
    return {
      code: 'NOT_SUPPORTED_IN_DISPATCH_MODE',
      message: `dispatch mode ${state.config.dispatchMode} does not handle a pile going down with cars on it`,
    };
  }
  pile.state = to;
  pile.faultReason = failedStart;
  ctx.events.push({
    type: 'pileStateChanged', at: ctx.at, pileNo: pile.pileNo, mode: pile.mode, state: to, previousState: 'working',
    cause: to, reason: failedStart,
  });
  const cars = pile.queue;
  pile.queue = [];
  const head = cars[0];
  // a started session is billed for what it delivered; one still starting is dropped unbilled
  if (head?.session) stopSession(ctx, pile, head, to, failedStart);
  cars.forEach((car, i) => {
    car.placedAt = ctx.at;
    state.faultQueue.push(car);
    ctx.events.push({
      type: 'requeued', at: ctx.at, ...carRef(car), fromPileNo: pile.pileNo, remainingWms: remainingWms(car),
      cause: i === 0 && failedStart !== null ? 'start-failed' : to,
    });
  });
  if (cars.length > 0 && state.config.faultPolicy === 'time-order') redispatch(ctx, pile.mode);
  runCalling(ctx);
  return null;
}

/**
 * The pile works again. If the mode's other piles have cars that are not charging, those and the mode's
 * fault-queue cars are re-dispatched by number over all its working piles; otherwise calling simply fills it.
 */
export function pileUp(ctx: Ctx, pile: Pile, cause: 'recover' | 'on'): StationError | null {
  const { state } = ctx;
  if (pile.state === 'working') return { code: 'PILE_ALREADY_WORKING', message: `pile ${pile.pileNo} is already working` };
  const previousState = pile.state;
  pile.state = 'working';
  pile.faultReason = null;
  ctx.events.push({
    type: 'pileStateChanged', at: ctx.at, pileNo: pile.pileNo, mode: pile.mode, state: 'working', previousState, cause,
    reason: null,
  });
  const othersHaveQueued = state.piles.some((p) => p !== pile && p.mode === pile.mode && p.state === 'working' &&
    p.queue.length > 1);
  if (state.config.dispatchMode === 'default' && othersHaveQueued) redispatch(ctx, pile.mode);
  runCalling(ctx);
  return null;
}

/** Takes the mode's not-yet-charging pile cars and fault-queue cars, and dispatches them again in number order
 * by rule 2; cars that find no place wait in the fault queue, in number order. Each car taken off a pile gets
 * exactly one event: `dispatched` (from 'pile', possibly back to its own place) or `requeued` ('redispatch'). */
function redispatch(ctx: Ctx, mode: Mode): void {
  const { state } = ctx;
  const moving: Array<{ car: CarEntry; fromPileNo: string | null; fromPosition: number }> = [];
  for (const pile of state.piles) {
    if (pile.mode !== mode || pile.state !== 'working') continue;
    pile.queue.slice(1).forEach((car, i) => moving.push({ car, fromPileNo: pile.pileNo, fromPosition: i + 2 }));
    pile.queue.length = Math.min(pile.queue.length, 1);
  }
  state.faultQueue = state.faultQueue.filter((car) => {
    if (car.mode !== mode) return true;
    moving.push({ car, fromPileNo: null, fromPosition: 0 });
    return false;
  });
  moving.sort((a, b) => a.car.seq - b.car.seq);

  const leftovers: typeof moving = [];
  for (const m of moving) {
    const pile = pickPile(state, mode, remainingWms(m.car), ctx.at);
    if (pile === null) {
      leftovers.push(m);
      continue;
    }
    pile.queue.push(m.car);
    const position = pile.queue.length;
    if (m.fromPileNo !== pile.pileNo || m.fromPosition !== position) m.car.placedAt = ctx.at;
    // Announced even when the car lands where it was: every re-dispatched car gets one event, in dispatch order.
    announceDispatch(ctx, pile, m.car, position, m.fromPileNo === null ? 'faultQueue' : 'pile', m.fromPileNo);
    startHeadIfIdle(ctx, pile);
  }
  for (const { car, fromPileNo } of leftovers) {
    state.faultQueue.push(car);
    if (fromPileNo !== null) {
      car.placedAt = ctx.at;
      ctx.events.push({
        type: 'requeued', at: ctx.at, ...carRef(car), fromPileNo, remainingWms: remainingWms(car), cause: 'redispatch',
      });
    }
  }
}

// Putting cars on piles, starting and ending sessions (rule 3), finishing orders.
import { carRef, durationMs, remainingWms, sessionEnergyWms, sessionFee } from './state.js';
import type { Ctx } from './state.js';
import type { CarEntry, Pile, Place, SessionEndReason, SessionEndedEvent } from './types.js';

/** Appends the car to the pile's queue and announces it; the caller starts the head (see startHeadIfIdle). */
export function enqueue(ctx: Ctx, pile: Pile, car: CarEntry, from: Place, fromPileNo: string | null): void {
  car.placedAt = ctx.at;
  pile.queue.push(car);
  announceDispatch(ctx, pile, car, pile.queue.length, from, fromPileNo);
}

export function announceDispatch(
  ctx: Ctx, pile: Pile, car: CarEntry, position: number, from: Place, fromPileNo: string | null,
): void {
  ctx.events.push({
    type: 'dispatched', at: ctx.at, ...carRef(car), pileNo: pile.pileNo, position, from, fromPileNo,
    remainingWms: remainingWms(car),
  });
}

/**
 * Starts the head car of a working pile if it is not charging yet (a pile's head always charges). On a pile a
 * device drives, the session is only asked for: it is `starting` until the pile confirms (sessionConfirmed).
 */
export function startHeadIfIdle(ctx: Ctx, pile: Pile): void {
  const car = pile.queue[0];
  if (car === undefined || car.session !== null || pile.state !== 'working') return;
  const targetWms = remainingWms(car);
  car.sessionCount += 1;
  const starting = pile.driven === true;
  car.session = {
    sessionId: `${car.orderId}#${car.sessionCount}`,
    pileNo: pile.pileNo,
    powerW: pile.powerW,
    startedAt: ctx.at,
    targetWms,
    endsAt: ctx.at + durationMs(targetWms, pile.powerW),
    starting,
  };
  if (starting) {
    ctx.events.push({
      type: 'sessionStarting', at: ctx.at, ...carRef(car), sessionId: car.session.sessionId, pileNo: pile.pileNo,
      powerW: pile.powerW, targetWms,
    });
    return;
  }
  announceStart(ctx, pile, car);
}

/** The pile reported the starting session of its head car started at `reportedAt`: it runs from then on. */
export function confirmStart(ctx: Ctx, pile: Pile, car: CarEntry, reportedAt: number): void {
  const s = car.session!;
  // never before it was asked for, never in the station's future
  const startedAt = Math.min(ctx.at, Math.max(s.startedAt, reportedAt));
  s.startedAt = startedAt;
  s.endsAt = startedAt + durationMs(s.targetWms, s.powerW);
  s.starting = false;
  announceStart(ctx, pile, car);
  // a report that comes after the charge would have ended completes it at its own instant (the caller plays
  // what is due: see startReport)
}

/** Drops a session that never started (the pile did not confirm it): nothing delivered, nothing billed. */
export function abortStart(
  ctx: Ctx, pile: Pile, car: CarEntry, reason: 'cancelled' | 'fault' | 'off' | 'failed', detail: string | null,
): void {
  const s = car.session;
  if (s === null) return;
  car.session = null;
  ctx.events.push({
    type: 'sessionStartAborted', at: ctx.at, ...carRef(car), sessionId: s.sessionId, pileNo: pile.pileNo, reason, detail,
  });
}

/** Ends the car's session whether it started (billed) or was still starting (dropped, not billed). */
export function stopSession(ctx: Ctx, pile: Pile, car: CarEntry, reason: 'cancelled' | 'fault' | 'off', failed: string | null = null): void {
  if (car.session === null) return;
  if (car.session.starting === true) abortStart(ctx, pile, car, failed !== null ? 'failed' : reason, failed);
  else endSession(ctx, pile, car, reason);
}

function announceStart(ctx: Ctx, pile: Pile, car: CarEntry): void {
  const s = car.session!;
  ctx.events.push({
    type: 'sessionStarted', at: ctx.at, ...carRef(car), sessionId: s.sessionId, pileNo: pile.pileNo,
    startedAt: s.startedAt, powerW: s.powerW, targetWms: s.targetWms, expectedEndAt: s.endsAt,
  });
}

/** Ends the car's running session at ctx.at, bills what was delivered (even 0 kWh) and adds it to the pile. */
export function endSession(ctx: Ctx, pile: Pile, car: CarEntry, reason: SessionEndReason): SessionEndedEvent {
  const s = car.session;
  if (s === null) throw new Error(`internal: ${car.orderId} has no session to end`);
  if (s.starting === true) throw new Error(`internal: ${s.sessionId} never started; abort it instead`);
  const energyWms = sessionEnergyWms(s, ctx.at);
  const fee = sessionFee(ctx.tariff, s, ctx.at);
  const duration = ctx.at - s.startedAt;
  car.deliveredWms += energyWms;
  car.feeFen += fee.totalFen;
  car.chargedMs += duration;
  car.session = null;
  pile.totals.sessions += 1;
  pile.totals.durationMs += duration;
  pile.totals.energyWms += energyWms;
  pile.totals.feeFen += fee.totalFen;
  const event: SessionEndedEvent = {
    type: 'sessionEnded', at: ctx.at, ...carRef(car), sessionId: s.sessionId, pileNo: pile.pileNo,
    startedAt: s.startedAt, endedAt: ctx.at, durationMs: duration, powerW: s.powerW, energyWms, reason,
    energyFeeFen: fee.energyFeeFen, serviceFeeFen: fee.serviceFeeFen, feeFen: fee.totalFen,
    remainingWms: remainingWms(car),
  };
  ctx.events.push(event);
  return event;
}

export function finishOrder(ctx: Ctx, car: CarEntry, reason: 'completed' | 'cancelled', place: Place): void {
  ctx.events.push({
    type: 'orderFinished', at: ctx.at, ...carRef(car), reason, place, requestedWms: car.requestedWms,
    deliveredWms: car.deliveredWms, feeFen: car.feeFen,
  });
}

/** Rule 3 for one pile whose head is due at ctx.at: end and finish it, start the next car at the same instant. */
export function completeHead(ctx: Ctx, pile: Pile): void {
  const car = pile.queue.shift();
  if (car === undefined) return;
  endSession(ctx, pile, car, 'completed');
  finishOrder(ctx, car, 'completed', 'pile');
  startHeadIfIdle(ctx, pile);
}

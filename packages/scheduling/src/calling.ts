// Calling cars into the charging area whenever places are free (rules 2, 5 and 6).
import { freePlaces, minTotalAssignment, pickPile, pileBacklogMs } from './dispatch.js';
import { enqueue, startHeadIfIdle } from './sessions.js';
import { remainingWms } from './state.js';
import type { Ctx } from './state.js';
import type { CarEntry, Mode, Pile } from './types.js';

const MODES: readonly Mode[] = ['fast', 'slow'];

/** Fills every free place that can be filled now, as the station's dispatch mode says. */
export function runCalling(ctx: Ctx): void {
  const dispatchMode = ctx.state.config.dispatchMode;
  if (dispatchMode === 'batch-min-total') {
    batchCalling(ctx);
    return;
  }
  for (const mode of MODES) {
    callFromFaultQueue(ctx, mode);
    if (dispatchMode === 'single-min-total') singleMinTotalCalling(ctx, mode);
    else defaultCalling(ctx, mode);
  }
}

/** Fault-queue cars of a mode take free places first; until none is left, the waiting area is not called. */
function callFromFaultQueue(ctx: Ctx, mode: Mode): void {
  const { state } = ctx;
  for (;;) {
    const index = state.faultQueue.findIndex((c) => c.mode === mode);
    if (index < 0) return;
    const car = state.faultQueue[index]!;
    const pile = pickPile(state, mode, remainingWms(car), ctx.at);
    if (pile === null) return;
    state.faultQueue.splice(index, 1);
    enqueue(ctx, pile, car, 'faultQueue', null);
    startHeadIfIdle(ctx, pile);
  }
}

function faultQueueHas(ctx: Ctx, mode: Mode): boolean {
  return ctx.state.faultQueue.some((c) => c.mode === mode);
}

/** Rule 2: the earliest waiting car of the mode goes to the pile where it finishes first, one car at a time. */
function defaultCalling(ctx: Ctx, mode: Mode): void {
  const { state } = ctx;
  if (faultQueueHas(ctx, mode)) return;
  for (;;) {
    const index = state.waiting.findIndex((c) => c.mode === mode);
    if (index < 0) return;
    const car = state.waiting[index]!;
    const pile = pickPile(state, mode, remainingWms(car), ctx.at);
    if (pile === null) return;
    state.waiting.splice(index, 1);
    enqueue(ctx, pile, car, 'waiting', null);
    startHeadIfIdle(ctx, pile);
  }
}

/** single-min-total: as many of the mode's earliest waiting cars as there are free places are called together
 * and spread so that the sum of their completion times is minimal. */
function singleMinTotalCalling(ctx: Ctx, mode: Mode): void {
  const { state } = ctx;
  if (faultQueueHas(ctx, mode)) return;
  const piles = state.piles.filter((p) => p.mode === mode && freePlaces(state, p) > 0);
  const places = piles.reduce((n, p) => n + freePlaces(state, p), 0);
  const cars = state.waiting.filter((c) => c.mode === mode).slice(0, places);
  if (cars.length <= 1) {
    defaultCalling(ctx, mode); // one car: the minimal sum is rule 2's choice
    return;
  }
  assignTogether(ctx, cars, piles);
}

/**
 * batch-min-total: waits until the waiting cars would fill every free place of the charging area (or the waiting
 * area is full), then assigns that batch, earliest numbers first, to any working pile whatever their mode, with
 * the minimal sum of completion times.
 */
function batchCalling(ctx: Ctx): void {
  const { state } = ctx;
  const piles = state.piles.filter((p) => freePlaces(state, p) > 0);
  const places = piles.reduce((n, p) => n + freePlaces(state, p), 0);
  const waiting = state.waiting.length;
  if (waiting === 0 || places === 0) return;
  if (waiting < places && waiting < state.config.waitingAreaSize) return;
  assignTogether(ctx, state.waiting.slice(0, places), piles);
}

/** Moves `cars` (in number order) from the waiting area onto `piles` by the min-total assignment. Each pile
 * gets its cars shortest first; they are announced pile by pile in queue order, so every `dispatched` event
 * appends to its pile's queue (as everywhere else). */
function assignTogether(ctx: Ctx, cars: CarEntry[], piles: Pile[]): void {
  const { state } = ctx;
  const plan = minTotalAssignment(
    cars.map(remainingWms),
    piles.map((p) => ({ powerW: p.powerW, backlogMs: pileBacklogMs(p, ctx.at), freePlaces: freePlaces(state, p) })),
  );
  const chosen = new Set(cars);
  state.waiting = state.waiting.filter((c) => !chosen.has(c));
  plan.perPile.forEach((indices, i) => {
    const pile = piles[i]!;
    for (const index of indices) {
      enqueue(ctx, pile, cars[index]!, 'waiting', null);
      startHeadIfIdle(ctx, pile);
    }
  });
}

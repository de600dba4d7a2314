// Where a called car goes: rule 2 (shortest completion time, ties to the lower pile number) and the
// min-total assignment used by the `single-min-total` and `batch-min-total` dispatch modes (rule 6).
import { munkres } from 'munkres';
import { durationMs, remainingWms } from './state.js';
import type { Mode, Pile, StationState } from './types.js';

/** Time from `atMs` until every car now in the pile's queue is done: the head's remaining time plus the full
 * time of each car behind it (binding fine point of rule 2). */
export function pileBacklogMs(pile: Pile, atMs: number): number {
  let ms = 0;
  for (const car of pile.queue) {
    // a session still starting counts in full: it has not begun
    const s = car.session;
    ms += s !== null && s.starting !== true ? Math.max(0, s.endsAt - atMs) : durationMs(remainingWms(car), pile.powerW);
  }
  return ms;
}

export function freePlaces(state: StationState, pile: Pile): number {
  return pile.state === 'working' ? Math.max(0, state.config.pileQueueLength - pile.queue.length) : 0;
}

/** Rule 2: among the mode's working piles with a free place, the one where the car would finish first;
 * ties go to the lower pile number (piles are kept in number order). */
export function pickPile(state: StationState, mode: Mode, needWms: number, atMs: number): Pile | null {
  let best: Pile | null = null;
  let bestMs = Infinity;
  for (const pile of state.piles) {
    if (pile.mode !== mode || freePlaces(state, pile) === 0) continue;
    const ms = pileBacklogMs(pile, atMs) + durationMs(needWms, pile.powerW);
    if (ms < bestMs) {
      best = pile;
      bestMs = ms;
    }
  }
  return best;
}

export interface SolverPile {
  powerW: number;
  backlogMs: number;
  freePlaces: number;
}

/**
 * Assigns every car (needs in Wms) to a free place so that the sum of their completion times is minimal.
 * Returns, per pile, the indices of the cars it gets in queue order, and that minimal sum (ms from now).
 *
 * Why an assignment problem: on one pile, the cars appended in order c1..ck finish at backlog + t1,
 * backlog + t1 + t2, … so their sum is Σ_j (backlog + (k - j + 1)·t_j): the car that is r-th from the end costs
 * backlog + r·t. Each "r-th from the end of pile p" is a column, each car a row; a min-cost matching
 * (Hungarian method) gives the optimum. Costs grow with r, so an optimal matching uses the columns r = 1..k of
 * a pile without gaps, i.e. it is a real schedule; within a pile the shortest car goes first.
 */
export function minTotalAssignment(
  needsWms: readonly number[],
  piles: readonly SolverPile[],
): { perPile: number[][]; totalMs: number } {
  const columns: Array<{ pile: number; fromEnd: number }> = [];
  piles.forEach((p, pile) => {
    for (let r = 1; r <= p.freePlaces; r++) columns.push({ pile, fromEnd: r });
  });
  if (needsWms.length > columns.length) throw new Error('more cars than free places');
  const perPile: number[][] = piles.map(() => []);
  if (needsWms.length === 0) return { perPile, totalMs: 0 };

  const cost = needsWms.map((need) =>
    columns.map(({ pile, fromEnd }) => {
      const p = piles[pile]!;
      return p.backlogMs + fromEnd * durationMs(need, p.powerW);
    }));
  for (const [row, col] of munkres(cost)) perPile[columns[col]!.pile]!.push(row);

  let totalMs = 0;
  perPile.forEach((cars, pile) => {
    const p = piles[pile]!;
    // Shortest first is optimal on one pile; equal durations keep the callers' order (number order).
    cars.sort((a, b) => durationMs(needsWms[a]!, p.powerW) - durationMs(needsWms[b]!, p.powerW) || a - b);
    let t = p.backlogMs;
    for (const car of cars) {
      t += durationMs(needsWms[car]!, p.powerW);
      totalMs += t;
    }
  });
  return { perPile, totalMs };
}

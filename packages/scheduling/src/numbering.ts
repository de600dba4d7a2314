// Queue numbers: 'F'/'T' plus a per-mode counter that restarts each station-local day (rule 1).
// Waiting order never depends on these labels: cars are ordered by `seq`, the global issue sequence.
import { DateTime } from 'luxon';
import type { Mode, StationState } from './types.js';

/** The station-local date of `atMs` and the first instant of the following local day. */
export function localDay(atMs: number, timeZone: string): { day: string; dayEndsAt: number } {
  const local = DateTime.fromMillis(atMs, { zone: timeZone });
  return {
    day: local.toISODate() ?? '',
    dayEndsAt: local.startOf('day').plus({ days: 1 }).toMillis(),
  };
}

/** Issues the next number of `mode` at `atMs`, restarting the counters when a new local day has begun. */
export function issueNumber(state: StationState, mode: Mode, atMs: number): { queueNo: string; seq: number } {
  const n = state.numbering;
  if (atMs >= n.dayEndsAt) {
    const { day, dayEndsAt } = localDay(atMs, state.config.timeZone);
    n.day = day;
    n.dayEndsAt = dayEndsAt;
    n.nextFast = 1;
    n.nextSlow = 1;
  }
  let queueNo: string;
  if (mode === 'fast') queueNo = `F${n.nextFast++}`;
  else queueNo = `T${n.nextSlow++}`;
  return { queueNo, seq: state.nextSeq++ };
}

// A user's charging statistics: pure summing of their bills, in total and per local day of the session's end. Exact
// integer sums (Wms, fen, ms); the rounding happens at the edge that shows them.
import type { Bill, Statistics } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

/** What statistics read of a bill. */
export type StatisticsBill = Pick<Bill, 'endedAt' | 'durationMs' | 'energyWms' | 'totalFen'>;

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of the instant in the zone. */
function localDate(ms: number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA writes dates as YYYY-MM-DD
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(ms);
}

/** Every session counts once (a bill is one session); days without a session are not listed. */
export function chargingStatistics(bills: Iterable<StatisticsBill>, timeZone: string): Statistics {
  const total: Statistics = { sessions: 0, durationMs: 0, energyWms: 0, totalFen: 0, days: [] };
  const days = new Map<string, Statistics['days'][number]>();
  for (const bill of bills) {
    total.sessions += 1;
    total.durationMs += bill.durationMs;
    total.energyWms += bill.energyWms;
    total.totalFen += bill.totalFen;
    const date = localDate(bill.endedAt, timeZone);
    let day = days.get(date);
    if (!day) days.set(date, (day = { date, sessions: 0, energyWms: 0, totalFen: 0 }));
    day.sessions += 1;
    day.energyWms += bill.energyWms;
    day.totalFen += bill.totalFen;
  }
  // doubles stay exact up to 2^53: refuse rather than answer a rounded sum
  if (![total.durationMs, total.energyWms, total.totalFen].every(Number.isSafeInteger)) {
    throw new DomainError('VALIDATION', 'the statistics are too large to sum exactly: ask for a shorter period');
  }
  total.days = [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  return total;
}

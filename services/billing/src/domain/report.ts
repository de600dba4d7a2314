// Reports per pile: pure summing of bills. Every figure is an exact integer sum (Wms, fen, ms); the one rounding
// happens at the edge that shows it.
import type { Bill, ReportRow } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

/** What a report reads of a bill. */
export type ReportBill = Pick<Bill, 'pileNo' | 'durationMs' | 'energyWms' | 'energyFeeFen' | 'serviceFeeFen' | 'totalFen'>;

const SUMMED = ['durationMs', 'energyWms', 'energyFeeFen', 'serviceFeeFen', 'totalFen'] as const;

// F2 before F10: pile numbers are a letter and a counter
const byPileNo = new Intl.Collator('en', { numeric: true }).compare;

/** One row per pile that has bills, ordered by pile number; a pile without bills has no row. */
export function sumByPile(bills: Iterable<ReportBill>): ReportRow[] {
  const rows = new Map<string, ReportRow>();
  for (const bill of bills) {
    let row = rows.get(bill.pileNo);
    if (!row) {
      row = { pileNo: bill.pileNo, sessions: 0, durationMs: 0, energyWms: 0, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0 };
      rows.set(bill.pileNo, row);
    }
    row.sessions += 1;
    for (const k of SUMMED) row[k] += bill[k];
  }
  const out = [...rows.values()].sort((a, b) => byPileNo(a.pileNo, b.pileNo));
  // doubles stay exact up to 2^53 (about 2.5 million kWh in Wms): refuse rather than answer a rounded sum
  for (const row of out) {
    if (!SUMMED.every((k) => Number.isSafeInteger(row[k]))) {
      throw new DomainError('VALIDATION', `the report of pile ${row.pileNo} is too large to sum exactly: ask for a shorter period`);
    }
  }
  return out;
}

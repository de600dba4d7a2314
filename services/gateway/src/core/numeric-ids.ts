// Documents 000, 001 and 003 give piles, records and requests integer ids while the platform's are text: one mapping
// for all three (docs/api/README.md "Numeric ids"). Pure.

/** Fast piles keep their number (F1 -> 1), slow piles count from 101 (T1 -> 101): stable whatever piles are added. */
export const SLOW_PILE_OFFSET = 100;

/** A pile number (F1, T2 …) -> its integer id; 0 for a number of another form. */
export function numericPileId(pileNo: string): number {
  const m = /^([FT])(\d{1,2})$/.exec(pileNo);
  if (!m) return 0;
  return (m[1] === 'T' ? SLOW_PILE_OFFSET : 0) + Number(m[2]);
}

/** The inverse of numericPileId (undefined for an id no pile can have). */
export function pileNoOfNumericId(id: number): string | undefined {
  if (!Number.isInteger(id) || id < 1 || id > 2 * SLOW_PILE_OFFSET - 1 || id === SLOW_PILE_OFFSET) return undefined;
  return id > SLOW_PILE_OFFSET ? `T${id - SLOW_PILE_OFFSET}` : `F${id}`;
}

/** A bill or order number (B20250102-0001, 20250102-0001) -> its digits as an integer (date and daily sequence). */
export function numericRecordId(no: string): number {
  const digits = no.replace(/\D/g, '');
  const n = digits ? Number(digits) : 0;
  return Number.isSafeInteger(n) ? n : 0;
}

// Pure edge parsing: what a client sends (kWh, kW, local or offset ISO times, dates) -> exact integers inside.
// Schema validation has already checked types and ranges; these raise VALIDATION for what a schema cannot say.
import { DateTime } from 'luxon';
import { DomainError } from '@voltq/kit';
import { kwhToWms, TariffError } from '@voltq/tariff';

/** kWh (number) -> Wms, exact to the Wms for any figure with up to 8 decimals. A figure too large to hold in Wms
 * (schemas without a maximum: 000's quantity, 002's apply_kwh and power_capacity) is a bad request, not an error. */
export function energyWmsFromKwh(energyKwh: number, field = 'energyKwh'): number {
  if (!Number.isFinite(energyKwh) || energyKwh <= 0) throw new DomainError('VALIDATION', `${field} must be a positive number of kWh`);
  try {
    return kwhToWms(energyKwh);
  } catch (err) {
    if (err instanceof TariffError) throw new DomainError('VALIDATION', `${field}: ${err.message}`);
    throw err;
  }
}

/**
 * A yuan amount as text (002 sends a string) -> integer fen, exactly: at most two decimals, more than 0, at most
 * `maxFen`; VALIDATION otherwise. No floating point: the digits are read as they are written.
 */
export function fenFromYuanText(text: string | undefined, maxFen: number, field = 'amount'): number {
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec((text ?? '').trim());
  if (!match) throw new DomainError('VALIDATION', `${field} must be yuan with at most two decimals, e.g. 10.50`);
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (fen <= 0) throw new DomainError('VALIDATION', `${field} must be more than 0`);
  if (fen > maxFen) throw new DomainError('VALIDATION', `${field} must be at most ${maxFen / 100} yuan`);
  return fen;
}

/**
 * A yuan amount as a JSON number (004 sends one) -> integer fen, exactly: the number's shortest decimal form (what
 * the client wrote: 0.07 stays "0.07", never 7.000000000000001 fen) must have at most two decimals.
 */
export function fenFromYuan(amount: number, maxFen: number, field = 'amount'): number {
  if (!Number.isFinite(amount)) throw new DomainError('VALIDATION', `${field} must be a finite number of yuan`);
  return fenFromYuanText(String(amount), maxFen, field);
}

/** kW -> whole W (kW figures have at most three decimals at the edge). */
export function powerWFromKw(powerKw: number, field: string): number {
  const powerW = Math.round(powerKw * 1000);
  if (!Number.isFinite(powerKw) || powerW < 1) throw new DomainError('VALIDATION', `${field} must be at least 0.001 kW`);
  return powerW;
}

/**
 * ISO 8601 date-time -> epoch ms. With an offset (or Z) it is that instant; without one it is wall time in
 * `timeZone` (the station's zone, Asia/Shanghai by default).
 */
export function parseTime(text: string, timeZone: string, field = 'time'): number {
  const dt = DateTime.fromISO(text, { zone: timeZone });
  if (!dt.isValid) throw new DomainError('VALIDATION', `${field} must be an ISO 8601 date-time, got ${JSON.stringify(text)}`);
  return dt.toMillis();
}

/** 'YYYY-MM-DD' -> [start of that local day, start of the next day) in epoch ms. */
export function localDayRange(date: string, timeZone: string, field: string): { fromMs: number; toMs: number } {
  const day = DateTime.fromFormat(date, 'yyyy-MM-dd', { zone: timeZone });
  if (!day.isValid) throw new DomainError('VALIDATION', `${field} must be a date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return { fromMs: day.startOf('day').toMillis(), toMs: day.plus({ days: 1 }).startOf('day').toMillis() };
}

/**
 * An operator's `from`/`to` filter -> [fromMs, toMs): each an ISO 8601 date-time (that instant) or a local date
 * `YYYY-MM-DD` (from: the start of that day; to: the end of that day, so the day is included). VALIDATION when
 * `from` is not before `to`.
 */
export function timeRange(from: string | undefined, to: string | undefined, timeZone: string): { fromMs?: number; toMs?: number } {
  const isDate = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text);
  const range: { fromMs?: number; toMs?: number } = {};
  if (from !== undefined) range.fromMs = isDate(from) ? localDayRange(from, timeZone, 'from').fromMs : parseTime(from, timeZone, 'from');
  if (to !== undefined) range.toMs = isDate(to) ? localDayRange(to, timeZone, 'to').toMs : parseTime(to, timeZone, 'to');
  if (range.fromMs !== undefined && range.toMs !== undefined && range.fromMs >= range.toMs) throw new DomainError('VALIDATION', 'from must be before to');
  return range;
}

export type ReportPeriod = 'day' | 'week' | 'month';
/** The periods of 004's statistics ("this week", "this month", "this year") and the reports. */
export type CalendarPeriod = ReportPeriod | 'year';

const ONE = { day: { days: 1 }, week: { weeks: 1 }, month: { months: 1 }, year: { years: 1 } } as const;

/**
 * The report period holding local date `date` ('YYYY-MM-DD' in `timeZone`) -> [start, end) in epoch ms: the day,
 * the ISO week (Monday to Monday), the calendar month or year. Local midnights, so a DST day is 23 or 25 hours.
 */
export function reportPeriod(period: ReportPeriod, date: string, timeZone: string, field = 'date'): { fromMs: number; toMs: number } {
  const day = DateTime.fromFormat(date, 'yyyy-MM-dd', { zone: timeZone });
  if (!day.isValid) throw new DomainError('VALIDATION', `${field} must be a date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  // luxon's weeks are ISO weeks (Monday first) unless locale weeks are asked for
  const start = day.startOf(period);
  return { fromMs: start.toMillis(), toMs: start.plus(ONE[period]).toMillis() };
}

/** The report period holding the instant `nowMs` (e.g. "this week" on the platform clock). */
export function periodHolding(period: CalendarPeriod, nowMs: number, timeZone: string): { fromMs: number; toMs: number } {
  const start = DateTime.fromMillis(nowMs, { zone: timeZone }).startOf(period);
  return { fromMs: start.toMillis(), toMs: start.plus(ONE[period]).toMillis() };
}

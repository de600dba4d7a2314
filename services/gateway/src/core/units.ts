// Units and formats every dialect shows: exact integers inside (Wms, fen, epoch ms, W) -> yuan and kWh as numbers
// rounded half-up to two decimals, kW, ISO 8601 times with offset, whole seconds. No I/O.
import { formatIso } from '@voltq/kit';
import { formatKwh, formatYuan } from '@voltq/tariff';

export interface FormatContext {
  /** IANA zone of the times shown */
  timeZone: string;
  /** platform clock now (running sessions' charging time) */
  nowMs: number;
}

/** fen -> yuan as a JSON number with at most two decimals: 1350 -> 13.5 */
export function yuan(fen: number): number {
  return Number(formatYuan(fen));
}

/** Wms -> kWh as a JSON number, half-up to two decimals: 108_000_000_000 -> 30 */
export function kwh(energyWms: number): number {
  return Number(formatKwh(energyWms));
}

/** W -> kW, exact (watts are integers, so three decimals at most) */
export function kw(powerW: number): number {
  return powerW / 1000;
}

export function iso(ms: number | undefined, timeZone: string): string | null {
  return ms === undefined ? null : formatIso(ms, timeZone);
}

/** ms -> whole seconds, half-up */
export function seconds(ms: number): number {
  return Math.floor((ms + 500) / 1000);
}

const LOCAL_TIME = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM-DD HH:mm:ss` in the zone (documents 001 and 002 show times so); '' when the moment has not happened. */
export function localTime(ms: number | undefined, timeZone: string): string {
  if (ms === undefined) return '';
  let format = LOCAL_TIME.get(timeZone);
  if (!format) {
    // sv-SE writes ISO-like local date and time: 2025-01-02 10:00:00
    format = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    LOCAL_TIME.set(timeZone, format);
  }
  return format.format(ms);
}

/** `YYYY-MM-DD`, the local date in the zone (004's dates, e.g. installationDate). */
export function localDate(ms: number, timeZone: string): string {
  return localTime(ms, timeZone).slice(0, 10);
}

/** ms -> hours as a JSON number, half-up to two decimals: 5_400_000 -> 1.5 */
export function hours(ms: number): number {
  // hundredths of an hour are 36 000 ms: round in integers, divide once
  return Math.floor((ms + 18_000) / 36_000) / 100;
}

/** An exact integer sum over `count` items -> its average as an integer, half-up (0 for none): the unit stays. */
export function averageOf(sum: number, count: number): number {
  return count === 0 ? 0 : Math.floor((2 * sum + count) / (2 * count));
}

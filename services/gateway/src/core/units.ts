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

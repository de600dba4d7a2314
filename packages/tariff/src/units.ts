import { TariffError } from './errors.js';

/** Watt-milliseconds in one kWh (1000 W x 3_600_000 ms). */
export const WMS_PER_KWH = 3_600_000_000;
/** Prices are held as integer 1/10000 yuan per kWh. */
export const PRICE_SCALE = 10_000;

/**
 * Fee numerators are energyWms x price (1/10000 yuan per kWh); dividing by this gives fen:
 * 3_600_000_000 Wms/kWh x 10_000 price units/yuan / 100 fen/yuan.
 */
export const FEE_DENOMINATOR = 360_000_000_000n;

/** Half-up division of non-negative integers (the one rounding at the edge). */
export function divHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** A percentage in 1/10000 percent: a share of a fee numerator is numerator x percentUnits / this. */
export const PERCENT_DENOMINATOR = 1_000_000n;

/**
 * Exact fen amount (half-up) for a fee numerator in Wms x price units; with `scale`, of numerator / scale (a
 * percentage of one), still rounded once.
 */
export function feeNumeratorToFen(numerator: bigint, scale = 1n): number {
  return Number(divHalfUp(numerator, FEE_DENOMINATOR * scale));
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Decimal text of a non-negative number or string, or undefined when it is not a plain decimal. */
function decimalText(value: string | number): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    // Exponent forms (1e-7, 1e21) are spelled out; binary noise beyond the digits kept is rounded away by callers.
    const text = String(value);
    return text.includes('e') ? value.toFixed(20) : text;
  }
  return value.trim();
}

/**
 * Parses a yuan-per-kWh price (at most 4 decimals) into integer 1/10000 yuan per kWh.
 * Numbers are read by their shortest decimal spelling, so 0.7 is exactly 7000.
 */
export function parsePrice(value: string | number, what: string): number {
  const text = typeof value === 'number' || typeof value === 'string' ? decimalText(value) : undefined;
  const match = text === undefined ? null : DECIMAL.exec(text);
  const fraction = match?.[2] ?? '';
  if (!match || fraction.length > 4) {
    throw new TariffError('TARIFF_BAD_VALUE', `${what} must be a non-negative yuan amount with at most 4 decimals, got ${JSON.stringify(value)}`);
  }
  const units = BigInt(match[1] ?? '0') * 10_000n + BigInt(fraction.padEnd(4, '0'));
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TariffError('TARIFF_BAD_VALUE', `${what} is too large: ${String(value)}`);
  }
  return Number(units);
}

/**
 * kWh (number or decimal string) to integer Wms, rounded half-up to the watt-millisecond.
 * Exact for any value with up to 8 decimals (1e-8 kWh = 36 Wms), hence for Wh-precise (3-decimal) figures.
 */
export function kwhToWms(kwh: number | string): number {
  const text = typeof kwh === 'number' || typeof kwh === 'string' ? decimalText(kwh) : undefined;
  const match = text === undefined ? null : DECIMAL.exec(text);
  if (!match) {
    throw new TariffError('TARIFF_BAD_VALUE', `energy must be a non-negative number of kWh, got ${JSON.stringify(kwh)}`);
  }
  const fraction = match[2] ?? '';
  const scaled = BigInt((match[1] ?? '0') + fraction);
  const wms = divHalfUp(scaled * BigInt(WMS_PER_KWH), 10n ** BigInt(fraction.length));
  if (wms > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TariffError('TARIFF_BAD_VALUE', `energy is too large: ${String(kwh)} kWh`);
  }
  return Number(wms);
}

function requireInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new TariffError('TARIFF_BAD_VALUE', `${what} must be a safe integer, got ${String(value)}`);
  }
}

/** Two decimals with a sign; `hundredths` is a whole number of 0.01 units. */
function twoDecimals(hundredths: bigint): string {
  const sign = hundredths < 0n ? '-' : '';
  const abs = hundredths < 0n ? -hundredths : hundredths;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Signed half-up (half away from zero, so -0.5 fen and 0.5 fen mirror each other). */
function divHalfAway(numerator: bigint, denominator: bigint): bigint {
  return numerator < 0n ? -divHalfUp(-numerator, denominator) : divHalfUp(numerator, denominator);
}

/** Fen as yuan with two decimals: formatYuan(1350) === '13.50'. */
export function formatYuan(fen: number): string {
  requireInteger(fen, 'fen');
  return twoDecimals(BigInt(fen));
}

/** Wms as kWh with two decimals, rounded half-up: formatKwh(108_000_000_000) === '30.00'. */
export function formatKwh(energyWms: number): string {
  requireInteger(energyWms, 'energyWms');
  return twoDecimals(divHalfAway(BigInt(energyWms), BigInt(WMS_PER_KWH / 100)));
}

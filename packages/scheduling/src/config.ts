// Station configuration: DESIGN.md defaults, the legacy setting names, validation.
import { createTariff, DEFAULT_TARIFF_SPEC, TariffError } from '@voltq/tariff';
import type { TariffSpec } from '@voltq/tariff';
import { STATION_SETTING_ALIASES, type StationSettingAlias } from '@voltq/contracts';
import { IANAZone } from 'luxon';
import type { Mode, Pile, StationConfig, StationConfigInput, StationError } from './types.js';

export const DEFAULT_CONFIG: Readonly<Omit<StationConfig, 'tariff'>> = Object.freeze({
  stationId: 'default',
  fastPiles: 2,
  slowPiles: 3,
  fastPowerW: 30_000,
  slowPowerW: 10_000,
  waitingAreaSize: 10,
  pileQueueLength: 3,
  faultPolicy: 'priority',
  dispatchMode: 'default',
  timeZone: 'Asia/Shanghai',
});

const MAX_PILES_PER_MODE = 99;
const MAX_PLACES = 1000;
const MAX_POWER_W = 1_000_000;

/** Folds `input` over `base` (the defaults or the current config); a clear error for anything out of range. */
export function resolveConfig(
  input: StationConfigInput,
  base: StationConfig | null,
): { ok: true; config: StationConfig } | { ok: false; error: StationError } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return bad('the configuration must be an object');
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...(base === null ? {} : readStoredConfig(base)) };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const name = Object.hasOwn(STATION_SETTING_ALIASES, key) ? STATION_SETTING_ALIASES[key as StationSettingAlias] : key;
    if (!Object.hasOwn(DEFAULT_CONFIG, name) && name !== 'tariff') return bad(`unknown setting '${key}'`);
    if (name !== key && (input as Record<string, unknown>)[name] !== undefined &&
      (input as Record<string, unknown>)[name] !== value) {
      return bad(`'${key}' and '${name}' disagree`);
    }
    merged[name] = value;
  }
  if (base !== null && merged.stationId !== base.stationId) return bad('the station id cannot change');

  const c = merged as unknown as StationConfig & { tariff?: TariffSpec | null };
  if (typeof c.stationId !== 'string' || c.stationId.length === 0) return bad('stationId must be a non-empty string');
  for (const key of ['fastPiles', 'slowPiles'] as const) {
    if (!isIntIn(c[key], 0, MAX_PILES_PER_MODE)) return bad(`${key} must be an integer from 0 to ${MAX_PILES_PER_MODE}`);
  }
  if (c.fastPiles + c.slowPiles === 0) return bad('a station needs at least one pile');
  for (const key of ['fastPowerW', 'slowPowerW'] as const) {
    // Watts must be whole: completion instants and energies are exact integers.
    if (!isIntIn(c[key], 1, MAX_POWER_W)) return bad(`${key} must be a whole number of watts from 1 to ${MAX_POWER_W} (1000 kW)`);
  }
  if (!isIntIn(c.waitingAreaSize, 1, MAX_PLACES)) return bad(`waitingAreaSize must be an integer from 1 to ${MAX_PLACES}`);
  if (!isIntIn(c.pileQueueLength, 1, MAX_PLACES)) return bad(`pileQueueLength must be an integer from 1 to ${MAX_PLACES}`);
  if (c.faultPolicy !== 'priority' && c.faultPolicy !== 'time-order') {
    return bad(`faultPolicy must be 'priority' or 'time-order'`);
  }
  if (c.dispatchMode !== 'default' && c.dispatchMode !== 'single-min-total' && c.dispatchMode !== 'batch-min-total') {
    return bad(`dispatchMode must be 'default', 'single-min-total' or 'batch-min-total'`);
  }
  if (typeof c.timeZone !== 'string' || !IANAZone.isValidZone(c.timeZone)) return bad(`unknown time zone '${String(c.timeZone)}'`);

  // The tariff is stored concrete; one without a zone of its own follows the station's clock, also when the
  // station's zone changes later (a tariff that had the old station zone moves with it).
  let given = c.tariff ?? null;
  if (given !== null && base !== null && input.tariff === undefined && given.timeZone === base.timeZone) {
    given = { ...given, timeZone: c.timeZone };
  }
  const spec: TariffSpec = given === null
    ? { ...structuredClone(DEFAULT_TARIFF_SPEC), timeZone: c.timeZone }
    : { ...structuredClone(given), timeZone: given.timeZone ?? c.timeZone };
  try {
    createTariff(spec);
  } catch (err) {
    if (err instanceof TariffError) return bad(`tariff: ${err.message}`);
    throw err;
  }
  return {
    ok: true,
    config: {
      stationId: c.stationId,
      fastPiles: c.fastPiles,
      slowPiles: c.slowPiles,
      fastPowerW: c.fastPowerW,
      slowPowerW: c.slowPowerW,
      waitingAreaSize: c.waitingAreaSize,
      pileQueueLength: c.pileQueueLength,
      faultPolicy: c.faultPolicy,
      dispatchMode: c.dispatchMode,
      timeZone: c.timeZone,
      tariff: spec,
    },
  };
}

export function powerW(config: StationConfig, mode: Mode): number {
  return mode === 'fast' ? config.fastPowerW : config.slowPowerW;
}

/** The fields of a config written before power was kept in W, and the watt fields they became. */
const KILOWATT_FIELDS: Readonly<Record<string, 'fastPowerW' | 'slowPowerW'>> = { fastPowerKw: 'fastPowerW', slowPowerKw: 'slowPowerW' };

/**
 * A config read back from storage (station states in Redis and MongoDB `station_states`): states saved before
 * power was kept in W carry `fastPowerKw`/`slowPowerKw`, read here as watts. The one place that knows the old
 * fields; a current config comes back as the same object.
 */
export function readStoredConfig(config: StationConfig): StationConfig {
  if (typeof config.fastPowerW === 'number' && typeof config.slowPowerW === 'number') return config;
  // field by field, in place: the config keeps its field order
  return Object.fromEntries(Object.entries(config).map(([key, value]) => {
    if (!Object.hasOwn(KILOWATT_FIELDS, key)) return [key, value];
    return [KILOWATT_FIELDS[key], Math.round((value as number) * 1000)];
  })) as unknown as StationConfig;
}

/** Piles F1..Fn then T1..Tm; piles that already existed keep their state and totals. */
export function buildPiles(config: StationConfig, previous: readonly Pile[]): Pile[] {
  const piles: Pile[] = [];
  const add = (mode: Mode, count: number, letter: string) => {
    for (let i = 1; i <= count; i++) {
      const pileNo = `${letter}${i}`;
      const old = previous.find((p) => p.pileNo === pileNo);
      piles.push({
        pileNo,
        mode,
        powerW: powerW(config, mode),
        state: old ? old.state : 'working',
        queue: [],
        totals: old ? { ...old.totals } : { sessions: 0, durationMs: 0, energyWms: 0, feeFen: 0 },
        driven: old?.driven === true,
        faultReason: old?.faultReason ?? null,
      });
    }
  };
  add('fast', config.fastPiles, 'F');
  add('slow', config.slowPiles, 'T');
  return piles;
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function bad(message: string): { ok: false; error: StationError } {
  return { ok: false, error: { code: 'BAD_CONFIG', message } };
}

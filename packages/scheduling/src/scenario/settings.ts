// Command-line options of scripts/scenario and the station they describe.
import { parseArgs } from 'node:util';
import { DateTime, IANAZone } from 'luxon';
import { DEFAULT_CONFIG } from '../config.js';
import type { StationConfig, StationConfigInput } from '../types.js';

/** A fixed default date, so a scenario prints the same bytes on any day (numbers and tariffs depend on it). */
export const DEFAULT_SCENARIO_DATE = '2026-01-01';

/** The station settings a scenario runs with (the station's own, without its id and tariff), and its date. */
export interface ScenarioSettings extends Omit<StationConfig, 'stationId' | 'tariff'> {
  /** Station-local date of the scenario's first day, 'YYYY-MM-DD'. */
  date: string;
}

const { stationId: _defaultStationId, ...STATION_DEFAULTS } = DEFAULT_CONFIG;

/** DESIGN.md's station defaults (the same as a new station's) on the fixed default date. */
export const DEFAULT_SCENARIO_SETTINGS: Readonly<ScenarioSettings> = Object.freeze({ ...STATION_DEFAULTS, date: DEFAULT_SCENARIO_DATE });

export const SCENARIO_USAGE = `usage: scripts/scenario <events-file> [--fast 2] [--slow 3] [--fast-kw 30] [--slow-kw 10]
  [--waiting 10] [--queue 3] [--policy priority|time-order] [--dispatch default|single-min-total|batch-min-total]
  [--date YYYY-MM-DD (default ${DEFAULT_SCENARIO_DATE})] [--tz Asia/Shanghai] [--url <gateway>]`;

export class ScenarioUsageError extends Error {
  override readonly name = 'ScenarioUsageError';
}

export interface ScenarioInvocation {
  file: string;
  url: string | null;
  settings: ScenarioSettings;
}

export function parseScenarioArgs(argv: readonly string[]): ScenarioInvocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        fast: { type: 'string' }, slow: { type: 'string' }, 'fast-kw': { type: 'string' }, 'slow-kw': { type: 'string' },
        waiting: { type: 'string' }, queue: { type: 'string' }, policy: { type: 'string' }, dispatch: { type: 'string' },
        date: { type: 'string' }, tz: { type: 'string' }, url: { type: 'string' },
      },
    });
  } catch (err) {
    throw new ScenarioUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new ScenarioUsageError('exactly one events file is expected');
  const d = DEFAULT_SCENARIO_SETTINGS;
  const settings: ScenarioSettings = {
    fastPiles: int(values.fast, d.fastPiles, '--fast'),
    slowPiles: int(values.slow, d.slowPiles, '--slow'),
    fastPowerW: wattsOfKw(values['fast-kw'], d.fastPowerW, '--fast-kw'),
    slowPowerW: wattsOfKw(values['slow-kw'], d.slowPowerW, '--slow-kw'),
    waitingAreaSize: int(values.waiting, d.waitingAreaSize, '--waiting'),
    pileQueueLength: int(values.queue, d.pileQueueLength, '--queue'),
    faultPolicy: oneOf(values.policy, ['priority', 'time-order'] as const, d.faultPolicy, '--policy'),
    dispatchMode: oneOf(values.dispatch, ['default', 'single-min-total', 'batch-min-total'] as const, d.dispatchMode,
      '--dispatch'),
    date: values.date ?? d.date,
    timeZone: values.tz ?? d.timeZone,
  };
  if (!IANAZone.isValidZone(settings.timeZone)) throw new ScenarioUsageError(`--tz: unknown time zone ${settings.timeZone}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(settings.date) || !DateTime.fromISO(settings.date).isValid) {
    throw new ScenarioUsageError(`--date: expected YYYY-MM-DD, got ${settings.date}`);
  }
  return { file: positionals[0]!, url: values.url ?? null, settings };
}

export function stationConfigOf(s: ScenarioSettings): StationConfigInput {
  return {
    stationId: 'default', fastPiles: s.fastPiles, slowPiles: s.slowPiles, fastPowerW: s.fastPowerW,
    slowPowerW: s.slowPowerW, waitingAreaSize: s.waitingAreaSize, pileQueueLength: s.pileQueueLength,
    faultPolicy: s.faultPolicy, dispatchMode: s.dispatchMode, timeZone: s.timeZone,
  };
}

// Local days already resolved: a long scenario asks for the same few days over and over.
const dayCache = new Map<string, { midnightMs: number; uniformOffset: boolean }>();

/** Epoch ms of local wall time `minuteOfDay` on the scenario date plus `dayOffset` days. */
export function scenarioInstant(s: ScenarioSettings, dayOffset: number, minuteOfDay: number): number {
  const key = `${s.timeZone}|${s.date}|${dayOffset}`;
  let day = dayCache.get(key);
  if (day === undefined) {
    const midnight = DateTime.fromISO(s.date, { zone: s.timeZone }).plus({ days: dayOffset }).startOf('day');
    const next = midnight.plus({ days: 1 });
    day = { midnightMs: midnight.toMillis(), uniformOffset: midnight.offset === next.minus({ milliseconds: 1 }).offset };
    if (dayCache.size > 4096) dayCache.clear();
    dayCache.set(key, day);
  }
  if (day.uniformOffset) return day.midnightMs + minuteOfDay * 60_000;
  // A day with a daylight-saving change: let luxon place the wall time.
  return DateTime.fromMillis(day.midnightMs, { zone: s.timeZone })
    .set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 })
    .toMillis();
}

/** 'HH:MM' in the station's zone, floored to the minute, with '+N' when it falls N days after the scenario date. */
export function scenarioClock(s: ScenarioSettings, atMs: number): string {
  const local = DateTime.fromMillis(atMs, { zone: s.timeZone });
  const days = Math.round(local.startOf('day').diff(DateTime.fromISO(s.date, { zone: s.timeZone }), 'days').days);
  return `${local.toFormat('HH:mm')}${days > 0 ? `+${days}` : ''}`;
}

function int(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new ScenarioUsageError(`${name}: expected a whole number, got ${v}`);
  return Number(v);
}

/** A kW flag (the CLI's unit) -> whole watts (the station's). */
function wattsOfKw(v: string | undefined, fallbackW: number, name: string): number {
  if (v === undefined) return fallbackW;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new ScenarioUsageError(`${name}: expected a number, got ${v}`);
  const w = Number(v) * 1000;
  if (Math.abs(Math.round(w) - w) > 1e-6) throw new ScenarioUsageError(`${name}: expected whole watts (at most three decimals), got ${v}`);
  return Math.round(w);
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new ScenarioUsageError(`${name}: one of ${allowed.join(', ')}`);
  return v as T;
}

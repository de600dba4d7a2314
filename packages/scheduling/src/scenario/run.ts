// parse -> drive -> format: replays a scenario against a driver and renders DESIGN.md's CSV.
import type { ScenarioDriver, DriverOutcome, StationSnapshot } from './driver.js';
import type { ScenarioLine } from './parse.js';
import { scenarioClock, scenarioInstant } from './settings.js';
import type { ScenarioSettings } from './settings.js';

/** The `[refused: reason]` texts, by engine error code; both drivers report codes, so both print these. */
export const REFUSAL_REASONS: Readonly<Record<string, string>> = Object.freeze({
  WAITING_AREA_FULL: 'waiting area full',
  CAR_HAS_ACTIVE_REQUEST: 'car already has an active request',
  ORDER_NOT_FOUND: 'no active request',
  NOT_IN_WAITING_AREA: 'car is in the charging area, cancel instead',
  BAD_ENERGY: 'invalid amount',
  BAD_MODE: 'invalid mode',
  NO_PILE_FOR_MODE: 'no pile of that mode',
  UNKNOWN_PILE: 'unknown pile',
  PILE_NOT_WORKING: 'pile is not working',
  PILE_ALREADY_WORKING: 'pile is already working',
  NOT_SUPPORTED_IN_DISPATCH_MODE: 'not supported in this dispatch mode',
});

export function refusalReason(code: string): string {
  return REFUSAL_REASONS[code] ?? code.toLowerCase().replace(/_/g, ' ');
}

/** RFC 4180: a field with a comma, quote or line break is double-quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRow(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}

/** The pile columns: F1..Fn, T1..Tm. */
function pileColumns(s: ScenarioSettings): string[] {
  return [...range(s.fastPiles).map((i) => `F${i}`), ...range(s.slowPiles).map((i) => `T${i}`)];
}

export function headerRow(s: ScenarioSettings): string {
  return csvRow(['time', 'event', ...pileColumns(s), 'waiting', 'fault_queue']);
}

/** The station cells of a row: one per pile (F1.., T1..), then waiting and fault_queue. */
export function snapshotCells(s: ScenarioSettings, snap: StationSnapshot, piles = pileColumns(s)): string[] {
  const cells = piles.map((pileNo) => {
    const pile = snap.piles.find((p) => p.pileNo === pileNo);
    if (pile === undefined) return '?';
    if (pile.state !== 'working') return 'FAULT';
    return list(pile.queue.map((c) => `(${c.carId},${c.chargedKwh},${c.feeYuan})`));
  });
  const letter = (mode: string) => (mode === 'fast' ? 'F' : 'T');
  cells.push(list(snap.waiting.map((c) => `(${c.carId},${letter(c.mode)},${c.requestedKwh})`)));
  cells.push(list(snap.faultQueue.map((c) => `(${c.carId},${letter(c.mode)},${c.remainingKwh})`)));
  return cells;
}

/**
 * Replays `lines` in order: each at its instant (the driver processes what is due first), then one row with the
 * station after it; finally runs the clock until no charge is left and prints `end,HH:MM`.
 * `write` receives the CSV line by line (each ending in '\n').
 */
export async function runScenario(
  lines: readonly ScenarioLine[],
  settings: ScenarioSettings,
  driver: ScenarioDriver,
  write: (chunk: string) => void,
): Promise<void> {
  write(`${headerRow(settings)}\n`);
  const piles = pileColumns(settings);
  let lastEventMs = scenarioInstant(settings, 0, 0);
  for (const line of lines) {
    const atMs = scenarioInstant(settings, line.dayOffset, line.minuteOfDay);
    lastEventMs = atMs;
    const outcome = await drive(driver, line, atMs);
    const event = outcome.ok ? line.tuple : `${line.tuple} [refused: ${refusalReason(outcome.code)}]`;
    const snap = await driver.snapshot(atMs);
    write(`${csvRow([line.time, event, ...snapshotCells(settings, snap, piles)])}\n`);
  }
  const lastCompletionMs = await driver.finish(lastEventMs);
  const endMs = Math.max(lastEventMs, lastCompletionMs ?? lastEventMs);
  write(`${csvRow(['end', scenarioClock(settings, endMs)])}\n`);
}

/** The whole CSV as one string. */
export async function renderScenario(
  lines: readonly ScenarioLine[],
  settings: ScenarioSettings,
  driver: ScenarioDriver,
): Promise<string> {
  const out: string[] = [];
  await runScenario(lines, settings, driver, (chunk) => out.push(chunk));
  return out.join('');
}

function drive(driver: ScenarioDriver, line: ScenarioLine, atMs: number): Promise<DriverOutcome> {
  const a = line.action;
  switch (a.kind) {
    case 'apply':
      return driver.apply(atMs, a.carId, a.mode, a.energyWms);
    case 'cancel':
      return driver.cancel(atMs, a.carId);
    case 'change':
      return driver.change(atMs, a.carId, a.mode, a.energyWms);
    case 'pileFault':
      return driver.pileFault(atMs, a.pileNo);
    case 'pileRecover':
      return driver.pileRecover(atMs, a.pileNo);
  }
}

function list(items: string[]): string {
  return items.length === 0 ? '-' : items.join('-');
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

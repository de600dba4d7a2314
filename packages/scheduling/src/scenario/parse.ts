// The course's timed event notation: one event per line, `HH:MM (type,id,mode,value)`.
import { kwhToWms } from '@voltq/tariff';
import type { Mode } from '../types.js';

export type ScenarioAction =
  | { kind: 'apply'; carId: string; mode: Mode; energyWms: number }
  | { kind: 'cancel'; carId: string }
  /** mode null: keep the mode (`O`); energyWms null: keep the amount (`-1`). */
  | { kind: 'change'; carId: string; mode: Mode | null; energyWms: number | null }
  | { kind: 'pileFault'; pileNo: string }
  | { kind: 'pileRecover'; pileNo: string };

export interface ScenarioLine {
  lineNo: number;
  /** The time as printed in the CSV: 'HH:MM', with '+N' when the line said so. */
  time: string;
  /** Days after the scenario date (an extension: `HH:MM+1` is the next day) and minutes into that day. */
  dayOffset: number;
  minuteOfDay: number;
  /** The tuple with its spaces removed: the CSV's event cell. */
  tuple: string;
  action: ScenarioAction;
}

export class ScenarioParseError extends Error {
  override readonly name = 'ScenarioParseError';
  constructor(readonly lineNo: number, message: string) {
    super(`line ${lineNo}: ${message}`);
  }
}

const LINE = /^(\d{1,2}):(\d{2})(?:\+(\d+))?\s*(\(.*\))\s*(?:#.*)?$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/** Parses a whole file; blank lines and `#` comment lines are skipped; times must not go backwards. */
export function parseScenario(text: string): ScenarioLine[] {
  const lines: ScenarioLine[] = [];
  let last = -1;
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) throw new ScenarioParseError(lineNo, `expected 'HH:MM (type,id,mode,value)', got ${JSON.stringify(line)}`);
    const hours = Number(m[1]);
    const minutes = Number(m[2]);
    if (hours > 23 || minutes > 59) throw new ScenarioParseError(lineNo, `no such time ${m[1]}:${m[2]}`);
    const dayOffset = m[3] === undefined ? 0 : Number(m[3]);
    const minuteOfDay = hours * 60 + minutes;
    const at = dayOffset * 1440 + minuteOfDay;
    if (at < last) throw new ScenarioParseError(lineNo, 'times must not go backwards');
    last = at;
    const tuple = m[4]!.replace(/\s+/g, '');
    const time = `${String(hours).padStart(2, '0')}:${m[2]}${dayOffset > 0 ? `+${dayOffset}` : ''}`;
    lines.push({ lineNo, time, dayOffset, minuteOfDay, tuple, action: parseTuple(lineNo, tuple) });
  });
  return lines;
}

function parseTuple(lineNo: number, tuple: string): ScenarioAction {
  const fields = tuple.slice(1, -1).split(',');
  if (fields.length !== 4) throw new ScenarioParseError(lineNo, `a tuple has four fields: ${tuple}`);
  const [type, id, modeLetter, value] = fields as [string, string, string, string];
  if (id === '') throw new ScenarioParseError(lineNo, `missing id in ${tuple}`);
  if (!NUMBER.test(value)) throw new ScenarioParseError(lineNo, `value must be a number in ${tuple}`);
  const fail = (why: string) => new ScenarioParseError(lineNo, `${why} in ${tuple}`);
  switch (type) {
    case 'A':
      if (modeLetter === 'O') {
        if (Number(value) !== 0) throw fail('a cancel is (A,id,O,0)');
        return { kind: 'cancel', carId: id };
      }
      return { kind: 'apply', carId: id, mode: modeOf(modeLetter, fail), energyWms: energyOf(value) };
    case 'C':
      return {
        kind: 'change',
        carId: id,
        mode: modeLetter === 'O' ? null : modeOf(modeLetter, fail),
        energyWms: Number(value) === -1 ? null : energyOf(value),
      };
    case 'B':
      if (modeLetter !== 'O') throw fail('a pile event is (B,pile,O,0|1)');
      if (!/^[FT]\d+$/.test(id)) throw fail(`a pile is F<k> or T<k>, got ${id}`);
      if (Number(value) === 0) return { kind: 'pileFault', pileNo: id };
      if (Number(value) === 1) return { kind: 'pileRecover', pileNo: id };
      throw fail('a pile event value is 0 (fault) or 1 (recover)');
    default:
      throw fail(`unknown event type '${type}' (A, C or B)`);
  }
}

function modeOf(letter: string, fail: (why: string) => Error): Mode {
  if (letter === 'F') return 'fast';
  if (letter === 'T') return 'slow';
  throw fail(`mode must be F or T (or O), got '${letter}'`);
}

/** Exact Wms for a decimal kWh; a negative amount is kept negative so the station refuses it. */
function energyOf(value: string): number {
  return value.startsWith('-') ? -kwhToWms(value.slice(1)) : kwhToWms(value);
}

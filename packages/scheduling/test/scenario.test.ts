// The scenario runner: notation, CSV, options, the checked-in scenarios byte for byte, and scripts/scenario.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import {
  csvField, DEFAULT_SCENARIO_SETTINGS, EngineDriver, parseScenario, parseScenarioArgs, renderScenario, scenarioInstant,
} from '../src/index.js';
import type { ScenarioSettings } from '../src/index.js';
import { KWH } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = join(here, '..', 'scenarios');
const root = join(here, '..', '..', '..');

async function render(text: string, settings: ScenarioSettings = DEFAULT_SCENARIO_SETTINGS): Promise<string> {
  return renderScenario(parseScenario(text), settings, new EngineDriver(settings, scenarioInstant(settings, 0, 0)));
}

t.test('notation: HH:MM (type,id,mode,value); comments and blank lines skipped; spaces removed', async (t) => {
  const lines = parseScenario(`# a comment

06:00 (A,V1,F,30)
 6:05  ( A, V2 , T, 7.5 )   # trailing note
06:10 (A,V1,O,0)
06:15 (C,V2,O,-1)
06:15 (C,V2,F,12)
06:20 (B,T3,O,0)
06:30 (B,T3,O,1)
00:10+1 (A,V3,T,1)
`);
  t.same(lines.map((l) => [l.lineNo, l.time, l.tuple]), [
    [3, '06:00', '(A,V1,F,30)'], [4, '06:05', '(A,V2,T,7.5)'], [5, '06:10', '(A,V1,O,0)'], [6, '06:15', '(C,V2,O,-1)'],
    [7, '06:15', '(C,V2,F,12)'], [8, '06:20', '(B,T3,O,0)'], [9, '06:30', '(B,T3,O,1)'], [10, '00:10+1', '(A,V3,T,1)'],
  ]);
  t.same(lines.map((l) => l.action), [
    { kind: 'apply', carId: 'V1', mode: 'fast', energyWms: 30 * KWH },
    { kind: 'apply', carId: 'V2', mode: 'slow', energyWms: 7.5 * KWH },
    { kind: 'cancel', carId: 'V1' },
    { kind: 'change', carId: 'V2', mode: null, energyWms: null },
    { kind: 'change', carId: 'V2', mode: 'fast', energyWms: 12 * KWH },
    { kind: 'pileFault', pileNo: 'T3' },
    { kind: 'pileRecover', pileNo: 'T3' },
    { kind: 'apply', carId: 'V3', mode: 'slow', energyWms: KWH },
  ]);
  t.equal(lines[7]?.dayOffset, 1);
});

t.test('notation: malformed lines are errors with their line number', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['06:00 A,V1,F,30', /line 1: expected/],
    ['06:00 (A,V1,F)', /four fields/],
    ['06:00 (X,V1,F,3)', /unknown event type/],
    ['06:00 (A,V1,Q,3)', /mode must be F or T/],
    ['06:00 (A,V1,O,5)', /a cancel is/],
    ['06:00 (B,F1,F,0)', /a pile event/],
    ['06:00 (B,F1,O,2)', /0 \(fault\) or 1/],
    ['06:00 (B,P1,O,0)', /F<k> or T<k>/],
    ['06:00 (A,V1,F,ten)', /must be a number/],
    ['25:00 (A,V1,F,1)', /no such time/],
    ['06:00 (A,V1,F,1)\n05:59 (A,V2,F,1)', /line 2: times must not go backwards/],
  ];
  for (const [text, message] of bad) t.throws(() => parseScenario(text), { name: 'ScenarioParseError', message }, text);
  t.throws(() => parseScenario('nonsense'), { name: 'ScenarioParseError', lineNo: 1 });
});

t.test('CSV: RFC 4180 quoting', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('-'), '-');
  t.equal(csvField('(V1,0.00,0.00)'), '"(V1,0.00,0.00)"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
});

t.test('runner: header, one row per line after its event, refusals, and the end row', async (t) => {
  const csv = await render(`
06:00 (A,V1,F,1)
06:00 (A,V1,F,1)
06:01 (A,V2,T,1)
06:30 (A,V3,O,0)
`);
  t.equal(csv, [
    'time,event,F1,F2,T1,T2,T3,waiting,fault_queue',
    '06:00,"(A,V1,F,1)","(V1,0.00,0.00)",-,-,-,-,-,-',
    '06:00,"(A,V1,F,1) [refused: car already has an active request]","(V1,0.00,0.00)",-,-,-,-,-,-',
    '06:01,"(A,V2,T,1)","(V1,0.50,0.60)",-,"(V2,0.00,0.00)",-,-,-,-',
    '06:30,"(A,V3,O,0) [refused: no active request]",-,-,-,-,-,-,-',
    // The last event (06:30) is later than the last completion (V2 at 06:07).
    'end,06:30',
    '',
  ].join('\n'));
});

t.test('runner: the end row is the last completion, with +1 past midnight', async (t) => {
  const csv = await render('23:50 (A,V1,T,10)\n');
  t.match(csv, /\nend,00:50\+1\n$/);
  const small = { ...DEFAULT_SCENARIO_SETTINGS, fastPiles: 1, slowPiles: 1, date: '2026-03-05' };
  const two = await render('10:00 (A,V1,F,1)\n10:00 (B,F1,O,0)\n', small);
  t.match(two, /^time,event,F1,T1,waiting,fault_queue\n/);
  t.match(two, /\n10:00,"\(B,F1,O,0\)",FAULT,-,-,"\(V1,F,1.00\)"\nend,10:00\n$/, 'nothing completes: the end is the last event');
});

t.test('options: DESIGN.md flags with documented defaults, clear errors', async (t) => {
  const inv = parseScenarioArgs(['f.txt', '--fast', '3', '--slow', '1', '--fast-kw', '60', '--slow-kw', '7', '--waiting', '6',
    '--queue', '2', '--policy', 'time-order', '--dispatch', 'batch-min-total', '--date', '2026-05-01']);
  t.same(inv, {
    file: 'f.txt', url: null, settings: {
      fastPiles: 3, slowPiles: 1, fastPowerW: 60_000, slowPowerW: 7000, waitingAreaSize: 6, pileQueueLength: 2,
      faultPolicy: 'time-order', dispatchMode: 'batch-min-total', date: '2026-05-01', timeZone: 'Asia/Shanghai',
    },
  });
  t.same(parseScenarioArgs(['f.txt']).settings, DEFAULT_SCENARIO_SETTINGS);
  t.equal(DEFAULT_SCENARIO_SETTINGS.date, '2026-01-01');
  t.equal(parseScenarioArgs(['f.txt', '--url', 'http://x']).url, 'http://x');
  for (const argv of [[], ['a', 'b'], ['f', '--policy', 'random'], ['f', '--fast', 'two'], ['f', '--date', '2026-13-01'], ['f', '--bogus']]) {
    t.throws(() => parseScenarioArgs(argv), { name: 'ScenarioUsageError' }, argv.join(' '));
  }
});

const manifest = JSON.parse(readFileSync(join(scenarios, 'manifest.json'), 'utf8')) as Array<{ events: string; args: string[]; expected: string }>;

t.test('checked-in scenarios replay byte for byte', async (t) => {
  for (const entry of manifest) {
    const { settings } = parseScenarioArgs([entry.events, ...entry.args]);
    const csv = await render(readFileSync(join(scenarios, entry.events), 'utf8'), settings);
    t.equal(csv, readFileSync(join(scenarios, entry.expected), 'utf8'), entry.expected);
  }
  const rush = parseScenario(readFileSync(join(scenarios, 'rush.txt'), 'utf8'));
  t.ok(rush.length >= 40, 'rush.txt has at least 40 events');
  for (const kind of ['cancel', 'change', 'pileFault', 'pileRecover']) {
    t.ok(rush.filter((l) => l.action.kind === kind).length >= 2, `rush.txt has ${kind} events`);
  }
});

t.test('scripts/scenario runs from any directory and prints the same bytes', async (t) => {
  const run = promisify(execFile);
  const entry = manifest.find((e) => e.expected === 'rush.time-order.csv')!;
  const { stdout } = await run(join(root, 'scripts', 'scenario'), [join(scenarios, entry.events), ...entry.args], { cwd: '/' });
  t.equal(stdout, readFileSync(join(scenarios, entry.expected), 'utf8'));
  const failed = await run(join(root, 'scripts', 'scenario'), ['/nonexistent/file.txt'], { cwd: '/' }).then(() => null, (e: { code: number; stderr: string }) => e);
  t.equal(failed?.code, 2);
  t.match(failed?.stderr, /cannot read/);
});

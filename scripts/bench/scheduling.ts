// Replays a random 100,000-event scenario against the station engine and prints events per second:
// once through the whole runner (parse -> engine -> CSV rows), once through the engine's applyCommand alone.
// usage: scripts/bench/scheduling [events=100000] [seed=1]
import {
  applyCommand, createStation, DEFAULT_SCENARIO_SETTINGS, EngineDriver, nextDueAt, parseScenario, runScenario,
  scenarioInstant, stationConfigOf,
} from '../../packages/scheduling/src/index.js';
import type { StationCommand, StationState } from '../../packages/scheduling/src/index.js';

const total = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);

/** mulberry32: a tiny seeded generator, so every run replays the same scenario. */
function random(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A busy default station: about 300 events a day, mostly requests from a pool of 60 cars (many are refused
 * because the waiting area is full or the car is already queued); every pile fault is followed by a recovery. */
function generate(n: number): string {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const piles = ['F1', 'F2', 'T1', 'T2', 'T3'];
  const down = new Set<string>();
  const lines: string[] = [];
  let minute = 6 * 60;
  while (lines.length < n) {
    minute += rnd() < 0.4 ? 0 : Math.floor(rnd() * 10);
    const day = Math.floor(minute / 1440);
    const hh = String(Math.floor((minute % 1440) / 60)).padStart(2, '0');
    const mm = String(minute % 60).padStart(2, '0');
    const time = `${hh}:${mm}${day > 0 ? `+${day}` : ''}`;
    const car = `V${1 + Math.floor(rnd() * 60)}`;
    const r = rnd();
    let tuple: string;
    if (r < 0.7) tuple = `(A,${car},${pick(['F', 'T'])},${1 + Math.floor(rnd() * 25)})`;
    else if (r < 0.8) tuple = `(C,${car},${pick(['F', 'T', 'O'])},${rnd() < 0.3 ? -1 : 1 + Math.floor(rnd() * 40)})`;
    else if (r < 0.95) tuple = `(A,${car},O,0)`;
    else {
      const pile = pick(piles);
      tuple = `(B,${pile},O,${down.has(pile) ? 1 : 0})`;
      if (down.has(pile)) down.delete(pile);
      else down.add(pile);
    }
    lines.push(`${time} ${tuple}`);
  }
  return `${lines.join('\n')}\n`;
}

const text = generate(total);
const settings = DEFAULT_SCENARIO_SETTINGS;
const lines = parseScenario(text);

// 1. The whole runner, as scripts/scenario runs it (rows are counted, not printed).
let t0 = performance.now();
const driver = new EngineDriver(settings, scenarioInstant(settings, 0, 0));
let bytes = 0;
let rows = 0;
await runScenario(parseScenario(text), settings, driver, (chunk) => {
  bytes += chunk.length;
  rows += 1;
});
const runnerMs = performance.now() - t0;
const runnerEvents = driver.events.length;

// 2. The engine alone: the same events as commands, no board and no formatting.
const commands: Array<{ atMs: number; command: StationCommand }> = [];
const active = new Map<string, string>();
let n = 0;
for (const line of lines) {
  const atMs = scenarioInstant(settings, line.dayOffset, line.minuteOfDay);
  const a = line.action;
  if (a.kind === 'apply') commands.push({ atMs, command: { type: 'submit', orderId: `${a.carId}.${++n}`, userId: a.carId, carId: a.carId, mode: a.mode, energyWms: a.energyWms } });
  else if (a.kind === 'cancel') commands.push({ atMs, command: { type: 'cancel', orderId: a.carId } });
  else if (a.kind === 'change') commands.push({ atMs, command: { type: 'modify', orderId: a.carId, mode: a.mode, energyWms: a.energyWms } });
  else commands.push({ atMs, command: { type: a.kind, pileNo: a.pileNo } });
}
let state: StationState = createStation(stationConfigOf(settings), scenarioInstant(settings, 0, 0));
let accepted = 0;
let emitted = 0;
t0 = performance.now();
for (const { atMs, command } of commands) {
  // Cancels and changes name the car's current order.
  const c = command.type === 'cancel' || command.type === 'modify' ? { ...command, orderId: active.get(command.orderId) ?? '-' } : command;
  const r = applyCommand(state, c, atMs);
  if (!r.ok) continue;
  accepted += 1;
  emitted += r.events.length;
  state = r.state;
  for (const e of r.events) {
    if (e.type === 'queued') active.set(e.carId, e.orderId);
    else if (e.type === 'orderFinished' && active.get(e.carId) === e.orderId) active.delete(e.carId);
  }
}
for (let due = nextDueAt(state); due !== null; due = nextDueAt(state)) {
  const r = applyCommand(state, { type: 'advance' }, due);
  if (r.ok) state = r.state;
}
const engineMs = performance.now() - t0;

const days = lines.length > 0 ? lines[lines.length - 1]!.dayOffset + 1 : 0;
console.log(`scenario: ${lines.length} events over ${days} days (seed ${seed}), default station`);
console.log(`runner (parse + engine + CSV): ${Math.round(lines.length / (runnerMs / 1000))} events/s ` +
  `(${(runnerMs / 1000).toFixed(2)} s, ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB of CSV, ${runnerEvents} engine events)`);
console.log(`engine (applyCommand only):    ${Math.round(commands.length / (engineMs / 1000))} events/s ` +
  `(${(engineMs / 1000).toFixed(2)} s, ${accepted} accepted, ${emitted} events emitted)`);

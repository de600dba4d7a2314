// A device-driven station whose piles confirm every start at once, and whose time moves from completion to
// completion (as the scheduler's clock advance does), is the modelled station: the same cars in the same places,
// the same energy, fees and pile totals, for random command sequences.
import t from 'tap';
import fc from 'fast-check';
import { applyCommand, board, createStation, nextDueAt, stateAt } from '../src/index.js';
import type { FaultPolicy, Mode, StationCommand, StationState } from '../src/index.js';
import { at, KWH, MIN } from './helpers.js';

const pileNos = ['F1', 'F2', 'T1', 'T2'];
const arbStep = fc.record({
  dtMs: fc.integer({ min: 0, max: 40 * MIN }),
  command: fc.oneof(
    { weight: 6, arbitrary: fc.record({ type: fc.constant('submit'), car: fc.nat(9), mode: fc.constantFrom<Mode>('fast', 'slow'), kwh: fc.integer({ min: 1, max: 400 }) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('cancel'), car: fc.nat(9) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('pileFault', 'pileRecover', 'pileOff', 'pileOn'), pile: fc.constantFrom(...pileNos) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('advance') }) },
  ),
});
const arbRun = fc.record({
  faultPolicy: fc.constantFrom<FaultPolicy>('priority', 'time-order'),
  pileQueueLength: fc.integer({ min: 1, max: 3 }),
  steps: fc.array(arbStep, { minLength: 10, maxLength: 60 }),
});

type Run = typeof arbRun extends fc.Arbitrary<infer R> ? R : never;

function apply(state: StationState, command: StationCommand, atMs: number): StationState {
  const r = applyCommand(state, command, atMs);
  return r.ok ? r.state : state;
}

/** Every starting head session confirmed at the instant it was asked for (a pile that answers at once). */
function confirmAll(state: StationState, atMs: number): StationState {
  for (;;) {
    const pile = state.piles.find((p) => p.queue[0]?.session?.starting === true);
    if (!pile) return state;
    const s = pile.queue[0]!.session!;
    state = apply(state, { type: 'sessionConfirmed', pileNo: pile.pileNo, sessionId: s.sessionId, startedAt: s.startedAt }, Math.max(atMs, state.nowMs));
  }
}

/** Time moves to `atMs` one completion at a time, each start answered before it moves on. */
function stepTo(state: StationState, atMs: number): StationState {
  state = confirmAll(state, atMs);
  for (let due = nextDueAt(state); due !== null && due <= atMs; due = nextDueAt(state)) {
    state = confirmAll(apply(state, { type: 'advance' }, due), due);
  }
  return state;
}

function view(state: StationState, atMs: number) {
  const b = board(state, atMs);
  return {
    piles: b.piles.map((p) => ({ pileNo: p.pileNo, state: p.state, queue: p.queue.map((c) => [c.orderId, c.state, c.sessionChargedWms, c.sessionFeeFen, c.requestChargedWms, c.requestFeeFen, c.startedAt, c.expectedEndAt]) })),
    waiting: b.waitingArea.map((c) => c.orderId),
    fault: b.faultQueue.map((c) => [c.orderId, c.remainingWms]),
    totals: stateAt(state, atMs).piles.map((p) => p.totals),
  };
}

function check(run: Run): void {
  const config = { fastPiles: 2, slowPiles: 2, pileQueueLength: run.pileQueueLength, waitingAreaSize: 4, faultPolicy: run.faultPolicy };
  let modelled = createStation(config, at('06:00'));
  let driven = createStation(config, at('06:00'));
  for (const pileNo of pileNos) driven = apply(driven, { type: 'pileDriven', pileNo }, at('06:00'));
  const orders = new Map<number, number>();
  let now = at('06:00');
  for (const { dtMs, command: c } of run.steps) {
    now += dtMs;
    let command: StationCommand;
    if (c.type === 'submit') {
      const n = (orders.get(c.car) ?? 0) + 1;
      orders.set(c.car, n);
      command = { type: 'submit', orderId: `V${c.car}.${n}`, userId: `V${c.car}`, carId: `V${c.car}`, mode: c.mode, energyWms: (c.kwh * KWH) / 10 };
    } else if (c.type === 'cancel') {
      command = { type: 'cancel', orderId: `V${c.car}.${orders.get(c.car) ?? 0}` };
    } else if (c.type === 'advance') {
      command = { type: 'advance' };
    } else {
      command = { type: c.type as 'pileFault', pileNo: c.pile };
    }
    modelled = apply(modelled, command, now);
    driven = confirmAll(apply(stepTo(driven, now), command, now), now);
    const a = JSON.stringify(view(modelled, now));
    const b = JSON.stringify(view(driven, now));
    if (a !== b) throw new Error(`after ${JSON.stringify(command)} at ${now}:\nmodelled ${a}\ndriven   ${b}`);
  }
}

t.test('a driven station whose piles answer at once is the modelled station', async (t) => {
  const details = fc.check(fc.property(arbRun, (run) => {
    check(run);
    return true;
  }), { numRuns: 200 });
  if (details.failed) t.fail(`${String((details.errorInstance as Error | null)?.message)}\ncounterexample: ${JSON.stringify(details.counterexample)}`);
  else t.pass('same places, energy, fees and totals over 200 random runs');
});

// Rule 6: the single-min-total and batch-min-total dispatch modes, checked against brute force.
import t from 'tap';
import fc from 'fast-check';
import { minTotalAssignment } from '../src/index.js';
import type { SolverPile, StationState } from '../src/index.js';
import { at, KWH, ofType, Station } from './helpers.js';

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** Every way to share the cars among the piles' free places, every order within each pile: the least total. */
function bruteForceTotal(needs: number[], piles: SolverPile[]): number {
  let best = Infinity;
  const onPile: number[][] = piles.map(() => []);
  const permutations = (xs: number[]): number[][] =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
  const assign = (car: number) => {
    if (car === needs.length) {
      let total = 0;
      piles.forEach((p, i) => {
        let pileBest = Infinity;
        for (const order of permutations(onPile[i]!)) {
          let time = p.backlogMs;
          let sum = 0;
          for (const c of order) {
            time += ceilDiv(needs[c]!, p.powerW);
            sum += time;
          }
          pileBest = Math.min(pileBest, sum);
        }
        total += pileBest;
      });
      best = Math.min(best, total);
      return;
    }
    piles.forEach((p, i) => {
      if (onPile[i]!.length < p.freePlaces) {
        onPile[i]!.push(car);
        assign(car + 1);
        onPile[i]!.pop();
      }
    });
  };
  assign(0);
  return best;
}

/** Sum of completion times (from now) of the given cars, as the station has queued them. */
function queuedTotal(state: StationState, carIds: string[]): number {
  let sum = 0;
  for (const pile of state.piles) {
    let time = 0;
    for (const car of pile.queue) {
      time += car.session ? car.session.endsAt - state.nowMs : ceilDiv(car.requestedWms - car.deliveredWms, pile.powerW);
      if (carIds.includes(car.carId)) sum += time;
    }
  }
  return sum;
}

t.test('rule 6: the min-total assignment equals brute force on small instances', async (t) => {
  const instance = fc.array(fc.record({
    powerW: fc.constantFrom(7_000, 10_000, 30_000, 60_000),
    backlogMs: fc.integer({ min: 0, max: 10_000_000 }),
    freePlaces: fc.integer({ min: 0, max: 3 }),
  }), { minLength: 1, maxLength: 3 }).chain((piles) => {
    const places = piles.reduce((n, p) => n + p.freePlaces, 0);
    return fc.tuple(fc.constant(piles), fc.array(fc.integer({ min: 1, max: 100 * KWH }), { minLength: 0, maxLength: Math.min(places, 5) }));
  });
  fc.assert(fc.property(instance, ([piles, needs]) => {
    const plan = minTotalAssignment(needs, piles);
    // The plan is a real schedule: every car placed once, no pile over its free places.
    const placed = plan.perPile.flat().sort((a, b) => a - b);
    if (JSON.stringify(placed) !== JSON.stringify(needs.map((_, i) => i))) return false;
    if (plan.perPile.some((cars, i) => cars.length > piles[i]!.freePlaces)) return false;
    return plan.totalMs === bruteForceTotal(needs, piles);
  }), { numRuns: 300 });
  t.pass('300 random instances agree with brute force');
});

t.test('rule 6 (single-min-total): several places freeing at once call several cars, arranged for the least total', async (t) => {
  // A pile switched on with cars waiting: three places free at once on F2.
  const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 3, dispatchMode: 'single-min-total' });
  s.do({ type: 'pileOff', pileNo: 'F2' }, at('06:00'));
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 20, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  for (const [car, kwh] of [['V4', 30], ['V5', 5], ['V6', 10], ['V7', 20]] as const) s.submit(car, 'fast', kwh, at('06:00'));
  t.same(s.layout().waiting, ['V4', 'V5', 'V6', 'V7']);
  const events = s.do({ type: 'pileOn', pileNo: 'F2' }, at('06:30'));
  // The three earliest cars are called together; shortest first: 10 + 30 + 90 = 130 min instead of 60 + 70 + 90.
  t.same(s.layout().F2, ['V5', 'V6', 'V4']);
  t.same(s.layout().waiting, ['V7']);
  t.same(ofType(events, 'dispatched').map((e) => [e.carId, e.position]), [['V5', 1], ['V6', 2], ['V4', 3]],
    'announced in queue order');
  const needs = [30, 5, 10].map((k) => k * KWH);
  t.equal(queuedTotal(s.state, ['V4', 'V5', 'V6']), bruteForceTotal(needs, [{ powerW: 30_000, backlogMs: 0, freePlaces: 3 }]));
  t.equal(queuedTotal(s.state, ['V4', 'V5', 'V6']), 130 * 60_000);
});

t.test('rule 6 (batch-min-total): waits for a full batch, then assigns it to any pile, ignoring mode, for the least total', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 2, waitingAreaSize: 4, dispatchMode: 'batch-min-total' });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'slow', 20, at('06:00'));
  s.submit('V3', 'fast', 1, at('06:01'));
  t.same(s.layout(), { F1: [], T1: [], waiting: ['V1', 'V2', 'V3'], fault: [] }, 'three cars cannot fill four places: wait');
  const events = s.submit('V4', 'slow', 1, at('06:02'));
  t.same(s.layout().waiting, []);
  const batch = ['V1', 'V2', 'V3', 'V4'];
  const needs = [30, 20, 1, 1].map((k) => k * KWH);
  const best = bruteForceTotal(needs, [
    { powerW: 30_000, backlogMs: 0, freePlaces: 2 }, { powerW: 10_000, backlogMs: 0, freePlaces: 2 }]);
  t.equal(queuedTotal(s.state, batch), best, 'the sum of completion times is the least possible');
  // The two long charges share the fast pile (40 + 100 min), the two short ones the slow pile (6 + 12 min).
  t.same(s.layout(), { F1: ['V2', 'V1'], T1: ['V3', 'V4'], waiting: [], fault: [] }, 'modes are ignored');
  t.equal(best, 158 * 60_000);
  t.same(ofType(events, 'dispatched').map((e) => [e.carId, e.pileNo, e.position]),
    [['V2', 'F1', 1], ['V1', 'F1', 2], ['V3', 'T1', 1], ['V4', 'T1', 2]], 'announced pile by pile in queue order');
  t.equal(ofType(events, 'sessionStarted').length, 2);

  // Later places: a waiting car is dispatched once the waiting cars fill every free place.
  s.submit('V5', 'fast', 1, at('06:03'));
  t.same(s.layout().waiting, ['V5'], 'no place is free yet');
  s.advance(at('09:00'));
  t.equal(s.layout().waiting.length, 0);
  t.ok(s.state.piles.every((p) => p.queue.length === 0), 'everything charged');
});

t.test('rule 6: the min-total modes take no changes and no fault on a busy pile', async (t) => {
  for (const dispatchMode of ['single-min-total', 'batch-min-total'] as const) {
    const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 1, waitingAreaSize: 2, dispatchMode });
    s.submit('V1', 'fast', 10, at('06:00'));
    s.submit('V2', 'fast', 10, at('06:00'));
    const waitingCar = s.layout().waiting[0] ?? 'V1';
    const code = s.refuse({ type: 'modify', orderId: waitingCar, energyWms: KWH }, at('06:01')).code;
    t.ok(code === 'NOT_SUPPORTED_IN_DISPATCH_MODE' || code === 'NOT_IN_WAITING_AREA', dispatchMode);
    const busy = s.state.piles.find((p) => p.queue.length > 0)!;
    t.equal(s.refuse({ type: 'pileFault', pileNo: busy.pileNo }, at('06:01')).code, 'NOT_SUPPORTED_IN_DISPATCH_MODE', dispatchMode);
    const idle = s.state.piles.find((p) => p.queue.length === 0)!;
    s.do({ type: 'pileFault', pileNo: idle.pileNo }, at('06:01'));
    s.do({ type: 'pileRecover', pileNo: idle.pileNo }, at('06:02'));
    s.do({ type: 'cancel', orderId: 'V2' }, at('06:03'));
    t.equal(s.car('V2'), null, `${dispatchMode}: cancelling still works`);
  }
});

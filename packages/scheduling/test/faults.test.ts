// Rule 5 (pile fault, switching off, recovery) under both fault policies, and its binding fine points.
import t from 'tap';
import { at, KWH, MIN, ofType, Station } from './helpers.js';

t.test('rule 5 (priority): the charging car is billed, keeps its number and leads the fault queue; its pile-mates follow', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 2, waitingAreaSize: 2 });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 30, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  s.submit('V4', 'fast', 10, at('06:00'));
  s.submit('V5', 'fast', 5, at('06:00'));
  s.submit('V6', 'slow', 1, at('06:00'));
  t.same(s.layout(), { F1: ['V1', 'V3'], F2: ['V2', 'V4'], T1: ['V6'], waiting: ['V5'], fault: [] });
  s.advance(at('06:29'));

  const events = s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:30'));
  t.same(events.map((e) => e.type), ['pileStateChanged', 'sessionEnded', 'requeued', 'requeued']);
  t.match(events[0], { pileNo: 'F1', state: 'fault', previousState: 'working', cause: 'fault' });
  t.match(events[1], { carId: 'V1', reason: 'fault', energyWms: 15 * KWH, feeFen: 1800, remainingWms: 15 * KWH });
  t.match(events[2], { carId: 'V1', queueNo: 'F1', fromPileNo: 'F1', remainingWms: 15 * KWH, cause: 'fault' });
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V2', 'V4'], T1: [], waiting: ['V5'], fault: ['V1', 'V3'] });

  // The slow mode is not held up by the fast fault queue.
  s.submit('V9', 'slow', 1, at('06:31'));
  t.same(s.layout().T1, ['V9']);
  // Fault-queue cars are in the charging area: they do not count against N = 2.
  s.submit('V7', 'fast', 5, at('06:31'));
  t.equal(s.refuse({ type: 'submit', orderId: 'V8', userId: 'u', carId: 'V8', mode: 'fast', energyWms: KWH }, at('06:31')).code,
    'WAITING_AREA_FULL');

  // 07:00 V2 completes: the freed place takes the fault queue's first car, not the waiting V5.
  s.advance(at('07:00'));
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V4', 'V1'], T1: [], waiting: ['V5', 'V7'], fault: ['V3'] });
  // 07:20 V4 completes: V1 charges again (a new session for what it lacks), V3 takes the place behind it.
  const later = s.advance(at('07:20'));
  t.match(ofType(later, 'sessionStarted')[0], { carId: 'V1', sessionId: 'V1#2', targetWms: 15 * KWH, expectedEndAt: at('07:50') });
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V1', 'V3'], T1: [], waiting: ['V5', 'V7'], fault: [] });
  // Only now that the fault queue is empty is the waiting area called again (07:50).
  s.advance(at('07:50'));
  t.same(s.layout().F2, ['V3', 'V5']);
  const v1 = ofType(s.events, 'orderFinished').find((e) => e.carId === 'V1');
  // 15 kWh at valley 1.20 before the fault, 15 kWh at flat 1.50 from 07:20: 18.00 + 22.50.
  t.match(v1, { reason: 'completed', deliveredWms: 30 * KWH, feeFen: 4050, queueNo: 'F1' });
});

t.test('rule 5 (time-order): fault queue and other piles\' waiting cars are re-dispatched by number; the rest stay in the fault queue', async (t) => {
  const s = new Station({ fastPiles: 3, slowPiles: 1, pileQueueLength: 2, faultPolicy: 'time-order' });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 20, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  s.submit('V4', 'fast', 10, at('06:00'));
  s.submit('V5', 'fast', 20, at('06:00'));
  s.submit('V6', 'fast', 5, at('06:00'));
  s.submit('V7', 'fast', 1, at('06:00'));
  t.same(s.layout(), { F1: ['V1', 'V6'], F2: ['V2', 'V5'], F3: ['V3', 'V4'], T1: [], waiting: ['V7'], fault: [] });

  const events = s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:10'));
  // Merged by number: V1 (F1), V4 (F4), V5 (F5), V6 (F6). V1 (50 min left): F2 30+50, F3 10+50 -> F3.
  // V4 (20 min): F2 30+20 -> F2. V5 and V6 find no place and wait in the fault queue, in number order.
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V2', 'V4'], F3: ['V3', 'V1'], T1: [], waiting: ['V7'], fault: ['V5', 'V6'] });
  t.same(ofType(events, 'dispatched').map((e) => [e.carId, e.from, e.fromPileNo, e.pileNo, e.position]), [
    ['V1', 'faultQueue', null, 'F3', 2],
    ['V4', 'pile', 'F3', 'F2', 2],
  ]);
  t.same(ofType(events, 'requeued').map((e) => [e.carId, e.cause, e.fromPileNo]), [
    ['V1', 'fault', 'F1'], ['V6', 'fault', 'F1'], ['V5', 'redispatch', 'F2'],
  ]);

  s.advance(at('06:20')); // V3 done: V1 charges on F3, V5 (fault queue first) joins it
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V2', 'V4'], F3: ['V1', 'V5'], T1: [], waiting: ['V7'], fault: ['V6'] });
  s.advance(at('06:40')); // V2 done: V4 charges, V6 joins
  t.same(s.layout().F2, ['V4', 'V6']);
  s.advance(at('07:00')); // V4 done: V6 charges; the fault queue is empty, so the waiting V7 is called
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V6', 'V7'], F3: ['V1', 'V5'], T1: [], waiting: [], fault: [] });
});

t.test('rule 5 (priority): the same fault leaves the other piles alone', async (t) => {
  const s = new Station({ fastPiles: 3, slowPiles: 1, pileQueueLength: 2, faultPolicy: 'priority' });
  for (const [car, kwh] of [['V1', 30], ['V2', 20], ['V3', 10], ['V4', 10], ['V5', 20], ['V6', 5], ['V7', 1]] as const) {
    s.submit(car, 'fast', kwh, at('06:00'));
  }
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:10'));
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V2', 'V5'], F3: ['V3', 'V4'], T1: [], waiting: ['V7'], fault: ['V1', 'V6'] });
});

t.test('rule 5 recovery: other piles\' not-charging cars and the fault queue are re-dispatched by number over all working piles', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 3 });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 30, at('06:00'));
  for (const car of ['V3', 'V4', 'V5', 'V6']) s.submit(car, 'fast', 10, at('06:00'));
  t.same(s.layout(), { F1: ['V1', 'V3', 'V5'], F2: ['V2', 'V4', 'V6'], T1: [], waiting: [], fault: [] });
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:30'));
  t.same(s.layout().fault, ['V1', 'V3', 'V5']);

  const events = s.do({ type: 'pileRecover', pileNo: 'F1' }, at('06:40'));
  // V1 (30 min left): F1 30 vs F2 20+30 -> F1; V3: F1 50 vs F2 40 -> F2; V4: F1 50 vs F2 60 -> F1;
  // V5: F1 70 vs F2 60 -> F2; V6: F2 is full -> F1.
  t.same(s.layout(), { F1: ['V1', 'V4', 'V6'], F2: ['V2', 'V3', 'V5'], T1: [], waiting: [], fault: [] });
  t.match(events[0], { type: 'pileStateChanged', pileNo: 'F1', state: 'working', previousState: 'fault', cause: 'recover' });
  t.same(ofType(events, 'dispatched').map((e) => [e.carId, e.from, e.pileNo, e.position]), [
    ['V1', 'faultQueue', 'F1', 1], ['V3', 'faultQueue', 'F2', 2], ['V4', 'pile', 'F1', 2], ['V5', 'faultQueue', 'F2', 3],
    ['V6', 'pile', 'F1', 3],
  ]);
  t.match(ofType(events, 'sessionStarted'), [{ carId: 'V1', sessionId: 'V1#2', pileNo: 'F1', targetWms: 15 * KWH }]);
});

t.test('rule 5 recovery: without not-charging cars on other piles the recovered pile just fills by calling', async (t) => {
  for (const faultPolicy of ['priority', 'time-order'] as const) {
    const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 1, faultPolicy });
    s.submit('V1', 'fast', 30, at('06:00'));
    s.submit('V2', 'fast', 30, at('06:00'));
    s.submit('V3', 'fast', 10, at('06:00'));
    s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:10'));
    t.same(s.layout(), { F1: ['FAULT'], F2: ['V2'], T1: [], waiting: ['V3'], fault: ['V1'] }, faultPolicy);
    const events = s.do({ type: 'pileRecover', pileNo: 'F1' }, at('06:20'));
    t.same(events.map((e) => e.type), ['pileStateChanged', 'dispatched', 'sessionStarted'], faultPolicy);
    t.same(s.layout(), { F1: ['V1'], F2: ['V2'], T1: [], waiting: ['V3'], fault: [] }, faultPolicy);
  }
});

t.test('fine point: the fault queue is one list for both modes; each mode calls only its own cars from it', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 2, pileQueueLength: 1 });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'slow', 10, at('06:00'));
  s.submit('V3', 'fast', 1, at('06:00'));  // F2 until 06:02
  s.submit('V4', 'slow', 3, at('06:00'));  // T2 until 06:18
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:01'));
  s.do({ type: 'pileFault', pileNo: 'T1' }, at('06:01'));
  s.submit('V5', 'slow', 1, at('06:01'));
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V3'], T1: ['FAULT'], T2: ['V4'], waiting: ['V5'], fault: ['V1', 'V2'] });
  s.advance(at('06:02'));
  t.same(s.layout().fault, ['V2'], 'the fast place takes the fast car, although a slow one is in the queue too');
  s.advance(at('06:18'));
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V1'], T1: ['FAULT'], T2: ['V2'], waiting: ['V5'], fault: [] });
});

t.test('fine point: a fault on an empty pile only marks it; wrong pile commands are refused', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 1 });
  const events = s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:00'));
  t.same(events.map((e) => e.type), ['pileStateChanged']);
  s.submit('V1', 'fast', 1, at('06:01'));
  t.same(s.layout().F2, ['V1'], 'a faulty pile holds no cars');
  t.equal(s.refuse({ type: 'pileFault', pileNo: 'F1' }, at('06:02')).code, 'PILE_NOT_WORKING');
  t.equal(s.refuse({ type: 'pileOff', pileNo: 'F1' }, at('06:02')).code, 'PILE_NOT_WORKING');
  t.equal(s.refuse({ type: 'pileRecover', pileNo: 'F2' }, at('06:02')).code, 'PILE_ALREADY_WORKING');
  t.equal(s.refuse({ type: 'pileOn', pileNo: 'T1' }, at('06:02')).code, 'PILE_ALREADY_WORKING');
  t.equal(s.refuse({ type: 'pileFault', pileNo: 'F9' }, at('06:02')).code, 'UNKNOWN_PILE');
  t.equal(s.refuse({ type: 'pileRecover', pileNo: 'X' }, at('06:02')).code, 'UNKNOWN_PILE');
});

t.test('rule 5: switching a busy pile off works like a fault, with reason off; switching it on recovers it', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 2 });
  s.submit('V1', 'slow', 10, at('06:00'));
  s.submit('V2', 'slow', 10, at('06:00'));
  const events = s.do({ type: 'pileOff', pileNo: 'T1' }, at('06:30'));
  t.match(events, [
    { type: 'pileStateChanged', state: 'off', cause: 'off' },
    { type: 'sessionEnded', carId: 'V1', reason: 'off', energyWms: 5 * KWH },
    { type: 'requeued', carId: 'V1', cause: 'off' },
    { type: 'requeued', carId: 'V2', cause: 'off' },
  ]);
  t.equal(s.state.piles.find((p) => p.pileNo === 'T1')?.state, 'off');
  s.do({ type: 'pileOn', pileNo: 'T1' }, at('06:40'));
  t.same(s.layout(), { F1: [], T1: ['V1', 'V2'], waiting: [], fault: [] });
  s.advance(at('08:00'));
  t.equal(ofType(s.events, 'orderFinished').find((e) => e.carId === 'V1')?.deliveredWms, 10 * KWH);
});

t.test('fine point: every ended session is billed, even one of 0 kWh; a re-queued car starts a new session', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 10, at('06:00'));
  const events = s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:00'));
  t.match(ofType(events, 'sessionEnded')[0], { sessionId: 'V1#1', energyWms: 0, durationMs: 0, feeFen: 0, reason: 'fault' });
  t.match(ofType(events, 'sessionStarted')[0], { sessionId: 'V1#2', pileNo: 'F2', targetWms: 10 * KWH });
  t.match(ofType(events, 'dispatched')[0], { carId: 'V1', from: 'faultQueue', pileNo: 'F2' });
  const ended = ofType(s.advance(at('07:00')), 'sessionEnded')[0];
  t.match(ended, { sessionId: 'V1#2', reason: 'completed', endedAt: at('06:00') + 20 * MIN });
});

// Piles a device drives: a session exists from the pile's report that it started (DESIGN "Messaging"). The head
// car is "starting" until then: no energy, no completion, no bill; a start that fails runs rule 5 with no bill.
import t from 'tap';
import { board, nextDueAt, position } from '../src/index.js';
import { at, KWH, ofType, Station } from './helpers.js';

function drivenStation() {
  const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 2, waitingAreaSize: 5 });
  s.do({ type: 'pileDriven', pileNo: 'F1' }, at('06:00'));
  return s;
}

t.test('a modelled pile starts at once; a driven pile only asks for the start', async (t) => {
  const s = drivenStation();
  t.equal(s.state.piles.find((p) => p.pileNo === 'F1')!.driven, true);
  t.equal(s.state.piles.find((p) => p.pileNo === 'F2')!.driven, false);
  const e1 = s.submit('V1', 'fast', 30, at('06:00'));
  t.same(ofType(e1, 'sessionStarted'), [], 'no session on the driven pile yet');
  t.match(ofType(e1, 'sessionStarting'), [{ carId: 'V1', sessionId: 'V1#1', pileNo: 'F1', targetWms: 30 * KWH }]);
  const e2 = s.submit('V2', 'fast', 30, at('06:00'));
  t.match(ofType(e2, 'sessionStarted'), [{ carId: 'V2', pileNo: 'F2', startedAt: at('06:00') }], 'the modelled pile starts at once');
  t.same(ofType(e2, 'sessionStarting'), []);
});

t.test('a starting car accrues no energy and completes nothing until the pile confirms; energy counts from the reported instant', async (t) => {
  const s = drivenStation();
  s.submit('V1', 'fast', 30, at('06:00'));
  t.equal(nextDueAt(s.state), null, 'no completion is scheduled');
  // two hours later (a 30 kWh charge at 30 kW would long be over) nothing has happened
  t.same(s.advance(at('08:00')), []);
  const b = board(s.state, at('08:00'));
  t.match(b.piles[0]!.queue[0], { carId: 'V1', state: 'starting', sessionChargedWms: 0, sessionFeeFen: 0, expectedEndAt: null });
  t.match(position(s.state, 'V1', at('08:00')), { state: 'starting', sessionChargedWms: 0, sessionFeeFen: 0, remainingWms: 30 * KWH });
  t.equal(s.refuse({ type: 'sessionConfirmed', pileNo: 'F1', sessionId: 'V1#9', startedAt: at('08:00') }, at('08:01')).code,
    'SESSION_NOT_STARTING', 'a confirmation of another session is refused');

  // the pile reports it started at 08:00; the report is processed at 08:01
  const confirmed = s.do({ type: 'sessionConfirmed', pileNo: 'F1', sessionId: 'V1#1', startedAt: at('08:00') }, at('08:01'));
  t.match(ofType(confirmed, 'sessionStarted'), [{ carId: 'V1', sessionId: 'V1#1', startedAt: at('08:00'), expectedEndAt: at('09:00') }]);
  t.equal(nextDueAt(s.state), at('09:00'));
  t.match(board(s.state, at('08:30')).piles[0]!.queue[0], { state: 'charging', sessionChargedWms: 15 * KWH });
  const done = s.advance(at('09:00'));
  t.match(ofType(done, 'sessionEnded'), [{ carId: 'V1', startedAt: at('08:00'), endedAt: at('09:00'), energyWms: 30 * KWH, reason: 'completed' }]);
  t.equal(s.refuse({ type: 'sessionConfirmed', pileNo: 'F1', sessionId: 'V1#1', startedAt: at('08:00') }, at('09:01')).code,
    'SESSION_NOT_STARTING', 'a repeated confirmation changes nothing');
});

t.test('a failed start puts the pile to fault with its reason and re-queues the car by rule 5, with no session billed', async (t) => {
  const s = drivenStation();
  s.submit('V1', 'fast', 30, at('06:00')); // F1 (driven), starting
  s.submit('V2', 'fast', 30, at('06:00')); // F2 (modelled), charging
  s.submit('V3', 'fast', 10, at('06:00')); // behind V1 on F1 (shortest completion: F1's backlog counts in full)
  t.same(s.layout(), { F1: ['V1', 'V3'], F2: ['V2'], T1: [], waiting: [], fault: [] });
  const events = s.do({ type: 'sessionStartFailed', pileNo: 'F1', sessionId: 'V1#1', reason: 'pile did not answer the start' }, at('06:05'));
  t.same(ofType(events, 'sessionEnded'), [], 'no session ended: nothing to bill');
  t.match(ofType(events, 'sessionStartAborted'), [{ carId: 'V1', sessionId: 'V1#1', reason: 'failed', detail: 'pile did not answer the start' }]);
  t.match(ofType(events, 'pileStateChanged'), [{ pileNo: 'F1', state: 'fault', cause: 'fault', reason: 'pile did not answer the start' }]);
  t.match(ofType(events, 'requeued'), [
    { carId: 'V1', fromPileNo: 'F1', remainingWms: 30 * KWH, cause: 'start-failed' },
    { carId: 'V3', fromPileNo: 'F1', cause: 'fault' },
  ]);
  // rule 5: the failed car keeps its number and leads the fault queue, then F2's free place takes it
  t.match(s.car('V1'), { queueNo: 'F1', deliveredWms: 0, feeFen: 0, chargedMs: 0 });
  t.same(s.layout(), { F1: ['FAULT'], F2: ['V2', 'V1'], T1: [], waiting: [], fault: ['V3'] });
  const b = board(s.state, at('06:05'));
  t.match(b.piles[0], { pileNo: 'F1', state: 'fault', faultReason: 'pile did not answer the start', queue: [] });
  t.equal(s.state.piles[0]!.totals.sessions, 0, 'the pile counts no session');

  // a car still starting when its pile faults or is cancelled is dropped unbilled as well
  s.do({ type: 'pileRecover', pileNo: 'F1' }, at('06:10'));
  t.equal(s.state.piles[0]!.faultReason, null, 'recovery clears the reason');
  // recovery re-dispatches by number: V1 (not charging on F2) comes back to F1 and is asked to start again
  t.same(s.layout(), { F1: ['V1'], F2: ['V2', 'V3'], T1: [], waiting: [], fault: [] });
  t.match(s.car('V1')!.session, { sessionId: 'V1#2', starting: true });
  const cancelled = s.do({ type: 'cancel', orderId: 'V1' }, at('06:20'));
  t.same(ofType(cancelled, 'sessionEnded'), []);
  t.match(ofType(cancelled, 'sessionStartAborted'), [{ carId: 'V1', sessionId: 'V1#2', reason: 'cancelled' }]);
  t.match(ofType(cancelled, 'orderFinished'), [{ carId: 'V1', reason: 'cancelled', deliveredWms: 0, feeFen: 0 }]);
});

t.test('a report that arrives after the charge would have ended completes it at its own instant', async (t) => {
  const s = drivenStation();
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 30, at('06:00')); // F2, modelled
  s.submit('V3', 'fast', 30, at('06:00')); // behind V1 on F1
  const events = s.do({ type: 'sessionConfirmed', pileNo: 'F1', sessionId: 'V1#1', startedAt: at('06:00') }, at('08:00'));
  t.match(ofType(events, 'sessionEnded').find((e) => e.carId === 'V1'), { startedAt: at('06:00'), endedAt: at('07:00'), energyWms: 30 * KWH });
  t.match(ofType(events, 'sessionStarting'), [{ carId: 'V3', pileNo: 'F1', at: at('07:00') }], 'the next car is asked for at that instant');
});

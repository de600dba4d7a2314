// Rules 1–4 and 7 of DESIGN.md "Station scheduling", one subtest per rule or binding fine point.
import t from 'tap';
import { applyCommand, createStation } from '../src/index.js';
import { at, KWH, MIN, ofType, Station } from './helpers.js';

t.test('rule 1: a request gets F<n> or T<n> per mode and enters the waiting area first', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  const queued = [
    ...s.submit('V1', 'fast', 30, at('06:00')),
    ...s.submit('V2', 'fast', 30, at('06:00')),
    ...s.submit('V3', 'slow', 10, at('06:01')),
    ...s.submit('V4', 'slow', 10, at('06:01')),
    ...s.submit('V5', 'fast', 10, at('06:02')),
  ].filter((e) => e.type === 'queued');
  t.same(queued.map((e) => 'queueNo' in e && e.queueNo), ['F1', 'F2', 'T1', 'T2', 'F3']);
  t.same(s.layout(), { F1: ['V1'], T1: ['V3'], waiting: ['V2', 'V4', 'V5'], fault: [] });
  // Even the first car passes through the waiting area: queued, then called at the same instant.
  t.same(s.events.slice(0, 3).map((e) => e.type), ['queued', 'dispatched', 'sessionStarted']);
});

t.test('rule 1: numbers restart each station-local day; waiting order stays the issue order', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 30, at('23:00'));                          // charges until 00:00 next day
  const v2 = ofType(s.submit('V2', 'fast', 10, at('23:50')), 'queued')[0];
  const v3 = ofType(s.submit('V3', 'fast', 10, at('00:00', 1) - 1), 'queued')[0]; // last ms of day 0
  t.equal(v2?.queueNo, 'F2');
  t.equal(v3?.queueNo, 'F3');
  // V1 completes exactly at local midnight (16:00 UTC), before this request: V2 is called.
  const v4 = ofType(s.submit('V4', 'fast', 10, at('00:00', 1)), 'queued')[0];
  t.equal(v4?.queueNo, 'F1', 'a new local day starts again at F1');
  t.same(s.layout().F1, ['V2']);
  t.same(s.layout().waiting, ['V3', 'V4'], 'yesterday\'s F3 stays ahead of today\'s F1');
  s.advance(at('00:20', 1));
  t.same(s.layout().F1, ['V3'], 'F3 (issued first) is called before F1');
  const slow = ofType(s.submit('V5', 'slow', 1, at('00:21', 1)), 'queued')[0];
  t.equal(slow?.queueNo, 'T1', 'each mode has its own counter');
});

t.test('rule 1: a full waiting area refuses the request, even with a free pile of its mode, and stores nothing', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1, waitingAreaSize: 2 });
  s.submit('V1', 'slow', 10, at('06:00'));
  s.submit('V2', 'slow', 10, at('06:00'));
  s.submit('V3', 'slow', 10, at('06:00'));
  t.same(s.layout(), { F1: [], T1: ['V1'], waiting: ['V2', 'V3'], fault: [] });
  const error = s.refuse({ type: 'submit', orderId: 'V4', userId: 'u', carId: 'V4', mode: 'fast', energyWms: KWH }, at('06:01'));
  t.equal(error.code, 'WAITING_AREA_FULL');
  t.match(error.message, /waiting area is full/);
  s.do({ type: 'cancel', orderId: 'V2' }, at('06:02'));
  const events = s.submit('V4', 'fast', 1, at('06:02'));
  t.equal(ofType(events, 'queued')[0]?.queueNo, 'F1', 'the refused request used no number');
  t.same(s.layout().F1, ['V4']);
});

t.test('fine point: a car with an active request cannot apply again; once finished it can, with a new number', async (t) => {
  const s = new Station();
  s.submit('V1', 'slow', 1, at('06:00'));
  const error = s.refuse({ type: 'submit', orderId: 'V1.x', userId: 'u', carId: 'V1', mode: 'fast', energyWms: KWH }, at('06:01'));
  t.equal(error.code, 'CAR_HAS_ACTIVE_REQUEST');
  t.equal(s.refuse({ type: 'submit', orderId: 'V1', userId: 'u', carId: 'V9', mode: 'fast', energyWms: KWH }, at('06:01')).code,
    'ORDER_EXISTS');
  // 1 kWh at 10 kW takes 6 minutes: finished at 06:06, so a request at 06:06 is a new one.
  t.equal(ofType(s.submit('V1', 'slow', 1, at('06:06')), 'queued')[0]?.queueNo, 'T2');
  s.do({ type: 'cancel', orderId: s.orderId('V1') }, at('06:07'));
  t.equal(ofType(s.submit('V1', 'slow', 1, at('06:08')), 'queued')[0]?.queueNo, 'T3');
});

t.test('rule 2: the car goes to the pile where it finishes first, counting every car already queued there', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 1 });
  s.submit('V1', 'fast', 30, at('06:00')); // F1: 60 min
  s.submit('V2', 'fast', 20, at('06:00')); // F2: 40 min
  s.submit('V3', 'fast', 30, at('06:00')); // F1 60+60=120, F2 40+60=100 -> F2
  t.same(s.layout().F2, ['V2', 'V3']);
  // 1 kWh (2 min): F1 60+2 = 62, F2 40+60+2 = 102. Counting only F2's charging car (42) would pick F2.
  s.submit('V4', 'fast', 1, at('06:00'));
  t.same(s.layout().F1, ['V1', 'V4']);
  // Ten minutes on: F1 has 50+2 left, F2 30+60. A 15 kWh car (30 min): F1 82, F2 120.
  s.submit('V5', 'fast', 15, at('06:10'));
  t.same(s.layout().F1, ['V1', 'V4', 'V5']);
  // F1 is full now (M = 3): the next car can only go to F2.
  s.submit('V6', 'fast', 1, at('06:10'));
  t.same(s.layout().F2, ['V2', 'V3', 'V6']);
  const d = ofType(s.events, 'dispatched').find((e) => e.carId === 'V6');
  t.equal(d?.position, 3);
});

t.test('rule 2: ties go to the lower pile number', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 3 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00')); // F1 20+20 = F2 20+20
  s.submit('V4', 'slow', 5, at('06:00'));
  s.submit('V5', 'slow', 5, at('06:00'));
  t.same(s.layout(), { F1: ['V1', 'V3'], F2: ['V2'], T1: ['V4'], T2: ['V5'], T3: [], waiting: [], fault: [] });
});

t.test('rule 2: a freed place calls the earliest waiting car of that pile\'s mode, at once', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 1, at('06:00'));
  s.submit('V2', 'slow', 1, at('06:00'));
  s.submit('V3', 'slow', 1, at('06:00'));
  s.submit('V4', 'fast', 2, at('06:00'));
  s.submit('V5', 'fast', 1, at('06:00'));
  const events = s.advance(at('06:03'));
  // V1 (2 min) completes at 06:02 and V4, the earliest fast car, is called then; the slow cars wait for T1.
  t.same(events.map((e) => [e.type, 'carId' in e ? e.carId : '', e.at - at('06:00')]), [
    ['sessionEnded', 'V1', 2 * MIN],
    ['orderFinished', 'V1', 2 * MIN],
    ['dispatched', 'V4', 2 * MIN],
    ['sessionStarted', 'V4', 2 * MIN],
  ]);
  t.same(s.layout().waiting, ['V3', 'V5']);
});

t.test('rule 3: the head charges until its energy is in, then its session ends and the next car starts at once', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1 });
  s.submit('V1', 'fast', 7.5, at('06:00')); // 15 minutes
  s.submit('V2', 'fast', 1, at('06:01'));
  const events = s.advance(at('06:20'));
  const ended = ofType(events, 'sessionEnded');
  t.equal(ended.length, 2);
  t.match(ended[0], {
    carId: 'V1', sessionId: 'V1#1', pileNo: 'F1', reason: 'completed', startedAt: at('06:00'), endedAt: at('06:15'),
    durationMs: 15 * MIN, energyWms: 7.5 * KWH, powerW: 30_000,
    // valley 0.4 + service 0.8 yuan per kWh
    energyFeeFen: 300, serviceFeeFen: 600, feeFen: 900, remainingWms: 0,
  });
  t.match(ofType(events, 'sessionStarted')[0], { carId: 'V2', startedAt: at('06:15') });
  t.match(ended[1], { carId: 'V2', endedAt: at('06:17'), energyWms: KWH });
  t.same(ofType(events, 'orderFinished').map((e) => [e.carId, e.reason, e.deliveredWms]), [
    ['V1', 'completed', 7.5 * KWH], ['V2', 'completed', KWH]]);
});

t.test('rule 3: completion instants are whole ms (ceil) and deliver exactly the energy asked', async (t) => {
  const s = new Station({ slowPowerW: 7000 });
  const started = ofType(s.submit('V1', 'slow', 1, at('06:00')), 'sessionStarted')[0];
  t.equal(started?.expectedEndAt, at('06:00') + 514_286, '3.6e9 Wms / 7000 W = 514285.7 ms, rounded up');
  const ended = ofType(s.advance(at('07:00')), 'sessionEnded')[0];
  t.equal(ended?.endedAt, at('06:00') + 514_286);
  t.equal(ended?.energyWms, KWH);
});

t.test('rule 4: changing the amount in the waiting area keeps the number', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  const m = ofType(s.do({ type: 'modify', orderId: 'V2', energyWms: 25 * KWH }, at('06:05')), 'modified')[0];
  t.match(m, { queueNo: 'F2', previousQueueNo: 'F2', energyWms: 25 * KWH, previousEnergyWms: 10 * KWH, mode: 'fast' });
  t.same(s.layout().waiting, ['V2', 'V3']);
  t.equal(s.car('V2')?.requestedWms, 25 * KWH);
});

t.test('rule 4: changing the mode gives a new number at the tail of the other mode', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'slow', 10, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  s.submit('V4', 'slow', 10, at('06:00'));
  s.submit('V5', 'fast', 10, at('06:00'));
  const m = ofType(s.do({ type: 'modify', orderId: 'V3', mode: 'slow' }, at('06:01')), 'modified')[0];
  t.match(m, { queueNo: 'T3', previousQueueNo: 'F2', mode: 'slow', previousMode: 'fast', energyWms: 10 * KWH });
  t.same(s.layout().waiting, ['V4', 'V5', 'V3']);
  s.advance(at('07:00')); // T1 frees at 07:00 (10 kWh at 10 kW): V4 (T2) before V3 (T3)
  t.same(s.layout().T1, ['V4']);
});

t.test('fine point: a change to the current mode or the same amount keeps the number; a no-op change is accepted', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  const before = s.state.version;
  const events = s.do({ type: 'modify', orderId: 'V2', mode: 'fast', energyWms: 10 * KWH }, at('06:01'));
  t.match(ofType(events, 'modified')[0], { queueNo: 'F2', previousQueueNo: 'F2' });
  t.equal(s.state.version, before + 1);
  s.do({ type: 'modify', orderId: 'V2' }, at('06:02'));
  t.equal(s.car('V2')?.queueNo, 'F2');
});

t.test('rule 4: a change in the charging area is refused with an error that says to cancel', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  for (const orderId of ['V1', 'V2']) {
    const error = s.refuse({ type: 'modify', orderId, energyWms: 5 * KWH }, at('06:01'));
    t.equal(error.code, 'NOT_IN_WAITING_AREA');
    t.match(error.message, /cancel/);
  }
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:02'));
  t.same(s.layout().fault, ['V1', 'V2']);
  t.equal(s.refuse({ type: 'modify', orderId: 'V2', mode: 'slow' }, at('06:03')).code, 'NOT_IN_WAITING_AREA',
    'the fault queue is part of the charging area');
});

t.test('rule 4: cancelling works anywhere; cancelling while charging ends the session and bills what was delivered', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 2 });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  s.submit('V4', 'fast', 10, at('06:00'));
  t.same(s.layout(), { F1: ['V1', 'V2'], T1: [], waiting: ['V3', 'V4'], fault: [] });

  let events = s.do({ type: 'cancel', orderId: 'V4' }, at('06:01'));
  t.same(events.map((e) => e.type), ['orderFinished']);
  t.match(events[0], { reason: 'cancelled', place: 'waiting', deliveredWms: 0 });

  events = s.do({ type: 'cancel', orderId: 'V2' }, at('06:02'));
  t.same(s.layout().F1, ['V1', 'V3'], 'the freed place calls the next car');
  t.match(events[0], { type: 'orderFinished', place: 'pile', carId: 'V2' });

  events = s.do({ type: 'cancel', orderId: 'V1' }, at('06:10'));
  const ended = ofType(events, 'sessionEnded')[0];
  t.match(ended, { carId: 'V1', reason: 'cancelled', energyWms: 5 * KWH, durationMs: 10 * MIN, feeFen: 600, endedAt: at('06:10') });
  t.match(ofType(events, 'orderFinished')[0], { carId: 'V1', reason: 'cancelled', deliveredWms: 5 * KWH, feeFen: 600 });
  t.match(ofType(events, 'sessionStarted')[0], { carId: 'V3', startedAt: at('06:10') });

  s.submit('V5', 'fast', 10, at('06:11'));
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:12'));
  events = s.do({ type: 'cancel', orderId: 'V5' }, at('06:13'));
  t.match(events[0], { type: 'orderFinished', place: 'faultQueue', carId: 'V5' });
  t.same(s.layout().fault, ['V3']);
});

t.test('fine point: cancelling or changing an unknown or finished request is refused', async (t) => {
  const s = new Station();
  t.equal(s.refuse({ type: 'cancel', orderId: 'nope' }, at('06:00')).code, 'ORDER_NOT_FOUND');
  t.equal(s.refuse({ type: 'modify', orderId: 'nope', energyWms: KWH }, at('06:00')).code, 'ORDER_NOT_FOUND');
  s.submit('V1', 'fast', 1, at('06:00'));
  // Finished at 06:02; a cancel at that very instant comes after the completion (rule 7).
  t.equal(s.refuse({ type: 'cancel', orderId: 'V1' }, at('06:02')).code, 'ORDER_NOT_FOUND');
  t.equal(s.refuse({ type: 'modify', orderId: 'V1', energyWms: KWH }, at('06:03')).code, 'ORDER_NOT_FOUND');
});

t.test('fine point: after a change, calling runs', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'slow', 10, at('06:00'));
  s.submit('V2', 'slow', 10, at('06:00'));
  const events = s.do({ type: 'modify', orderId: 'V2', mode: 'fast' }, at('06:01'));
  t.same(events.map((e) => e.type), ['modified', 'dispatched', 'sessionStarted']);
  t.same(s.layout().F1, ['V2']);
});

t.test('bad requests are refused with clear codes and change nothing', async (t) => {
  const s = new Station({ slowPiles: 0 });
  const base = { type: 'submit' as const, orderId: 'o', userId: 'u', carId: 'c' };
  t.equal(s.refuse({ ...base, mode: 'fast', energyWms: 0 }, at('06:00')).code, 'BAD_ENERGY');
  t.equal(s.refuse({ ...base, mode: 'fast', energyWms: 1.5 }, at('06:00')).code, 'BAD_ENERGY');
  t.equal(s.refuse({ ...base, mode: 'fast', energyWms: -KWH }, at('06:00')).code, 'BAD_ENERGY');
  t.equal(s.refuse({ ...base, mode: 'turbo' as 'fast', energyWms: KWH }, at('06:00')).code, 'BAD_MODE');
  t.equal(s.refuse({ ...base, mode: 'slow', energyWms: KWH }, at('06:00')).code, 'NO_PILE_FOR_MODE');
  t.equal(s.refuse({ ...base, carId: '', mode: 'fast', energyWms: KWH }, at('06:00')).code, 'BAD_COMMAND');
  t.equal(s.refuse({ type: 'explode' } as never, at('06:00')).code, 'BAD_COMMAND');
  s.advance(at('06:00'));
  t.equal(s.refuse({ type: 'advance' }, at('05:59')).code, 'TIME_BEFORE_STATE');
  t.equal(s.refuse({ type: 'advance' }, 1.5).code, 'BAD_TIME');
});

t.test('rule 7: completions due at an instant come before a command at that instant, then calling', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1, waitingAreaSize: 1 });
  s.submit('V1', 'slow', 7, at('06:00')); // done at 06:42
  s.submit('V2', 'slow', 1, at('06:00'));
  t.equal(s.refuse({ type: 'submit', orderId: 'V3', userId: 'u', carId: 'V3', mode: 'slow', energyWms: KWH }, at('06:41')).code,
    'WAITING_AREA_FULL');
  const events = s.submit('V3', 'slow', 1, at('06:42'));
  t.same(events.map((e) => [e.type, 'carId' in e ? e.carId : '']), [
    ['sessionEnded', 'V1'], ['orderFinished', 'V1'], ['dispatched', 'V2'], ['sessionStarted', 'V2'], ['queued', 'V3'],
  ]);
  t.ok(events.every((e) => e.at === at('06:42')));
});

t.test('rule 7: advancing plays every due completion in time order, each at its own instant', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 1, at('06:00'));
  s.submit('V2', 'fast', 2, at('06:00'));
  s.submit('V3', 'fast', 3, at('06:00'));
  s.submit('V4', 'slow', 1, at('06:00'));
  const ends = ofType(s.advance(at('09:00')), 'sessionEnded').map((e) => [e.carId, (e.endedAt - at('06:00')) / MIN]);
  t.same(ends, [['V1', 2], ['V2', 6], ['V4', 6], ['V3', 12]]);
  t.equal(s.state.nowMs, at('09:00'));
});

t.test('an advance that changes nothing returns the same state and version', async (t) => {
  const st = createStation({}, at('06:00'));
  const r = applyCommand(st, { type: 'advance' }, at('06:00'));
  t.ok(r.ok && r.state === st && r.events.length === 0);
  const r2 = applyCommand(st, { type: 'advance' }, at('06:01'));
  t.ok(r2.ok && r2.state !== st && r2.state.version === st.version + 1 && st.nowMs === at('06:00'),
    'a later instant is a change; the old state object is untouched');
});

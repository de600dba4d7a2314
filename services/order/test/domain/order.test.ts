// The order aggregate without servers: transitions from events, duplicates, out-of-order delivery, the RPC answer
// racing its events, bill linking and the live view.
import t from 'tap';
import type { Bill, Envelope, MessagePayload, QueueEntryView, WalkUpSessionView } from '@voltq/contracts';
import { liveView } from '../../src/domain/live.js';
import {
  applyCancelAnswer,
  applyEvent,
  applyModifyAnswer,
  applyRequestAnswer,
  applyWalkUpStart,
  applyWalkUpStop,
  withPaymentId,
  isStale,
  toView,
  type OrderDoc,
  type OrderEventType,
} from '../../src/domain/order.js';

const KWH = 3_600_000_000;
const T0 = Date.parse('2025-01-01T06:00:00+08:00');
const MIN = 60_000;
const ids = { orderId: 'o1', userId: '7', stationId: 'default' };

let n = 0;
function ev<K extends OrderEventType>(type: K, payload: MessagePayload<K>, id = `e${++n}`): Envelope<K> {
  return { id, type, occurredAt: new Date(T0).toISOString(), correlationId: 'c', payload } as Envelope<K>;
}

const queued = (at = T0, kwh = 30) =>
  ev('order.queued', { ...ids, mode: 'fast', energyWms: kwh * KWH, queueNo: 'F1', seq: 1, queuedAt: at });
const dispatched = (at: number, pileNo = 'F1') =>
  ev('order.dispatched', { ...ids, queueNo: 'F1', pileNo, place: 0, dispatchedAt: at });
const started = (sessionId: string, at: number, pileNo = 'F1') =>
  ev('session.started', {
    ...ids, sessionId, pileNo, queueNo: 'F1', mode: 'fast', powerW: 30_000, targetEnergyWms: 30 * KWH, startedAt: at,
  });
const ended = (sessionId: string, startedAt: number, endedAt: number, reason: 'completed' | 'fault' | 'cancelled' = 'completed', pileNo = 'F1') =>
  ev('session.ended', {
    ...ids, sessionId, pileNo, queueNo: 'F1', mode: 'fast', startedAt, endedAt,
    energyWms: 30_000 * (endedAt - startedAt), powerW: 30_000, reason,
  });
const requeued = (at: number) =>
  ev('order.requeued', { ...ids, queueNo: 'F1', fromPileNo: 'F1', remainingEnergyWms: 10 * KWH, reason: 'fault', requeuedAt: at });
const finished = (at: number) => ev('order.finished', { ...ids, queueNo: 'F1', energyWms: 30 * KWH, finishedAt: at });
const cancelled = (at: number, sessionId?: string) =>
  ev('order.cancelled', { ...ids, queueNo: 'F1', cancelledAt: at, ...(sessionId ? { sessionId } : {}) });

function bill(sessionId: string, billId: string, startedAt: number, endedAt: number, tiers: Bill['tiers'], pileNo = 'F1'): Envelope<'bill.created'> {
  const energyWms = tiers.reduce((a, x) => a + x.energyWms, 0);
  const energyFeeFen = tiers.reduce((a, x) => a + x.energyFeeFen, 0);
  const serviceFeeFen = Math.round((energyWms / KWH) * 80);
  return ev('bill.created', {
    billId, billNo: `B${billId}`, createdAt: endedAt, ...ids, sessionId, pileNo, queueNo: 'F1', powerW: 30_000,
    energyWms, durationMs: endedAt - startedAt, startedAt, endedAt, energyFeeFen, serviceFeeFen,
    totalFen: energyFeeFen + serviceFeeFen, tiers,
  });
}

/** Applies events in order; a duplicate leaves the document as it was. */
function play(events: Envelope<OrderEventType>[], start?: OrderDoc): OrderDoc {
  let doc = start;
  for (const e of events) doc = applyEvent(doc, e, e.type === 'bill.created' ? e.payload.createdAt : T0) ?? doc;
  return doc!;
}

function stateOf(doc: OrderDoc) {
  const v = toView(doc);
  return { state: v.state, pileNo: v.pileNo, sessionId: v.sessionId };
}

t.test('the normal flow: queued, dispatched, charging, finished, billed', async (t) => {
  const s1 = 'o1#1';
  const events = [
    queued(),
    dispatched(T0 + MIN),
    started(s1, T0 + MIN),
    ended(s1, T0 + MIN, T0 + 61 * MIN),
    finished(T0 + 61 * MIN),
    bill(s1, 'b1', T0 + MIN, T0 + 61 * MIN, [
      { tier: 'valley', energyWms: 29.5 * KWH, energyFeeFen: 1180 },
      { tier: 'flat', energyWms: 0.5 * KWH, energyFeeFen: 35 },
    ]),
  ];
  let doc: OrderDoc | undefined;
  const seen: string[] = [];
  for (const e of events) {
    doc = applyEvent(doc, e, T0)!;
    seen.push(doc.state);
  }
  t.same(seen, ['waiting', 'dispatched', 'charging', 'charging', 'finished', 'finished']);
  const v = toView(doc!);
  t.equal(v.queueNo, 'F1');
  t.equal(v.pileNo, 'F1', 'a finished order still shows the pile it charged on');
  t.equal(v.requestChargedWms, 30 * KWH);
  t.equal(v.chargingMs, 60 * MIN);
  t.equal(v.energyFeeFen, 1215);
  t.equal(v.serviceFeeFen, 2400);
  t.equal(v.requestFeeFen, 3615);
  t.same(v.billIds, ['b1']);
  t.same(v.tiers.map((x) => x.tier), ['valley', 'flat']);
  t.equal(v.startedAt, T0 + MIN);
  t.equal(v.endedAt, T0 + 61 * MIN);
  t.equal(v.stopReason, 'completed');
});

t.test('a redelivered event changes nothing, whenever it comes back', async (t) => {
  const q = queued();
  const d = dispatched(T0 + MIN);
  const s = started('o1#1', T0 + MIN);
  const b = bill('o1#1', 'b1', T0 + MIN, T0 + 2 * MIN, [{ tier: 'valley', energyWms: KWH, energyFeeFen: 40 }]);
  const doc = play([q, d, s, b]);
  t.equal(applyEvent(doc, q, T0 + 5 * MIN), undefined, 'an applied id is a no-op');
  t.equal(applyEvent(doc, b, T0 + 5 * MIN), undefined);
  // the same events under other envelope ids (re-published) add nothing: nothing to write
  t.equal(applyEvent(doc, { ...b, id: 'other' }, T0 + 5 * MIN), undefined);
  t.equal(applyEvent(doc, { ...s, id: 'other2' }, T0 + 5 * MIN), undefined);
  t.equal(toView(doc).requestFeeFen, 120);
  t.same(toView(doc).billIds, ['b1']);
  t.equal(stateOf(doc).state, 'charging');
});

t.test('out of order: a late earlier event fills facts but never moves the state back', async (t) => {
  const s1 = 'o1#1';
  // the session start arrives before the queued and dispatched events
  const doc = play([started(s1, T0 + MIN), queued(), dispatched(T0 + MIN)]);
  t.same(stateOf(doc), { state: 'charging', pileNo: 'F1', sessionId: s1 });
  t.equal(toView(doc).energyWms, 30 * KWH, 'the late order.queued still supplies the requested energy');
  t.equal(toView(doc).mode, 'fast');

  // finished before the session's end and before the session even started
  const doc2 = play([finished(T0 + 61 * MIN), started(s1, T0 + MIN), queued(), ended(s1, T0 + MIN, T0 + 61 * MIN)]);
  t.equal(doc2.state, 'finished', 'finished is final');
  t.equal(toView(doc2).requestChargedWms, 30 * KWH);
  t.equal(toView(doc2).sessionId, undefined);

  // a cancel is final too: a stale dispatch afterwards does nothing
  const doc3 = play([queued(), cancelled(T0 + 2 * MIN), dispatched(T0 + MIN)]);
  t.equal(doc3.state, 'cancelled');
  t.equal(toView(doc3).pileNo, undefined);
});

t.test('a fault at the instant charging started, then re-queue and a new session at one instant', async (t) => {
  const s1 = 'o1#1';
  const s2 = 'o1#2';
  const t1 = T0 + 10 * MIN;
  // session 1 starts and ends (fault) at t1, the car is re-queued, dispatched to F2 and charges again, all at t1
  const flow = [queued(), dispatched(t1), started(s1, t1), ended(s1, t1, t1, 'fault'), requeued(t1), dispatched(t1, 'F2'), started(s2, t1, 'F2')];
  t.same(stateOf(play(flow)), { state: 'charging', pileNo: 'F2', sessionId: s2 });
  // any arrival order ends in the same place
  const orders = [
    [6, 5, 4, 3, 2, 1, 0],
    [0, 2, 3, 1, 6, 4, 5],
    [3, 0, 1, 2, 5, 6, 4],
  ];
  for (const o of orders) {
    const shuffled = o.map((i) => flow[i]!) as Envelope<OrderEventType>[];
    t.same(stateOf(play(shuffled)), { state: 'charging', pileNo: 'F2', sessionId: s2 }, `order ${o.join(',')}`);
  }
  // only re-queued (no new pile yet): fault-queued, no pile
  t.same(stateOf(play(flow.slice(0, 5))), { state: 'fault-queued', pileNo: undefined, sessionId: undefined });
  // the session's end arriving last still lets the re-queue win over its start
  t.same(stateOf(play([queued(), dispatched(t1), started(s1, t1), requeued(t1), ended(s1, t1, t1, 'fault')])).state, 'fault-queued');
});

t.test('a session end arriving before its start: the session is not running, what follows decides', async (t) => {
  const s1 = 'o1#1';
  const flow = [queued(), dispatched(T0 + MIN), ended(s1, T0 + MIN, T0 + 5 * MIN, 'fault'), started(s1, T0 + MIN), requeued(T0 + 5 * MIN)];
  const before = play(flow.slice(0, 4));
  t.equal(toView(before).sessionId, undefined, 'an ended session is never the running one');
  t.equal(before.sessions.length, 1);
  t.equal(toView(before).requestChargedWms, 30_000 * 4 * MIN);
  for (const o of [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1]]) {
    t.same(stateOf(play(o.map((i) => flow[i]!) as Envelope<OrderEventType>[])), { state: 'fault-queued', pileNo: undefined, sessionId: undefined });
  }
});

t.test('the RPC answer and its events race: whichever is stored first, the result is the same', async (t) => {
  const req = { orderId: 'o1', orderNo: '20250101000001', userId: '7', stationId: 'default', mode: 'fast' as const, energyWms: 30 * KWH, createdAt: T0 };
  const answer: QueueEntryView = {
    orderId: 'o1', userId: '7', queueNo: 'F1', mode: 'fast', energyWms: 30 * KWH, sessionChargedWms: 0, sessionFeeFen: 0, requestChargedWms: 0,
    requestFeeFen: 0, remainingWms: 30 * KWH, state: 'waiting', carsAhead: 2, createdAt: T0,
  };
  const answerFirst = play([queued(), dispatched(T0 + MIN)], applyRequestAnswer(undefined, req, answer, T0));
  const eventsFirst = applyRequestAnswer(play([queued(), dispatched(T0 + MIN)]), req, answer, T0 + 2 * MIN);
  for (const doc of [answerFirst, eventsFirst]) {
    t.same(stateOf(doc), { state: 'dispatched', pileNo: 'F1', sessionId: undefined });
    t.equal(doc.orderNo, '20250101000001');
    t.equal(doc.createdAt, T0);
  }
  const fresh = applyRequestAnswer(undefined, req, answer, T0);
  t.equal(fresh.state, 'waiting');
  t.equal(toView(fresh).queueNo, 'F1');
});

t.test('modify and cancel answers', async (t) => {
  const doc = play([queued()]);
  const answer: QueueEntryView = {
    orderId: 'o1', userId: '7', queueNo: 'T1', mode: 'slow', energyWms: 10 * KWH, sessionChargedWms: 0, sessionFeeFen: 0, requestChargedWms: 0,
    requestFeeFen: 0, remainingWms: 10 * KWH, state: 'waiting', carsAhead: 0, createdAt: T0,
  };
  const modified = applyModifyAnswer(doc, answer, T0 + MIN);
  t.match(toView(modified), { mode: 'slow', energyWms: 10 * KWH, queueNo: 'T1', state: 'waiting' });
  // the older queued event redelivered under a new id does not undo the change
  const replay = applyEvent(modified, { ...queued(), id: 'late' }, T0 + 2 * MIN) ?? modified;
  t.match(toView(replay), { mode: 'slow', queueNo: 'T1' });

  const c = applyCancelAnswer(play([queued(), dispatched(T0), started('o1#1', T0)]), { sessionId: 'o1#1' }, 'user', T0 + MIN);
  t.match(toView(c), { state: 'cancelled', stoppedSessionId: 'o1#1', endedAt: T0 + MIN });
  t.equal(toView(c).sessionId, undefined);
  // the session end and bill arriving afterwards are recorded without reviving the order
  const after = play([ended('o1#1', T0, T0 + MIN, 'cancelled'), bill('o1#1', 'b9', T0, T0 + MIN, [{ tier: 'valley', energyWms: KWH / 2, energyFeeFen: 20 }])], c);
  t.match(toView(after), { state: 'cancelled', billIds: ['b9'], requestChargedWms: KWH / 2, requestFeeFen: 60 });
});

t.test('several sessions: totals and the per-tier split add up over the bills', async (t) => {
  const t1 = T0 + 50 * MIN;
  const doc = play([
    queued(),
    started('o1#1', T0),
    ended('o1#1', T0, t1, 'fault'),
    bill('o1#1', 'b1', T0, t1, [{ tier: 'valley', energyWms: 25 * KWH, energyFeeFen: 1000 }]),
    requeued(t1),
    started('o1#2', t1 + MIN, 'F2'),
    bill('o1#2', 'b2', t1 + MIN, t1 + 21 * MIN, [
      { tier: 'valley', energyWms: 5 * KWH, energyFeeFen: 200 },
      { tier: 'flat', energyWms: 5 * KWH, energyFeeFen: 350 },
    ], 'F2'),
    finished(t1 + 21 * MIN),
  ]);
  const v = toView(doc);
  t.equal(v.state, 'finished');
  t.same(v.billIds, ['b1', 'b2']);
  t.same(v.tiers, [
    { tier: 'valley', energyWms: 30 * KWH, energyFeeFen: 1200 },
    { tier: 'flat', energyWms: 5 * KWH, energyFeeFen: 350 },
  ]);
  t.equal(v.energyFeeFen, 1550);
  t.equal(v.requestChargedWms, 35 * KWH, 'the bill fills in a session whose end event has not arrived');
  t.equal(v.sessions.length, 2);
});

t.test('the live view takes the scheduler figures', async (t) => {
  const doc = play([queued(), dispatched(T0), started('o1#1', T0)]);
  const position: QueueEntryView = {
    orderId: 'o1', userId: '7', queueNo: 'F1', mode: 'fast', energyWms: 30 * KWH, sessionChargedWms: 5 * KWH, sessionFeeFen: 600,
    requestChargedWms: 5 * KWH, requestFeeFen: 600, remainingWms: 25 * KWH, state: 'charging', pileNo: 'F1', carsAhead: 0,
    sessionId: 'o1#1', createdAt: T0,
  };
  t.match(liveView(doc, position), { state: 'charging', position: 0, requestChargedWms: 5 * KWH, requestFeeFen: 600, pileNo: 'F1', sessionId: 'o1#1' });
  t.match(liveView(doc, undefined), { state: 'charging', requestChargedWms: 0, requestFeeFen: 0 });
});

// orderSeq as the scheduler stamps it: station version * 2^20 + the event's index in that write
const SPAN = 2 ** 20;
const seqAt = (version: number, index = 0) => version * SPAN + index;
const modifiedTo = (kwh: number, orderSeq: number, at = T0) =>
  ev('order.modified', { ...ids, mode: 'fast', energyWms: kwh * KWH, queueNo: 'F1', previousQueueNo: 'F1', modifiedAt: at, orderSeq });
const modifyAnswer = (kwh: number, orderSeq: number): QueueEntryView => ({
  orderId: 'o1', userId: '7', queueNo: 'F1', mode: 'fast', energyWms: kwh * KWH, sessionChargedWms: 0, sessionFeeFen: 0,
  requestChargedWms: 0, requestFeeFen: 0, remainingWms: kwh * KWH, state: 'waiting', carsAhead: 0, createdAt: T0, orderSeq,
});

t.test('two changes of one order at one instant, applied out of order: the newer amount stays (orderSeq)', async (t) => {
  const q = ev('order.queued', { ...ids, mode: 'fast', energyWms: 30 * KWH, queueNo: 'F1', seq: 1, queuedAt: T0, orderSeq: seqAt(1) });
  const toTen = modifiedTo(10, seqAt(2)); // the first change (station version 2)
  const toTwenty = modifiedTo(20, seqAt(3)); // the second one, the same millisecond (version 3)

  const late = play([q, toTwenty, toTen]);
  t.equal(toView(late).energyWms, 20 * KWH, 'the older change arriving last does not overwrite the newer one');
  t.ok(isStale(play([q, toTwenty]), toTen), 'it is recognised as stale');
  t.equal(applyEvent(play([q, toTwenty]), toTen, T0), undefined, 'and, adding nothing, it is dropped');
  t.equal(toView(play([q, toTen, toTwenty])).energyWms, 20 * KWH, 'in order: the same');

  // the modify answers race the events: an answer is newer than its own write's events, older than the next write
  const answerTen = (doc: OrderDoc) => applyModifyAnswer(doc, modifyAnswer(10, seqAt(2, SPAN - 1)), T0);
  const answerTwenty = (doc: OrderDoc) => applyModifyAnswer(doc, modifyAnswer(20, seqAt(3, SPAN - 1)), T0);
  t.equal(toView(answerTen(play([q, toTwenty]))).energyWms, 20 * KWH, 'the first answer after the second event');
  t.equal(toView(answerTen(answerTwenty(play([q])))).energyWms, 20 * KWH, 'the first answer after the second answer');
  t.equal(toView(play([toTen], answerTwenty(play([q])))).energyWms, 20 * KWH, 'the first event after the second answer');

  // any arrival order of both events and both answers
  const { default: fc } = await import('fast-check');
  type Step = (doc: OrderDoc) => OrderDoc;
  const steps: Step[] = [
    (d) => play([toTen], d),
    (d) => play([toTwenty], d),
    answerTen,
    answerTwenty,
  ];
  fc.assert(
    fc.property(fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 }), (order) => {
      const doc = order.reduce((d, i) => steps[i]!(d), play([q]));
      return toView(doc).energyWms === 20 * KWH;
    }),
  );
});

t.test('a re-dispatch at the instant of the first dispatch: the later write decides the pile (orderSeq)', async (t) => {
  const t1 = T0 + MIN;
  const q = ev('order.queued', { ...ids, mode: 'fast', energyWms: 30 * KWH, queueNo: 'F1', seq: 1, queuedAt: T0, orderSeq: seqAt(1) });
  const toF1 = ev('order.dispatched', { ...ids, queueNo: 'F1', pileNo: 'F1', place: 1, dispatchedAt: t1, orderSeq: seqAt(2) });
  // F1 faults at the same instant: the car goes back to the fault queue and on to F2, in one write
  const back = ev('order.requeued', { ...ids, queueNo: 'F1', fromPileNo: 'F1', remainingEnergyWms: 30 * KWH, reason: 'fault', requeuedAt: t1, orderSeq: seqAt(3, 0) });
  const toF2 = ev('order.dispatched', { ...ids, queueNo: 'F1', pileNo: 'F2', place: 1, dispatchedAt: t1, orderSeq: seqAt(3, 1) });
  for (const order of [[q, toF1, back, toF2], [q, back, toF2, toF1], [toF2, back, toF1, q]]) {
    t.match(stateOf(play(order)), { state: 'dispatched', pileNo: 'F2' });
  }
});

t.test('property: any arrival order, with duplicates, ends where in-order delivery ends', async (t) => {
  const { default: fc } = await import('fast-check');
  const t1 = T0 + 10 * MIN;
  const t2 = T0 + 40 * MIN;
  const flows: Record<string, Envelope<OrderEventType>[]> = {
    'finished after a fault and a second session': [
      queued(), dispatched(T0), started('o1#1', T0), ended('o1#1', T0, t1, 'fault'), requeued(t1), dispatched(t1, 'F2'),
      started('o1#2', t1, 'F2'), ended('o1#2', t1, t2, 'completed', 'F2'), finished(t2),
      bill('o1#1', 'b1', T0, t1, [{ tier: 'valley', energyWms: 5 * KWH, energyFeeFen: 200 }]),
      bill('o1#2', 'b2', t1, t2, [{ tier: 'valley', energyWms: 15 * KWH, energyFeeFen: 600 }], 'F2'),
    ],
    'charging again after a same-instant re-dispatch': [
      queued(), dispatched(t1), started('o1#1', t1), ended('o1#1', t1, t1, 'fault'), requeued(t1), dispatched(t1, 'F2'),
      started('o1#2', t1, 'F2'),
    ],
    'waiting behind a car on a pile': [queued(), dispatched(t1, 'F2')],
    'cancelled while charging': [queued(), dispatched(T0), started('o1#1', T0), ended('o1#1', T0, t1, 'cancelled'), cancelled(t1, 'o1#1')],
  };
  // the same flows as the scheduler stamps them now: every scheduler event with a growing orderSeq
  const stamp = (flow: Envelope<OrderEventType>[]) =>
    flow.map((e, i) => (e.type === 'bill.created' ? e : { ...e, payload: { ...e.payload, orderSeq: seqAt(i + 1) } }) as Envelope<OrderEventType>);
  for (const [name, flow] of Object.entries(flows)) {
    flows[`${name} (with orderSeq)`] = stamp(flow);
    const { updatedAt: _a, ...plain } = toView(play(flow));
    const { updatedAt: _b, ...stamped } = toView(play(stamp(flow)));
    t.same(stamped, plain, `${name}: in order, orderSeq changes nothing`);
  }
  for (const [name, flow] of Object.entries(flows)) {
    const expected = toView(play(flow));
    fc.assert(
      fc.property(fc.shuffledSubarray(flow.map((_, i) => i), { minLength: flow.length }), fc.array(fc.nat(flow.length - 1), { maxLength: 4 }), (order, dups) => {
        const delivered = [...order, ...dups].map((i) => flow[i]!);
        const v = toView(play(delivered));
        const pick = (x: typeof v) => ({ state: x.state, pileNo: x.pileNo, sessionId: x.sessionId, requestChargedWms: x.requestChargedWms, requestFeeFen: x.requestFeeFen, billIds: x.billIds, queueNo: x.queueNo, energyWms: x.energyWms });
        return JSON.stringify(pick(v)) === JSON.stringify(pick(expected));
      }),
      { numRuns: 60 },
    );
    t.pass(`${name}: every order and duplicate set agrees`);
  }
});

t.test('a start the pile never confirmed stays in the order\'s history', async (t) => {
  const doc = play([
    queued(),
    dispatched(T0 + MIN),
    ev('order.requeued', {
      ...ids, queueNo: 'F1', fromPileNo: 'F1', remainingEnergyWms: 30 * KWH, reason: 'start-failed',
      detail: 'the pile did not reconnect within 60 s to take the start command', requeuedAt: T0 + 2 * MIN,
    }),
  ]);
  const view = toView(doc);
  t.equal(view.state, 'fault-queued');
  t.same(view.requeues, [{
    atMs: T0 + 2 * MIN, fromPileNo: 'F1', reason: 'start-failed', detail: 'the pile did not reconnect within 60 s to take the start command',
  }]);
  t.same(view.sessions, [], 'no session, no bill');
  t.same(view.billIds, []);
});

// ---- walk-up orders (document 004) ----
const wu = { orderId: 'w1', userId: '8', stationId: 'walk' };
const wuFacts = { kind: 'walk-up' as const, deviceId: 'dev-1', pileId: 'walk-P1', portNo: 2, chargingMode: 2 as const, paymentMethod: 3 as const, limitFeeFen: 2000 };
const wuStarted = (over: Partial<MessagePayload<'session.started'>> = {}) =>
  ev('session.started', { ...wu, sessionId: 'w1-s', pileNo: 'P1', queueNo: '', mode: 'fast', powerW: 7000, targetEnergyWms: 0, startedAt: T0, ...wuFacts, origin: 'app', orderNo: '20250101000007', ...over });
const wuEnded = (over: Partial<MessagePayload<'session.ended'>> = {}) =>
  ev('session.ended', { ...wu, sessionId: 'w1-s', pileNo: 'P1', queueNo: '', mode: 'fast', startedAt: T0, endedAt: T0 + 30 * MIN, energyWms: 3 * KWH, powerW: 7000, reason: 'stopped', ...wuFacts, origin: 'app', orderNo: '20250101000007', stopReason: 5, ...over });
const wuBill = (paidFen: number, owedFen: number) =>
  ev('bill.created', {
    billId: 'wb1', billNo: 'Bwb1', createdAt: T0 + 30 * MIN, ...wu, sessionId: 'w1-s', pileNo: 'P1', queueNo: '', powerW: 7000, energyWms: 3 * KWH,
    durationMs: 30 * MIN, startedAt: T0, endedAt: T0 + 30 * MIN, energyFeeFen: 1500, serviceFeeFen: 500, totalFen: 2000, tiers: [{ tier: 'valley', energyWms: 3 * KWH, energyFeeFen: 1500 }],
    paymentMethod: 3, paidFen, owedFen,
  });
const wuAnswer = (over: Partial<WalkUpSessionView> = {}): WalkUpSessionView => ({
  sessionId: 'w1-s', orderId: 'w1', userId: '8', stationId: 'walk', deviceId: 'dev-1', pileId: 'walk-P1', pileNo: 'P1', portNo: 2, origin: 'app',
  chargingMode: 2, paymentMethod: 3, limitFeeFen: 2000, tariffId: 'default', state: 'charging', startedAt: T0, energyWms: 0, energyFeeFen: 0,
  serviceFeeFen: 0, totalFeeFen: 0, durationMs: 0, powerW: 7000, voltageV: 220, currentA: 32, updatedAt: T0, ...over,
});
const wuRequest = {
  orderId: 'w1', orderNo: '20250101000007', userId: '8', stationId: 'walk', deviceId: 'dev-1', pileId: 'walk-P1', portNo: 2, mode: 'fast' as const,
  chargingMode: 2 as const, limitFeeFen: 2000, paymentMethod: 3 as const, createdAt: T0 - 1000, fingerprint: 'fp',
};

t.test('a walk-up order known only from its events (a card session): charging, then finished by its end, then billed', async (t) => {
  const card = { origin: 'card' as const, orderNo: undefined, cardId: 'CARD0001' };
  const s = wuStarted(card);
  delete (s.payload as { orderNo?: string }).orderNo;
  let doc = applyEvent(undefined, s, T0)!;
  t.match(toView(doc), { state: 'charging', kind: 'walk-up', origin: 'card', deviceId: 'dev-1', pileId: 'walk-P1', portNo: 2, paymentMethod: 3, sessionId: 'w1-s', paymentStatus: 0, paidFen: 0, owedFen: 0 });
  t.equal(doc.orderNo, undefined, 'no number from the event: the handler draws one');
  doc = applyEvent(doc, wuEnded({ origin: 'card' }), T0)!;
  t.match(toView(doc), { state: 'finished', stopReasonCode: 5, requestChargedWms: 3 * KWH, chargingMs: 30 * MIN, endedAt: T0 + 30 * MIN, stopReason: 'stopped' });
  t.equal(toView(doc).sessionId, undefined);
  doc = applyEvent(doc, wuBill(1200, 800), T0)!;
  t.match(toView(doc), { paidFen: 1200, owedFen: 800, paymentStatus: 0, requestFeeFen: 2000, billIds: ['wb1'] });
  const paid = applyEvent(applyEvent(undefined, s, T0)!, wuBill(2000, 0), T0)!;
  t.match(toView(paid), { paidFen: 2000, owedFen: 0, paymentStatus: 1 }, 'paid in full');
});

t.test("the create's answer and the session's events agree in either order; the end wins over the start", async (t) => {
  const answerFirst = play([wuStarted(), wuEnded()], applyWalkUpStart(undefined, wuRequest, wuAnswer(), T0));
  const eventsFirst = applyWalkUpStart(play([wuStarted(), wuEnded()]), wuRequest, wuAnswer(), T0);
  for (const doc of [answerFirst, eventsFirst]) {
    t.match(toView(doc), { state: 'finished', orderNo: '20250101000007', kind: 'walk-up', limitFeeFen: 2000, chargingMode: 2, stopReasonCode: 5, requestChargedWms: 3 * KWH, endedAt: T0 + 30 * MIN });
    t.equal(doc.sessions.length, 1, 'one session');
  }
  t.equal(answerFirst.createdAt, T0 - 1000);
  t.equal(toView(queuedOnly()).kind, undefined, 'a queue order shows no walk-up fields');
});

function queuedOnly(): OrderDoc {
  return applyEvent(undefined, queued(), T0)!;
}

t.test("a stop's answer: stopping keeps it charging, ended finishes it with the scheduler's figures", async (t) => {
  const doc = applyWalkUpStart(undefined, wuRequest, wuAnswer(), T0);
  t.match(toView(applyWalkUpStop(doc, wuAnswer({ state: 'stopping', energyWms: KWH }), T0)), { state: 'charging' });
  const ended = applyWalkUpStop(doc, wuAnswer({ state: 'ended', endedAt: T0 + 10 * MIN, energyWms: KWH, stopReason: 1 }), T0);
  t.match(toView(ended), { state: 'finished', endedAt: T0 + 10 * MIN, requestChargedWms: KWH, stopReasonCode: 1, chargingMs: 10 * MIN });
  // the session.ended that follows says the final figures: the first word on the session is kept, the order stays finished
  t.match(toView(play([wuEnded({ endedAt: T0 + 10 * MIN, energyWms: KWH, stopReason: 1 })], ended)), { state: 'finished', endedAt: T0 + 10 * MIN });
  t.equal(withPaymentId(doc, 'R1', T0).paymentId, 'R1');
  t.equal(toView(withPaymentId(doc, 'R1', T0)).paymentId, 'R1');
});

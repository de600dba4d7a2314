// The order service over the real bus, with the test playing the scheduler (its RPC, from the test's own bus)
// and billing: requests and refusals, events (duplicated, out of order, racing the RPC answer), per-user reads,
// modify/cancel forwarding and the live request.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { MessagePayload, MessageType, OrderView, QueueEntryView, RpcParams } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { orderIdFor } from '../src/domain/ids.js';
import { startHarness } from './support/harness.js';

const KWH = 3_600_000_000;
const T0 = Date.parse('2025-03-01T06:00:00+08:00');
const MIN = 60_000;

const h = await startHarness();
t.teardown(() => h.close());

// ---- the fake scheduler ----
type Submit = RpcParams<'scheduler.submit'>;
let onSubmit: (p: Submit) => Promise<QueueEntryView> = async (p) => entry(p);
let onModify: (p: RpcParams<'scheduler.modify'>) => Promise<QueueEntryView> = async () => {
  throw new DomainError('NOT_MODIFIABLE', 'on a pile: cancel instead');
};
const positions = new Map<string, QueueEntryView>();
const cancels: string[] = [];
let seq = 0;
function entry(p: Submit, over: Partial<QueueEntryView> = {}): QueueEntryView {
  return {
    orderId: p.orderId, userId: p.userId, queueNo: `${p.mode === 'fast' ? 'F' : 'T'}${++seq}`, mode: p.mode, energyWms: p.energyWms,
    sessionChargedWms: 0, sessionFeeFen: 0, requestChargedWms: 0, requestFeeFen: 0, remainingWms: p.energyWms, state: 'waiting', carsAhead: 1, createdAt: T0,
    ...over,
  };
}
await h.bus.serve('scheduler.submit', (p) => onSubmit(p));
await h.bus.serve('scheduler.modify', (p) => onModify(p));
await h.bus.serve('scheduler.cancel', async (p) => {
  cancels.push(p.orderId);
  return { orderId: p.orderId, state: 'cancelled' as const, sessionId: `${p.orderId}#1` };
});
// ---- the fake auth: the cars of each user ----
const cars = new Map<string, string[]>([['21', ['car-21a', 'car-21b']], ['22', ['car-22']]]);
await h.bus.serve('auth.getCar', async (p) => {
  if (!cars.get(p.userId)?.includes(p.carId)) throw new DomainError('NOT_FOUND', `car ${p.carId} not found`, { resource: 'car' });
  return { carId: p.carId, plate: p.carId };
});
await h.bus.serve('scheduler.position', async (p) => {
  const pos = positions.get(p.orderId);
  if (!pos) throw new DomainError('NOT_FOUND', 'unknown request');
  return pos;
});

// ---- helpers ----
const request = (userId: string, mode: 'fast' | 'slow' = 'fast', kwh = 30) =>
  h.bus.call('order.request', { userId, stationId: 'default', mode, energyWms: kwh * KWH });
const get = (orderId: string, userId?: string) => h.bus.call('order.get', userId ? { orderId, userId } : { orderId });

async function until(orderId: string, ok: (v: OrderView) => boolean, what: string, timeoutMs = 5000): Promise<OrderView> {
  const deadline = Date.now() + timeoutMs;
  let last: OrderView | undefined;
  for (;;) {
    last = await get(orderId).catch(() => undefined);
    if (last && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`order ${orderId} never became ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

interface Ev { type: MessageType; payload: unknown; id: string }
const ev = <K extends MessageType>(type: K, payload: MessagePayload<K>): Ev => ({ type, payload, id: randomUUID() });
const publish = (e: Ev, id = e.id) => h.bus.publish(e.type, e.payload as never, { id });

function flow(orderId: string, userId: string, queueNo: string) {
  const base = { orderId, userId, stationId: 'default' };
  const s1 = `${orderId}#1`;
  const s2 = `${orderId}#2`;
  const t1 = T0 + 10 * MIN; // 06:10: fault on F1 after 5 kWh
  const t2 = T0 + 60 * MIN; // 07:00
  const t3 = T0 + 70 * MIN; // 07:10: done on F2 after 25 kWh more (20 valley + 5 flat)
  const bill = (sessionId: string, billId: string, pileNo: string, startedAt: number, endedAt: number, tiers: { tier: string; energyWms: number; energyFeeFen: number }[]) => {
    const energyWms = tiers.reduce((a, x) => a + x.energyWms, 0);
    const energyFeeFen = tiers.reduce((a, x) => a + x.energyFeeFen, 0);
    const serviceFeeFen = (energyWms / KWH) * 80;
    return ev('bill.created', {
      billId, billNo: `B${billId}`, createdAt: endedAt, ...base, sessionId, pileNo, queueNo, powerW: 30_000, energyWms,
      durationMs: endedAt - startedAt, startedAt, endedAt, energyFeeFen, serviceFeeFen, totalFen: energyFeeFen + serviceFeeFen, tiers,
    });
  };
  return [
    ev('order.queued', { ...base, mode: 'fast', energyWms: 30 * KWH, queueNo, seq: 1, queuedAt: T0 }),
    ev('order.dispatched', { ...base, queueNo, pileNo: 'F1', place: 0, dispatchedAt: T0 }),
    ev('session.started', { ...base, sessionId: s1, pileNo: 'F1', queueNo, mode: 'fast', powerW: 30_000, targetEnergyWms: 30 * KWH, startedAt: T0 }),
    ev('session.ended', { ...base, sessionId: s1, pileNo: 'F1', queueNo, startedAt: T0, endedAt: t1, energyWms: 5 * KWH, powerW: 30_000, reason: 'fault' }),
    ev('order.requeued', { ...base, queueNo, fromPileNo: 'F1', remainingEnergyWms: 25 * KWH, reason: 'fault', requeuedAt: t1 }),
    ev('order.dispatched', { ...base, queueNo, pileNo: 'F2', place: 0, dispatchedAt: t1 }),
    ev('session.started', { ...base, sessionId: s2, pileNo: 'F2', queueNo, mode: 'fast', powerW: 30_000, targetEnergyWms: 25 * KWH, startedAt: t1 }),
    ev('session.ended', { ...base, sessionId: s2, pileNo: 'F2', queueNo, startedAt: t1, endedAt: t3, energyWms: 25 * KWH, powerW: 30_000, reason: 'completed' }),
    ev('order.finished', { ...base, queueNo, energyWms: 30 * KWH, finishedAt: t3 }),
    bill(s1, `${orderId}-b1`, 'F1', T0, t1, [{ tier: 'valley', energyWms: 5 * KWH, energyFeeFen: 200 }]),
    bill(s2, `${orderId}-b2`, 'F2', t1, t3, [
      { tier: 'valley', energyWms: 20 * KWH, energyFeeFen: 800 },
      { tier: 'flat', energyWms: 5 * KWH, energyFeeFen: 350 },
    ]),
  ].map((e) => Object.assign(e, { t2 }));
}

// ---- tests ----
t.test('an accepted request is stored with its number; the user sees it, nobody else does', async (t) => {
  const v = await request('1');
  t.match(v, { userId: '1', stationId: 'default', mode: 'fast', energyWms: 30 * KWH, state: 'waiting', position: 1, requestChargedWms: 0, requestFeeFen: 0 });
  t.match(v.queueNo, /^F\d+$/);
  t.match(v.orderNo, /^\d{8}\d{6}$/);
  t.match(await get(v.orderId, '1'), { orderId: v.orderId, queueNo: v.queueNo, orderNo: v.orderNo, state: 'waiting' });
  await t.rejects(get(v.orderId, '2'), { code: 'NOT_FOUND' }, "another user's order does not exist for them");
  const mine = await h.bus.call('order.list', { userId: '1', pageNum: 1, pageSize: 10 });
  t.same(mine.items.map((o) => o.orderId), [v.orderId]);
  t.equal((await h.bus.call('order.list', { userId: '2', pageNum: 1, pageSize: 10 })).total, 0);
});

t.test('a refused request is passed back as the same error and nothing is stored', async (t) => {
  const seen: string[] = [];
  onSubmit = async (p) => {
    seen.push(p.orderId);
    throw new DomainError('WAITING_AREA_FULL', 'the waiting area is full', { reason: 'WAITING_AREA_FULL' });
  };
  await t.rejects(request('3'), { code: 'WAITING_AREA_FULL', message: 'the waiting area is full' });
  onSubmit = async () => {
    throw new DomainError('ALREADY_QUEUED', 'this car already has a request');
  };
  await t.rejects(request('3'), { code: 'ALREADY_QUEUED' });
  onSubmit = async (p) => entry(p);
  t.equal(seen.length, 1);
  await t.rejects(get(seen[0]!), { code: 'NOT_FOUND' });
  t.equal((await h.bus.call('order.list', { userId: '3', pageNum: 1, pageSize: 10 })).total, 0);
});

t.test('events that arrive before the RPC answer is stored are kept (upsert), the answer does not undo them', async (t) => {
  onSubmit = async (p) => {
    const base = { orderId: p.orderId, userId: p.userId, stationId: p.stationId };
    const queueNo = `F${++seq}`;
    await publish(ev('order.queued', { ...base, mode: p.mode, energyWms: p.energyWms, queueNo, seq, queuedAt: T0 }));
    await publish(ev('order.dispatched', { ...base, queueNo, pileNo: 'F2', place: 0, dispatchedAt: T0 }));
    await publish(ev('session.started', { ...base, sessionId: `${p.orderId}#1`, pileNo: 'F2', queueNo, mode: p.mode, powerW: 30_000, targetEnergyWms: p.energyWms, startedAt: T0 }));
    await until(p.orderId, (v) => v.state === 'charging', 'charging from events');
    return entry(p, { queueNo, state: 'waiting', carsAhead: 0 }); // the answer as of the submit
  };
  const v = await request('4');
  onSubmit = async (p) => entry(p);
  t.match(v, { state: 'charging', pileNo: 'F2', sessionId: `${v.orderId}#1`, userId: '4', energyWms: 30 * KWH });
  t.match(v.orderNo, /^\d{14}$/, 'the answer adds what only the order service knows');
});

t.test('transitions from events, delivered out of order and twice, end in one consistent order', async (t) => {
  const orderId = randomUUID();
  const events = flow(orderId, '5', 'F90');
  // worst first: the end of the story, then the rest reversed, with duplicates of the same envelope and re-publications
  const shuffled = [events[8]!, events[10]!, ...events.slice(0, 8).reverse(), events[9]!];
  for (const e of shuffled) await publish(e);
  await until(orderId, (o) => o.billIds.length === 2 && o.energyWms === 30 * KWH && o.sessions.every((s) => s.endedAt !== undefined), 'complete');
  await new Promise((r) => setTimeout(r, 200)); // the consumer handles several at once: let the last land
  const v = await get(orderId, '5');
  // redeliveries of the same envelopes and re-publications under new ids, concurrently
  await Promise.all([publish(events[10]!), publish(events[3]!), publish(events[0]!), publish(events[10]!, randomUUID()), publish(events[2]!, randomUUID())]);
  await new Promise((r) => setTimeout(r, 300));
  const after = await get(orderId, '5');
  t.same(after, v, 'duplicates changed nothing');
  t.match(after, {
    state: 'finished', queueNo: 'F90', pileNo: 'F2', requestChargedWms: 30 * KWH, energyFeeFen: 1350, serviceFeeFen: 2400, requestFeeFen: 3750,
    chargingMs: 70 * MIN, startedAt: T0, endedAt: T0 + 70 * MIN, stopReason: 'completed', billIds: [`${orderId}-b1`, `${orderId}-b2`],
  });
  t.same(after.tiers, [
    { tier: 'valley', energyWms: 25 * KWH, energyFeeFen: 1000 },
    { tier: 'flat', energyWms: 5 * KWH, energyFeeFen: 350 },
  ]);
  t.equal(after.sessionId, undefined);

  // a late stale event (the first dispatch, re-published) never moves a finished order back
  await publish(events[1]!, randomUUID());
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await get(orderId)).state, 'finished');

  // in order, stepwise: the states a user would see
  const o2 = randomUUID();
  const e2 = flow(o2, '5', 'F91');
  const states: string[] = [];
  for (const i of [0, 1, 2, 3, 4, 5, 6]) {
    await publish(e2[i]!);
    const expected = ['waiting', 'dispatched', 'charging', 'charging', 'fault-queued', 'dispatched', 'charging'][i]!;
    states.push((await until(o2, (o) => o.state === expected && (i !== 3 || o.sessionId === undefined), expected)).state);
  }
  t.same(states, ['waiting', 'dispatched', 'charging', 'charging', 'fault-queued', 'dispatched', 'charging']);
  t.match(await get(o2), { pileNo: 'F2', sessionId: `${o2}#2`, requestChargedWms: 5 * KWH });
  const list = await h.bus.call('order.list', { userId: '5', states: ['charging'], pageNum: 1, pageSize: 10 });
  t.same(list.items.map((o) => o.orderId), [o2]);
});

t.test('modify and cancel go through the scheduler; its refusals come back unchanged', async (t) => {
  const v = await request('6');
  await t.rejects(h.bus.call('order.modify', { orderId: v.orderId, userId: '6', energyWms: 10 * KWH }), { code: 'NOT_MODIFIABLE' });
  await t.rejects(h.bus.call('order.modify', { orderId: v.orderId, userId: '7', energyWms: 10 * KWH }), { code: 'NOT_FOUND' });
  onModify = async (p) => ({ ...entry({ ...p, userId: '6', mode: p.mode ?? 'fast', energyWms: p.energyWms ?? 30 * KWH }), carsAhead: 0 });
  const m = await h.bus.call('order.modify', { orderId: v.orderId, userId: '6', mode: 'slow', energyWms: 10 * KWH });
  t.match(m, { mode: 'slow', energyWms: 10 * KWH, state: 'waiting', position: 0 });
  t.match(m.queueNo, /^T\d+$/);
  t.equal((await get(v.orderId)).queueNo, m.queueNo);

  await t.rejects(h.bus.call('order.cancel', { orderId: v.orderId, userId: '7' }), { code: 'NOT_FOUND' });
  const c = await h.bus.call('order.cancel', { orderId: v.orderId, userId: '6' });
  t.match(c, { state: 'cancelled', stoppedSessionId: `${v.orderId}#1` });
  t.ok(cancels.includes(v.orderId));
  await t.rejects(h.bus.call('order.cancel', { orderId: v.orderId, userId: '6' }), { code: 'CONFLICT' });
  // the cancel event arriving afterwards is harmless
  await publish(ev('order.cancelled', { orderId: v.orderId, userId: '6', stationId: 'default', queueNo: m.queueNo!, cancelledAt: T0 }));
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await get(v.orderId)).state, 'cancelled');
});

t.test("order.current: the user's live request with the scheduler's live figures", async (t) => {
  await t.rejects(h.bus.call('order.current', { userId: '8' }), { code: 'NOT_FOUND' });
  const v = await request('8');
  const pos: QueueEntryView = {
    orderId: v.orderId, userId: '8', queueNo: v.queueNo!, mode: 'fast', energyWms: 30 * KWH, sessionChargedWms: 2 * KWH, sessionFeeFen: 240,
    requestChargedWms: 2 * KWH, requestFeeFen: 240, remainingWms: 28 * KWH, state: 'charging', pileNo: 'F1', carsAhead: 0,
    sessionId: `${v.orderId}#1`, createdAt: T0,
  };
  positions.set(v.orderId, pos);
  t.match(await h.bus.call('order.current', { userId: '8' }), {
    orderId: v.orderId, state: 'charging', position: 0, pileNo: 'F1', requestChargedWms: 2 * KWH, requestFeeFen: 240, queueNo: v.queueNo,
  });
  // finished a moment ago, the scheduler forgot it: the stored order answers
  positions.delete(v.orderId);
  t.match(await h.bus.call('order.current', { userId: '8' }), { orderId: v.orderId, state: 'waiting' });
  await publish(ev('order.cancelled', { orderId: v.orderId, userId: '8', stationId: 'default', queueNo: v.queueNo!, cancelledAt: T0 + MIN }));
  await until(v.orderId, (o) => o.state === 'cancelled', 'cancelled');
  await t.rejects(h.bus.call('order.current', { userId: '8' }), { code: 'NOT_FOUND' });
});

t.test('history is paginated, newest first, per user', async (t) => {
  const made: string[] = [];
  for (let i = 0; i < 3; i++) made.push((await request('9')).orderId);
  const p1 = await h.bus.call('order.list', { userId: '9', pageNum: 1, pageSize: 2 });
  const p2 = await h.bus.call('order.list', { userId: '9', pageNum: 2, pageSize: 2 });
  t.equal(p1.total, 3);
  t.same(new Set([...p1.items, ...p2.items].map((o) => o.orderId)), new Set(made));
  const times = [...p1.items, ...p2.items].map((o) => o.createdAt);
  t.same(times, [...times].sort((a, b) => b - a));
  const newest = Math.max(...times);
  t.equal((await h.bus.call('order.list', { userId: '9', fromMs: newest + 1, pageNum: 1, pageSize: 10 })).total, 0);
  t.equal((await h.bus.call('order.list', { userId: '9', fromMs: Math.min(...times), toMs: newest + 1, pageNum: 1, pageSize: 10 })).total, 3);
});


t.test("a car a request names must be one of the caller's: another user's or a made-up car is refused, nothing stored", async (t) => {
  const submitted: Submit[] = [];
  onSubmit = async (p) => {
    submitted.push(p);
    return entry(p);
  };
  const withCar = (userId: string, carId: string) =>
    h.bus.call('order.request', { userId, carId, stationId: 'default', mode: 'fast', energyWms: 10 * KWH });
  const mine = await withCar('21', 'car-21a');
  t.match(mine, { userId: '21', carId: 'car-21a', state: 'waiting' });
  await t.rejects(withCar('21', 'car-22'), { code: 'NOT_FOUND', message: 'car car-22 is not one of your cars', details: { resource: 'car' } }, "another user's car");
  for (const madeUp of ['V1', 'V2', 'car-21c']) {
    await t.rejects(withCar('21', madeUp), { code: 'NOT_FOUND', details: { resource: 'car' } }, `made-up car ${madeUp}`);
  }
  t.same(submitted.map((p) => p.carId), ['car-21a'], 'only the own car reached the scheduler');
  t.same((await h.bus.call('order.list', { userId: '21', pageNum: 1, pageSize: 10 })).items.map((o) => o.orderId), [mine.orderId], 'nothing else stored');
  // the owner of the car is not blocked by anybody else's use of it
  t.match(await withCar('22', 'car-22'), { userId: '22', carId: 'car-22' });
  // without a car: as before (the scheduler's synthetic car per user)
  t.match(await request('21'), { userId: '21', state: 'waiting' });
  t.equal(submitted.at(-1)!.carId, undefined);
  onSubmit = async (p) => entry(p);
});

// A scheduler that, like the real one, has accepted the request before its (slow) answer, knows its own orderId on a
// retry, and refuses a second live request for one car (ALREADY_QUEUED).
function slowScheduler() {
  const accepted = new Map<string, QueueEntryView>();
  const liveCar = new Map<string, string>();
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const submits: string[] = [];
  onSubmit = async (p) => {
    submits.push(p.orderId);
    const known = accepted.get(p.orderId);
    if (known) return known;
    const car = p.carId ?? `~user:${p.userId}`;
    if (liveCar.has(car)) throw new DomainError('ALREADY_QUEUED', 'you already have an active charging request');
    const e = entry(p);
    accepted.set(p.orderId, e);
    liveCar.set(car, p.orderId);
    await gate; // written, the answer is slow
    return e;
  };
  return { open, submits };
}

const keyed = (userId: string, idempotencyKey: string, kwh = 30, timeoutMs?: number) =>
  h.bus.call('order.request', { userId, stationId: 'default', mode: 'fast', energyWms: kwh * KWH, idempotencyKey }, timeoutMs ? { timeoutMs } : {});

async function ordersOf(userId: string): Promise<OrderView[]> {
  return (await h.bus.call('order.list', { userId, pageNum: 1, pageSize: 10 })).items;
}

t.test('a request that timed out for its caller but was created: the retry with the same key gets that order', async (t) => {
  const s = slowScheduler();
  await t.rejects(keyed('31', 'key-31', 30, 300), { code: 'TIMEOUT' }, 'the caller gave up');
  s.open(); // the scheduler answers late; the order service stores the order anyway
  const deadline = Date.now() + 5000;
  while ((await ordersOf('31')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 30));
  const [created] = await ordersOf('31');
  t.ok(created, 'the first call created the order');
  const retry = await keyed('31', 'key-31');
  t.equal(retry.orderId, created!.orderId, 'the retry answers the same order');
  t.match(retry, { state: 'waiting', orderNo: created!.orderNo, energyWms: 30 * KWH });
  t.equal((await ordersOf('31')).length, 1, 'one order exists');
  // the same key for another request is refused; another user's same key is their own
  await t.rejects(keyed('31', 'key-31', 12), { code: 'CONFLICT' });
  t.equal((await ordersOf('31')).length, 1);
  onSubmit = async (p) => entry(p);
});

t.test('a retry with the same key while the first call is still running gets the same order', async (t) => {
  const s = slowScheduler();
  const first = keyed('32', 'key-32', 30, 300).catch((err: unknown) => err);
  await t.resolveMatch(first, { code: 'TIMEOUT' });
  const retry = keyed('32', 'key-32'); // the first is still waiting for the scheduler
  const answered = await retry;
  s.open();
  t.equal(s.submits.length, 2);
  t.equal(s.submits[1], answered.orderId, 'the retry reached the scheduler as the same order');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && (await ordersOf('32')).length === 0) await new Promise((r) => setTimeout(r, 30));
  await new Promise((r) => setTimeout(r, 200)); // the first call stores too, once its answer comes
  const all = await ordersOf('32');
  t.same(all.map((o) => o.orderId), [answered.orderId], 'one order exists');
  onSubmit = async (p) => entry(p);
});

t.test('without a key, the same request again while the first is live answers that order; another request is refused', async (t) => {
  const s = slowScheduler();
  s.open();
  const first = await request('33', 'fast', 20);
  const again = await request('33', 'fast', 20);
  t.equal(again.orderId, first.orderId, 'the repeat is the same order, not CAR_HAS_ACTIVE_REQUEST');
  await t.rejects(request('33', 'fast', 25), { code: 'ALREADY_QUEUED' }, 'a different request is still refused');
  await t.rejects(request('33', 'slow', 20), { code: 'ALREADY_QUEUED' });
  t.equal((await ordersOf('33')).length, 1);
  onSubmit = async (p) => entry(p);
});

t.test('a keyed request the scheduler took but whose answer was never stored (known from its events): the retry completes it', async (t) => {
  const s = slowScheduler();
  s.open();
  const orderId = orderIdFor('34', 'key-34');
  // the scheduler accepted it (a first call whose answer got lost) and announced it
  const known = entry({ orderId, userId: '34', stationId: 'default', mode: 'slow', energyWms: 8 * KWH });
  const first = onSubmit;
  onSubmit = async (p) => (p.orderId === orderId ? known : first(p));
  await publish(ev('order.queued', { orderId, userId: '34', stationId: 'default', mode: 'slow', energyWms: 8 * KWH, queueNo: known.queueNo, seq: 1, queuedAt: T0 }));
  await until(orderId, (o) => o.state === 'waiting', 'stored from its event');
  await t.rejects(keyed('34', 'key-34', 9), { code: 'CONFLICT' }, 'not for another request');
  const retry = await h.bus.call('order.request', { userId: '34', stationId: 'default', mode: 'slow', energyWms: 8 * KWH, idempotencyKey: 'key-34' });
  t.equal(retry.orderId, orderId);
  t.match(retry.orderNo, /^\d{14}$/, 'the retry gives it its number');
  t.equal((await ordersOf('34')).length, 1);
  onSubmit = async (p) => entry(p);
});

t.test('order.stop is for walk-up orders: a queue request is CONFLICT (cancel it instead)', async (t) => {
  const v = await request('35');
  await t.rejects(h.bus.call('order.stop', { orderId: v.orderId, userId: '35', stopReason: 1 }), { code: 'CONFLICT', details: { resource: 'order' } });
  await t.rejects(h.bus.call('order.stop', { orderId: v.orderId, userId: '36', stopReason: 1 }), { code: 'NOT_FOUND' });
  t.equal((await get(v.orderId)).state, 'waiting');
});

// The billing service over the real bus: exactly one bill per session whatever is redelivered, the bill's
// figures, bill.created from the outbox, and who may read which bill.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { SessionEnded } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { startHarness } from './harness.js';

const KWH = 3_600_000_000;
const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00+08:00`);

const h = await startHarness(['bill.created']);
t.teardown(() => h.close());

let nextSession = 0;
function session(over: Partial<SessionEnded> = {}): SessionEnded {
  nextSession++;
  return {
    sessionId: `o${nextSession}#1`, orderId: `o${nextSession}`, userId: '7', stationId: 'default', pileNo: 'F1', queueNo: 'F1',
    mode: 'fast', startedAt: at('06:10'), endedAt: at('07:10'), energyWms: 30 * KWH, powerW: 30_000, reason: 'completed', ...over,
  };
}

const billsOf = (sessionId: string) => h.bus.call('billing.listBills', { sessionId, pageNum: 1, pageSize: 20 });
const createdFor = (sessionId: string) => h.events.filter((e) => e.type === 'bill.created' && (e.payload as { sessionId: string }).sessionId === sessionId);
const settle = () => new Promise((r) => setTimeout(r, 400));

t.test('the 30 kW 06:10-07:10 session of 30 kWh: energy 13.50 + service 24.00 yuan, announced by bill.created', async (t) => {
  const s = session();
  await h.bus.publish('session.ended', s);
  const created = await h.waitFor('bill.created', (e) => e.payload.sessionId === s.sessionId);
  const bill = await h.bus.call('billing.getBill', { billId: created.payload.billId, userId: '7' });
  t.same(bill, created.payload, 'the event carries the stored bill');
  t.match(bill, {
    userId: '7', orderId: s.orderId, sessionId: s.sessionId, stationId: 'default', pileNo: 'F1', queueNo: 'F1',
    energyWms: 30 * KWH, durationMs: 3_600_000, startedAt: at('06:10'), endedAt: at('07:10'),
    energyFeeFen: 1350, serviceFeeFen: 2400, totalFen: 3750,
  });
  t.same(bill.tiers, [
    { tier: 'valley', energyWms: 25 * KWH, energyFeeFen: 1000 },
    { tier: 'flat', energyWms: 5 * KWH, energyFeeFen: 350 },
  ]);
  t.match(bill.billNo, /^B\d{8}\d{6}$/);
  t.not(bill.billId, bill.billNo);
});

t.test('a session.ended delivered twice, sequentially and concurrently, makes exactly one bill', async (t) => {
  // the same envelope twice, one after the other
  const a = session();
  const id = randomUUID();
  await h.bus.publish('session.ended', a, { id });
  await h.waitFor('bill.created', (e) => e.payload.sessionId === a.sessionId);
  await h.bus.publish('session.ended', a, { id });
  // the same session under fresh envelope ids (a re-publication), several at once
  const b = session();
  await Promise.all([
    h.bus.publish('session.ended', b, { id: randomUUID() }),
    h.bus.publish('session.ended', b, { id: randomUUID() }),
    h.bus.publish('session.ended', b, { id: randomUUID() }),
  ]);
  // the same envelope id, concurrently (both may pass the id check before either is marked seen)
  const c = session();
  const cid = randomUUID();
  await Promise.all([h.bus.publish('session.ended', c, { id: cid }), h.bus.publish('session.ended', c, { id: cid })]);
  await h.waitFor('bill.created', (e) => e.payload.sessionId === b.sessionId);
  await h.waitFor('bill.created', (e) => e.payload.sessionId === c.sessionId);
  await settle();
  for (const s of [a, b, c]) {
    t.equal((await billsOf(s.sessionId)).total, 1, `one bill for ${s.sessionId}`);
    t.equal(createdFor(s.sessionId).length, 1, `one bill.created for ${s.sessionId}`);
  }
});

t.test('another user cannot read a bill; lists show only the caller\'s bills', async (t) => {
  const mine = session({ userId: '21' });
  const theirs = session({ userId: '22' });
  await h.bus.publish('session.ended', mine);
  await h.bus.publish('session.ended', theirs);
  const m = await h.waitFor('bill.created', (e) => e.payload.sessionId === mine.sessionId);
  await h.waitFor('bill.created', (e) => e.payload.sessionId === theirs.sessionId);
  await t.rejects(h.bus.call('billing.getBill', { billId: m.payload.billId, userId: '22' }), { code: 'NOT_FOUND' });
  await t.rejects(h.bus.call('billing.sessionBill', { sessionId: mine.sessionId, userId: '22' }), { code: 'NOT_FOUND' });
  t.equal((await h.bus.call('billing.getBill', { billId: m.payload.billId, userId: '21' })).sessionId, mine.sessionId);
  const list = await h.bus.call('billing.listBills', { userId: '21', pageNum: 1, pageSize: 20 });
  t.same(list.items.map((b) => b.sessionId), [mine.sessionId]);
  t.equal(list.total, 1);
  await t.rejects(h.bus.call('billing.getBill', { billId: 'nope' }), DomainError);
});

t.test('every ended session is billed, even 0 kWh; an order\'s bills are listed newest first, paginated', async (t) => {
  const orderId = 'multi-1';
  const first = session({ orderId, sessionId: `${orderId}#1`, endedAt: at('06:40'), energyWms: 15 * KWH, reason: 'fault' });
  const empty = session({ orderId, sessionId: `${orderId}#2`, startedAt: at('06:40'), endedAt: at('06:40'), energyWms: 0, reason: 'fault' });
  const last = session({ orderId, sessionId: `${orderId}#3`, startedAt: at('06:50'), endedAt: at('07:20'), energyWms: 15 * KWH });
  for (const s of [first, empty, last]) await h.bus.publish('session.ended', s);
  const zero = await h.waitFor('bill.created', (e) => e.payload.sessionId === empty.sessionId);
  t.match(zero.payload, { energyWms: 0, totalFen: 0, durationMs: 0, tiers: [] });
  await h.waitFor('bill.created', (e) => e.payload.sessionId === last.sessionId);
  await h.waitFor('bill.created', (e) => e.payload.sessionId === first.sessionId);
  const page1 = await h.bus.call('billing.listBills', { orderId, pageNum: 1, pageSize: 2 });
  const page2 = await h.bus.call('billing.listBills', { orderId, pageNum: 2, pageSize: 2 });
  t.equal(page1.total, 3);
  t.same([...page1.items, ...page2.items].map((b) => b.sessionId), [last.sessionId, empty.sessionId, first.sessionId]);
});

t.test('billing.sessionBill waits a little for a bill that is on its way', async (t) => {
  const s = session({ userId: '31' });
  const pending = h.bus.call('billing.sessionBill', { sessionId: s.sessionId, userId: '31', waitMs: 3000 });
  await new Promise((r) => setTimeout(r, 150));
  await h.bus.publish('session.ended', s);
  t.match(await pending, { sessionId: s.sessionId, userId: '31', totalFen: 3750 });
  await t.rejects(h.bus.call('billing.sessionBill', { sessionId: 'never#1', waitMs: 200 }), { code: 'NOT_FOUND' });
});

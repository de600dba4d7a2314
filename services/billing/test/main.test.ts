// The billing service over the real bus: exactly one bill per session whatever is redelivered, the bill's
// figures, bill.created from the outbox, and who may read which bill.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { SessionEnded } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { startHarness } from './support/harness.js';

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
  const window = await h.bus.call('billing.listBills', { orderId, fromMs: at('06:40'), toMs: at('07:20'), pageNum: 1, pageSize: 10 });
  t.same(window.items.map((b) => b.sessionId).sort(), [first.sessionId, empty.sessionId].sort(), 'sessions that ended in [06:40, 07:20): the 07:20 end is out');
  t.equal(window.total, 2);
});

t.test('billing.sessionBill waits a little for a bill that is on its way', async (t) => {
  const s = session({ userId: '31' });
  const pending = h.bus.call('billing.sessionBill', { sessionId: s.sessionId, userId: '31', waitMs: 3000 });
  await new Promise((r) => setTimeout(r, 150));
  await h.bus.publish('session.ended', s);
  t.match(await pending, { sessionId: s.sessionId, userId: '31', totalFen: 3750 });
  await t.rejects(h.bus.call('billing.sessionBill', { sessionId: 'never#1', waitMs: 200 }), { code: 'NOT_FOUND' });
});

t.test('billing.report: exact sums per pile of the bills whose session ended in [fromMs, toMs), by pile', async (t) => {
  const stationId = `report-${randomUUID().slice(0, 8)}`;
  const on = (day: string, hhmm: string) => Date.parse(`2025-03-${day}T${hhmm}:00+08:00`);
  const sessions = [
    // Mon 03-03, F1: 30 kWh 06:10-07:10 at 30 kW: 25 valley + 5 flat = 13.50 + service 24.00
    session({ stationId, pileNo: 'F1', startedAt: on('03', '06:10'), endedAt: on('03', '07:10'), energyWms: 30 * KWH }),
    // Tue 03-04, F1: 10 kWh peak 10:00-10:20 = 10.00 + 8.00
    session({ stationId, pileNo: 'F1', startedAt: on('04', '10:00'), endedAt: on('04', '10:20'), energyWms: 10 * KWH }),
    // Tue 03-04, T1: 10 kWh flat 21:00-22:00 at 10 kW = 7.00 + 8.00
    session({ stationId, pileNo: 'T1', mode: 'slow', powerW: 10_000, startedAt: on('04', '21:00'), endedAt: on('04', '22:00'), energyWms: 10 * KWH }),
    // Sun 03-09 23:00 to Mon 03-10 00:00 exactly, T1: 10 kWh valley = 4.00 + 8.00; belongs to the day (and week) it ended in
    session({ stationId, pileNo: 'T1', mode: 'slow', powerW: 10_000, startedAt: on('09', '23:00'), endedAt: on('10', '00:00'), energyWms: 10 * KWH }),
    // another station on the same day: never counted
    session({ stationId: `${stationId}-other`, pileNo: 'F1', startedAt: on('04', '10:00'), endedAt: on('04', '10:20'), energyWms: 10 * KWH }),
  ];
  for (const s of sessions) await h.bus.publish('session.ended', s);
  const bills = await Promise.all(sessions.map((s) => h.waitFor('bill.created', (e) => e.payload.sessionId === s.sessionId).then((e) => e.payload)));
  const report = (fromMs: number, toMs: number, pileNo?: string) =>
    h.bus.call('billing.report', { stationId, fromMs, toMs, ...(pileNo !== undefined ? { pileNo } : {}) });

  // the ISO week of Mon 03-03: three sessions, the one ending at 03-10 00:00 is the next week's
  const week = await report(on('03', '00:00'), on('10', '00:00'));
  t.same(week.rows, [
    { pileNo: 'F1', sessions: 2, durationMs: 4_800_000, energyWms: 40 * KWH, energyFeeFen: 2350, serviceFeeFen: 3200, totalFen: 5550 },
    { pileNo: 'T1', sessions: 1, durationMs: 3_600_000, energyWms: 10 * KWH, energyFeeFen: 700, serviceFeeFen: 800, totalFen: 1500 },
  ]);
  // the rows are the sums of the stored bills themselves
  const f1 = bills.filter((b) => b.stationId === stationId && b.pileNo === 'F1');
  t.equal(week.rows[0]?.totalFen, f1.reduce((sum, b) => sum + b.totalFen, 0));

  t.same((await report(on('04', '00:00'), on('05', '00:00'))).rows.map((r) => [r.pileNo, r.sessions, r.totalFen]), [['F1', 1, 1800], ['T1', 1, 1500]], 'one day');
  t.same((await report(on('09', '00:00'), on('10', '00:00'))).rows, [], 'a session ending at the period end is not in it');
  t.same((await report(on('10', '00:00'), on('11', '00:00'))).rows, [
    { pileNo: 'T1', sessions: 1, durationMs: 3_600_000, energyWms: 10 * KWH, energyFeeFen: 400, serviceFeeFen: 800, totalFen: 1200 },
  ], 'it is in the period it starts');
  t.same((await report(on('03', '07:10'), on('03', '07:11'))).rows.map((r) => r.sessions), [1], 'a session ending at the period start is in it');

  // one pile over the month
  const month = await report(Date.parse('2025-03-01T00:00:00+08:00'), Date.parse('2025-04-01T00:00:00+08:00'), 'T1');
  t.same(month.rows, [
    { pileNo: 'T1', sessions: 2, durationMs: 7_200_000, energyWms: 20 * KWH, energyFeeFen: 1100, serviceFeeFen: 1600, totalFen: 2700 },
  ]);
  t.same((await report(on('01', '00:00'), on('31', '00:00'), 'F9')).rows, [], 'a pile without sessions has no row');

  await t.rejects(report(on('04', '00:00'), on('04', '00:00')), { code: 'VALIDATION' }, 'an empty period is refused');
});

// Issue 8, defect 3: bill numbers must never repeat, even after Redis lost its data (here: every key of the run's
// namespace deleted, as FLUSHALL or a restart without persistence would do). Before, the daily number was a
// Redis INCR that started again at 1, so two orders had B<day>000001.
import t from 'tap';
import mongoose from 'mongoose';
import type { SessionEnded } from '@voltq/contracts';
import { removeRedisNamespace } from '../../../../test/support/cleanup.js';
import { startHarness } from '../support/harness.js';

const KWH = 3_600_000_000;
const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00+08:00`);

// only the readiness probe notices the loss (no 1 s check in between), so the first probe sees it for certain
const h = await startHarness(['bill.created'], { REDIS_GENERATION_CHECK_MS: '3600000' });
t.teardown(() => h.close());

let n = 0;
function session(): SessionEnded {
  n++;
  return {
    sessionId: `loss${n}#1`, orderId: `loss${n}`, userId: '7', stationId: 'default', pileNo: 'F1', queueNo: `F${n}`,
    mode: 'fast', startedAt: at('06:10'), endedAt: at('07:10'), energyWms: 30 * KWH, powerW: 30_000, reason: 'completed',
  };
}

async function billNoOf(s: SessionEnded): Promise<string> {
  await h.bus.publish('session.ended', s);
  return (await h.waitFor('bill.created', (e) => e.payload.sessionId === s.sessionId)).payload.billNo;
}

t.test('after Redis lost its data the next bill number is not a repeat', async (t) => {
  const before = [await billNoOf(session()), await billNoOf(session())];
  await removeRedisNamespace(h.ns);
  const after = [await billNoOf(session()), await billNoOf(session())];
  const all = [...before, ...after];
  t.equal(new Set(all).size, all.length, `four different numbers: ${all.join(' ')}`);
  t.same([...all].sort(), all, 'and they keep counting up');
});

t.test('/readyz is ready again after the loss (billing has nothing of its own to rebuild)', async (t) => {
  await removeRedisNamespace(h.ns);
  const first = await fetch(`${h.service.address}/readyz`);
  t.equal(first.status, 503, 'the first probe after the loss sees it');
  t.match(await first.json(), { status: 'not-ready', failing: ['redis-rebuild'] });
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    ready = (await fetch(`${h.service.address}/readyz`)).status === 200;
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(ready, 'ready again without a restart');
});

t.test('a day counter that is not stored yet starts above the highest bill number of that day', async (t) => {
  const last = await billNoOf(session());
  // as at the first start of this version, when the day's numbers came from Redis until then
  const conn = await mongoose.createConnection(h.mongo.uri, { dbName: h.ns }).asPromise();
  await conn.db!.collection('bill_counters').deleteMany({});
  await conn.close();
  const next = await billNoOf(session());
  t.equal(next.slice(0, 9), last.slice(0, 9), 'same day');
  t.equal(Number(next.slice(9)), Number(last.slice(9)) + 1, `${last} then ${next}`);
});

// Issue 8, defect 3: Redis losing its data (here every key of the run's namespace is deleted, as FLUSHALL or a
// restart without persistence would do) is noticed, reported by /readyz, and survived: the stations come back from
// their durable copy in MongoDB with the same cars and queues, the manual clock keeps its time, the relay
// publishes again, and new requests work, without restarting anything. Before, every read and request answered
// NOT_FOUND "unknown station default" and the clock went back to real time.
import t from 'tap';
import mongoose from 'mongoose';
import { WMS_PER_KWH } from '@voltq/contracts';
import { createClock } from '@voltq/kit';
import { createStation } from '@voltq/scheduling';
import { DurableStations, RECENT_STEPS } from '../../src/store/durable.js';
import { StationRepository } from '../../src/store/station-repository.js';
import { removeRedisNamespace } from '../../../../test/support/cleanup.js';
import { refusal, startHarness, type Harness } from '../support/harness.js';

const T0 = Date.parse('2026-12-04T08:00:00+08:00');
const MIN = 60_000;

let h: Harness;
t.before(async () => {
  // only probes and calls notice the loss (no 1 s check in between), so the first probe after it sees it for certain
  h = await startHarness({ REDIS_GENERATION_CHECK_MS: '3600000' });
});
t.teardown(async () => {
  await h?.close();
});

const submit = (n: number, mode: 'fast' | 'slow', kwh: number) =>
  h.bus.call('scheduler.submit', { orderId: `o-${n}`, userId: `${n}`, carId: `car-${n}`, stationId: 'default', mode, energyWms: kwh * WMS_PER_KWH });
const board = () => h.bus.call('scheduler.board', { stationId: 'default' });
const readyz = async () => {
  const res = await fetch(`${h.service.address}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; failing?: string[] } };
};

t.test('after Redis lost its data: unready, then the same station, clock and numbering, and events flow again', async (t) => {
  await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
  // 2 fast piles x 3 places: 6 fast cars on piles, 2 waiting; 2 slow cars charging
  for (let n = 1; n <= 8; n++) await submit(n, 'fast', 30);
  await submit(9, 'slow', 10);
  await submit(10, 'slow', 10);
  await h.bus.call('scheduler.clockAdvance', { seconds: 10 * 60 });
  const before = await board();
  t.same(before.waitingArea.map((c) => c.queueNo), ['F7', 'F8']);
  t.equal((await readyz()).status, 200);

  await removeRedisNamespace(h.ns);

  const probe = await readyz();
  t.equal(probe.status, 503, 'the first probe after the loss reports it');
  t.ok(probe.body.failing?.includes('redis-rebuild'), `failing: ${probe.body.failing?.join(', ')}`);
  let ready = false;
  for (let i = 0; i < 200 && !ready; i++) {
    ready = (await readyz()).status === 200;
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(ready, 'ready again by itself');

  t.same(await board(), before, 'the same piles, queues, waiting cars, energies and fees');
  t.same(await h.bus.call('scheduler.clockGet', {}), { mode: 'manual', timeMs: T0 + 10 * MIN, speed: 1 }, 'the manual clock kept its time');
  const fresh = await createClock(h.redis, h.ns);
  t.match(fresh.state(), { mode: 'manual' }, 'and the shared clock in Redis has it again (a process starting now reads it)');
  t.equal(fresh.now(), T0 + 10 * MIN);
  await fresh.close();

  const entry = await submit(11, 'fast', 5);
  t.match(entry, { orderId: 'o-11', queueNo: 'F9', state: 'waiting' }, 'a new request works; numbering continues');
  await h.waitFor('order.queued', (e) => e.payload.orderId === 'o-11', 10_000);

  // the clock still drives completions after the loss: F1's and F2's first cars (30 kWh at 30 kW) end at 09:00
  await h.bus.call('scheduler.clockAdvance', { toMs: T0 + 60 * MIN });
  const ended = await h.waitFor('session.ended', (e) => e.payload.orderId === 'o-1', 10_000);
  t.match(ended.payload, { energyWms: 30 * WMS_PER_KWH, startedAt: T0, endedAt: T0 + 60 * MIN, reason: 'completed' });
  const after = await board();
  t.same(after.waitingArea.map((c) => c.queueNo), ['F9'], 'the waiting cars were called into the freed places');
});

t.test('a request arriving before anything noticed the loss is served from the durable copy', async (t) => {
  const before = await board();
  await removeRedisNamespace(h.ns);
  const entry = await submit(12, 'slow', 5);
  t.match(entry, { orderId: 'o-12', state: 'charging' });
  const after = await board();
  t.same(after.waitingArea, before.waitingArea);
  t.same(after.piles.filter((p) => p.mode === 'fast'), before.piles.filter((p) => p.mode === 'fast'));
  await h.waitFor('order.queued', (e) => e.payload.orderId === 'o-12', 10_000);
});

t.test('events Redis lost before the relay published them are appended again with the restored station', async (t) => {
  // a repository on keys of its own and a stream no relay reads, so nothing is published before the loss
  const ns = `${h.ns}:replay`;
  const stream = `${ns}:outbox:test`;
  const conn = await mongoose.createConnection(h.mongo.uri, { dbName: h.ns }).asPromise();
  t.teardown(() => conn.close());
  const repo = new StationRepository(h.redis, ns, stream, new DurableStations(conn));
  const env = (id: string) => ({ id, type: 'pile.recovered', occurredAt: 'x', correlationId: id,
    payload: { stationId: 'r', pileNo: 'F1', recoveredAt: T0 } }) as never;
  let state = createStation({ stationId: 'r' }, T0);
  await repo.save('r', 0, state, [{ env: env('e1') }]);
  for (let i = 2; i <= RECENT_STEPS + 2; i++) {
    const next = { ...state, version: state.version + 1, nowMs: T0 + i };
    await repo.save('r', state.version, next, [{ env: env(`e${i}`) }]);
    state = next;
  }
  await removeRedisNamespace(h.ns);
  t.same(await repo.load('r'), state, 'the last stored state comes back');
  const entries = await h.redis.xrange(stream, '-', '+');
  const ids = entries.map(([, f]) => (JSON.parse(f[f.indexOf('env') + 1]!) as { id: string }).id);
  const last = Array.from({ length: RECENT_STEPS }, (_, i) => `e${i + 3}`);
  t.same(ids, last, `the events of the last ${RECENT_STEPS} writes are in the outbox again, in order`);
  t.same(await repo.load('r'), state, 'a second load restores nothing twice');
  t.equal(await h.redis.xlen(stream), RECENT_STEPS);
});

t.test('while the rebuild cannot finish: unready, calls refused with REBUILDING; it runs again and then serves', async (t) => {
  const conn = await mongoose.createConnection(h.mongo.uri, { dbName: h.ns }).asPromise();
  t.teardown(() => conn.close());
  const snapshots = conn.db!.collection<{ _id: string; state: string }>('station_states');
  const before = await board();
  const kept = await snapshots.findOne({ _id: 'default' });
  t.ok(kept, 'the station has its durable copy');
  // a copy that cannot be read stands for MongoDB failing during the rebuild
  await snapshots.updateOne({ _id: 'default' }, { $set: { state: '{not json' } });
  await removeRedisNamespace(h.ns);

  t.equal((await readyz()).status, 503, 'the loss is reported');
  const refused = await refusal(board());
  t.equal(refused.code, 'REBUILDING', 'a read waits a moment for the rebuild, then is refused with a clear code');
  t.match(refused.message, /rebuilding/);
  t.equal((await refusal(submit(13, 'fast', 5))).code, 'REBUILDING', 'so is a request; nothing is stored');
  t.equal((await readyz()).status, 503, 'still unready: the rebuild failed');

  await snapshots.updateOne({ _id: 'default' }, { $set: { state: kept!.state } });
  let ready = false;
  for (let i = 0; i < 200 && !ready; i++) {
    ready = (await readyz()).status === 200; // each probe runs the failed step again
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(ready, 'ready once the rebuild could finish');
  t.same(await board(), before, 'the station as it was');
  await t.rejects(h.bus.call('scheduler.position', { orderId: 'o-13', stationId: 'default' }), { code: 'NOT_FOUND' }, 'the refused request left nothing');
});

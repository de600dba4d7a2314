// The scheduler service end to end over the bus: RPC in, events out (through the Redis outbox), clock-driven
// completions, refusals that change nothing, faults, device events, and the fenced atomic state+outbox write.
import t from 'tap';
import { WMS_PER_KWH } from '@voltq/contracts';
import { createStation } from '@voltq/scheduling';
import { StaleVersionError, StationRepository } from '../src/store/station-repository.js';
import { refusal, startHarness, type Harness } from './support/harness.js';

const T0 = Date.parse('2025-03-03T09:00:00+08:00');
const MIN = 60_000;

let h: Harness;
t.before(async () => {
  h = await startHarness();
});
t.teardown(async () => {
  await h?.close();
});

t.test('manual clock; a charge completes on clockAdvance with exact energy and instants', async (t) => {
  // the station was created at real time at first start; empty, it follows the clock back to T0
  const clock = await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
  t.same(clock, { mode: 'manual', timeMs: T0, speed: 1 });
  t.same(await h.bus.call('scheduler.clockGet', {}), clock);

  const entry = await h.bus.call('scheduler.submit', {
    orderId: 'o-1', userId: '1', carId: 'car-1', stationId: 'default', mode: 'fast', energyWms: 15 * WMS_PER_KWH,
  });
  t.match(entry, { orderId: 'o-1', queueNo: 'F1', state: 'charging', pileNo: 'F1', carsAhead: 0, sessionChargedWms: 0, sessionFeeFen: 0 });
  const started = await h.waitFor('session.started', (e) => e.payload.orderId === 'o-1');
  t.match(started.payload, { pileNo: 'F1', powerW: 30_000, startedAt: T0, targetEnergyWms: 15 * WMS_PER_KWH });
  await h.waitFor('order.queued', (e) => e.payload.orderId === 'o-1' && e.payload.queueNo === 'F1');
  await h.waitFor('order.dispatched', (e) => e.payload.orderId === 'o-1' && e.payload.place === 0);

  // halfway: position shows the energy and fee so far, nothing has ended
  await h.bus.call('scheduler.clockAdvance', { seconds: 15 * 60 });
  const half = await h.bus.call('scheduler.position', { orderId: 'o-1', stationId: 'default' });
  t.equal(half.sessionChargedWms, 7.5 * WMS_PER_KWH);
  t.ok(half.sessionFeeFen > 0, `fee so far ${half.sessionFeeFen} fen`);
  t.notOk(h.events.some((e) => e.type === 'session.ended'));

  const after = await h.bus.call('scheduler.clockAdvance', { toMs: T0 + 60 * MIN });
  t.same(after, { mode: 'manual', timeMs: T0 + 60 * MIN, speed: 1 });
  const ended = await h.waitFor('session.ended', (e) => e.payload.orderId === 'o-1');
  t.match(ended.payload, {
    sessionId: 'o-1#1', pileNo: 'F1', carId: 'car-1', startedAt: T0, endedAt: T0 + 30 * MIN,
    energyWms: 15 * WMS_PER_KWH, reason: 'completed',
  });
  t.equal(ended.occurredAt, '2025-03-03T09:30:00.000+08:00', 'stamped at the completion instant, not the advance target');
  const finished = await h.waitFor('order.finished', (e) => e.payload.orderId === 'o-1');
  t.equal(finished.payload.energyWms, 15 * WMS_PER_KWH);
  const notFound = await refusal(h.bus.call('scheduler.position', { orderId: 'o-1', stationId: 'default' }));
  t.equal(notFound.code, 'NOT_FOUND', 'a finished request is no longer at the station');
});

t.test('configure: small station; full waiting area refused and nothing stored; busy station not reconfigured', async (t) => {
  const config = await h.bus.call('scheduler.configure', { stationId: 'default', waitingAreaSize: 1, pileQueueLength: 1 });
  t.match(config, { waitingAreaSize: 1, pileQueueLength: 1, fastPiles: 2, slowPiles: 3, slowPowerW: 10_000 });

  for (let i = 1; i <= 4; i++) {
    await h.bus.call('scheduler.submit', {
      orderId: `s-${i}`, userId: `${10 + i}`, stationId: 'default', mode: 'slow', energyWms: 10 * WMS_PER_KWH,
    });
  }
  const before = await h.bus.call('scheduler.board', { stationId: 'default' });
  t.same(before.waitingArea.map((c) => c.queueNo), ['T4']);
  t.same(before.piles.filter((p) => p.mode === 'slow').map((p) => p.state), ['charging', 'charging', 'charging']);

  const full = await refusal(h.bus.call('scheduler.submit', {
    orderId: 's-5', userId: '15', stationId: 'default', mode: 'slow', energyWms: 5 * WMS_PER_KWH,
  }));
  t.equal(full.code, 'WAITING_AREA_FULL');
  t.match(full.message, /waiting area is full/);
  const again = await refusal(h.bus.call('scheduler.submit', {
    orderId: 's-6', userId: '11', stationId: 'default', mode: 'fast', energyWms: 5 * WMS_PER_KWH,
  }));
  t.equal(again.code, 'ALREADY_QUEUED', 'the same user (no car given) cannot apply twice');
  const busy = await refusal(h.bus.call('scheduler.configure', { stationId: 'default', slowPiles: 4 }));
  t.equal(busy.code, 'STATION_BUSY');
  t.same(await h.bus.call('scheduler.board', { stationId: 'default' }), before, 'the refusals changed nothing');
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(h.events.some((e) => e.type === 'order.queued' && ['s-5', 's-6'].includes(e.payload.orderId)));

  // a retried submit (its answer lost) gets the same answer, not a refusal
  const retried = await h.bus.call('scheduler.submit', {
    orderId: 's-4', userId: '14', stationId: 'default', mode: 'slow', energyWms: 10 * WMS_PER_KWH,
  });
  t.match(retried, { orderId: 's-4', queueNo: 'T4', state: 'waiting', carsAhead: 0 });

  const modified = await h.bus.call('scheduler.modify', { orderId: 's-4', stationId: 'default', energyWms: 20 * WMS_PER_KWH });
  t.match(modified, { queueNo: 'T4', energyWms: 20 * WMS_PER_KWH });
  const charging = await refusal(h.bus.call('scheduler.modify', { orderId: 's-1', stationId: 'default', mode: 'fast' }));
  t.equal(charging.code, 'NOT_MODIFIABLE');
  t.match(charging.message, /cancel/);
});

t.test('pile fault re-queues the charging car, recovery dispatches it again', async (t) => {
  await h.bus.call('scheduler.clockAdvance', { seconds: 30 * 60 }); // 5 kWh delivered on each slow pile
  const pile = await h.bus.call('scheduler.pileStatus', { stationId: 'default', pileNo: 'T1', status: 'fault' });
  t.match(pile, { pileNo: 'T1', state: 'fault', queue: [] });
  const ended = await h.waitFor('session.ended', (e) => e.payload.orderId === 's-1');
  t.match(ended.payload, { reason: 'fault', energyWms: 5 * WMS_PER_KWH, pileNo: 'T1' });
  const requeued = await h.waitFor('order.requeued', (e) => e.payload.orderId === 's-1');
  t.match(requeued.payload, { fromPileNo: 'T1', remainingEnergyWms: 5 * WMS_PER_KWH, reason: 'fault', queueNo: 'T1' });
  await h.waitFor('pile.faulted', (e) => e.payload.pileNo === 'T1');
  const board = await h.bus.call('scheduler.board', { stationId: 'default' });
  t.same(board.faultQueue.map((c) => [c.orderId, c.remainingWms]), [['s-1', 5 * WMS_PER_KWH]]);

  const again = await refusal(h.bus.call('scheduler.pileStatus', { stationId: 'default', pileNo: 'T1', status: 'repair' }));
  t.equal(again.code, 'PILE_STATE', 'a faulty pile cannot fault again');

  const back = await h.bus.call('scheduler.pileStatus', { stationId: 'default', pileNo: 'T1', status: 'on' });
  t.match(back, { pileNo: 'T1', state: 'charging' });
  t.equal(back.queue[0]?.orderId, 's-1', 'the fault-queued car goes first (priority policy)');
  await h.waitFor('pile.recovered', (e) => e.payload.pileNo === 'T1');
  const restarted = await h.waitFor('session.started', (e) => e.payload.sessionId === 's-1#2');
  t.equal(restarted.payload.targetEnergyWms, 5 * WMS_PER_KWH, 'a new session for what it still lacks');
});

t.test('device events drive pile faults; repeats are ignored', async (t) => {
  await h.bus.publish('device.pile-fault', { pileId: 'default-F2', errorCode: 'E42', at: T0 });
  await h.waitFor('pile.faulted', (e) => e.payload.pileNo === 'F2');
  await h.bus.publish('device.pile-fault', { pileId: 'default-F2', at: T0 }); // already faulty: logged, acked
  await h.bus.publish('device.pile-online', { pileId: 'default-F2', replicaId: 'r1', protocol: 'ws', at: T0 });
  await h.waitFor('pile.recovered', (e) => e.payload.pileNo === 'F2');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(h.events.filter((e) => e.type === 'pile.faulted' && e.payload.pileNo === 'F2').length, 1);
  const board = await h.bus.call('scheduler.board', { stationId: 'default' });
  t.equal(board.piles.find((p) => p.pileNo === 'F2')?.state, 'idle');
});

t.test('cancel while charging stops and names the session', async (t) => {
  const res = await h.bus.call('scheduler.cancel', { orderId: 's-2', stationId: 'default' });
  t.same(res, { orderId: 's-2', state: 'cancelled', sessionId: 's-2#1' });
  const ended = await h.waitFor('session.ended', (e) => e.payload.sessionId === 's-2#1');
  t.equal(ended.payload.reason, 'cancelled');
  await h.waitFor('order.cancelled', (e) => e.payload.orderId === 's-2' && e.payload.sessionId === 's-2#1');
  const unknown = await refusal(h.bus.call('scheduler.cancel', { orderId: 's-2', stationId: 'default' }));
  t.equal(unknown.code, 'NOT_FOUND');
  const noStation = await refusal(h.bus.call('scheduler.board', { stationId: 'nowhere' }));
  t.equal(noStation.code, 'NOT_FOUND');
});

t.test('the clock cannot go back while cars are queued', async (t) => {
  const res = await refusal(h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 - 3_600_000 }));
  t.equal(res.code, 'STATION_BUSY');
  const clock = await h.bus.call('scheduler.clockGet', {});
  t.ok(clock.timeMs > T0, 'the clock stayed where it was');
});

t.test('the state write is fenced and atomic with its outbox entries', async (t) => {
  // a repository on its own keys and a stream no relay reads, so the outbox entries stay countable
  const ns = `${h.ns}:fence`;
  const stream = `${ns}:outbox:test`;
  const repo = new StationRepository(h.redis, ns, stream);
  const s1 = createStation({ stationId: 'x' }, T0);
  const env = (id: string) => ({ id, type: 'pile.recovered', occurredAt: 'x', correlationId: id,
    payload: { stationId: 'x', pileNo: 'F1', recoveredAt: T0 } }) as never;
  await repo.save('x', 0, s1, [{ env: env('e1') }]);
  const s2 = { ...s1, version: s1.version + 1, nowMs: T0 + 1 };
  await repo.save('x', s1.version, s2, [{ env: env('e2') }, { env: env('e3') }]);
  t.equal(await h.redis.xlen(stream), 3);

  // a second writer still holding version 1 (e.g. a replica that lost its turn) is refused: nothing is written
  const stale = { ...s1, version: s1.version + 1, nowMs: T0 + 99 };
  await t.rejects(repo.save('x', s1.version, stale, [{ env: env('e4') }]), StaleVersionError);
  await t.rejects(repo.save('x', 0, stale, []), StaleVersionError, 'creating an existing station is refused too');
  t.equal((await repo.load('x'))?.nowMs, T0 + 1, 'the state is the one the current writer stored');
  t.equal(await h.redis.xlen(stream), 3, 'and no event of the refused write reached the outbox');
});

t.test('a scaled clock completes charges by itself, each at its own instant', async (t) => {
  // clear the station first: whatever is still charging completes when the clock jumps forward
  await h.bus.call('scheduler.clockAdvance', { seconds: 6 * 3600 });
  const empty = await h.bus.call('scheduler.board', { stationId: 'default' });
  t.equal(empty.piles.reduce((n, p) => n + p.queue.length, 0) + empty.waitingArea.length + empty.faultQueue.length, 0);

  const clock = await h.bus.call('scheduler.clockSet', { mode: 'scaled', speed: 600 });
  t.equal(clock.mode, 'scaled');
  const entry = await h.bus.call('scheduler.submit', {
    orderId: 'sc-1', userId: '31', stationId: 'default', mode: 'fast', energyWms: 1 * WMS_PER_KWH,
  });
  t.equal(entry.state, 'charging');
  // 1 kWh at 30 kW takes 2 clock minutes: 0.2 s of real time at 600x
  const ended = await h.waitFor('session.ended', (e) => e.payload.orderId === 'sc-1', 5000);
  t.equal(ended.payload.endedAt - ended.payload.startedAt, 2 * MIN, 'ended exactly when due, not when the timer ran');
  t.equal(ended.payload.energyWms, 1 * WMS_PER_KWH);
  await h.bus.call('scheduler.clockSet', { mode: 'manual' });
});

t.test('another replica takes over the station after the first one stops', async (t) => {
  const replica = await h.startReplica();
  t.ok(replica.address);
  await h.service.shutdown(); // its single-active-consumer place passes to the replica
  const entry = await h.bus.call('scheduler.submit', {
    orderId: 'tk-1', userId: '41', stationId: 'default', mode: 'slow', energyWms: 2 * WMS_PER_KWH,
  });
  t.match(entry, { state: 'charging', pileNo: 'T1' });
  await h.bus.call('scheduler.clockAdvance', { seconds: 3600 });
  const ended = await h.waitFor('session.ended', (e) => e.payload.orderId === 'tk-1');
  t.equal(ended.payload.endedAt - ended.payload.startedAt, 12 * MIN, '2 kWh at 10 kW');
});

t.test('sessions on a connected pile send start/stop commands to the replica holding it', async (t) => {
  const commands: { action: string; sessionId?: string; pileId: string }[] = [];
  await h.bus.consume({
    queue: 'pile-commands',
    types: ['pile.command'],
    exchange: 'commands',
    bindings: ['pile.command.replica-9'],
    transient: true,
    dedupe: false,
    handler: async (msg) => void commands.push(msg.payload),
  });
  await h.redis.set(`${h.ns}:pile-owner:default-F1`, 'replica-9', 'PX', 60_000);
  await h.bus.call('scheduler.submit', {
    orderId: 'pc-1', userId: '51', stationId: 'default', mode: 'fast', energyWms: 1 * WMS_PER_KWH,
  });
  await h.bus.call('scheduler.clockAdvance', { seconds: 600 });
  const until = Date.now() + 5000;
  while (commands.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(commands.map((c) => [c.action, c.sessionId, c.pileId]), [
    ['start', 'pc-1#1', 'default-F1'],
    ['stop', 'pc-1#1', 'default-F1'],
  ]);
});

// Every command to a pile is acknowledged by the pile or fails visibly (DESIGN "Messaging"): a start routed to a
// device-bridge replica whose queue is gone is held and delivered once the pile reconnects elsewhere; a pile that
// does not come back in time, or does not answer, goes to FAULT with the reason on the board and no bill.
// The scheduler in-process over real RabbitMQ and Redis; the test bus plays the device-bridge replicas.
import t from 'tap';
import { deviceNames, WMS_PER_KWH, type PileCommand } from '@voltq/contracts';
import { StationRepository } from '../../src/store/station-repository.js';
import { startHarness, type Harness } from '../support/harness.js';

const T0 = Date.parse('2025-03-03T09:00:00+08:00');
const WAIT_MS = 1500;
const ACK_MS = 300;

let h: Harness;
let repo: StationRepository;
const commands: { to: string; cmd: PileCommand }[] = [];
t.before(async () => {
  h = await startHarness({ PILE_COMMAND_ACK_TIMEOUT_MS: String(ACK_MS), PILE_COMMAND_WAIT_MS: String(WAIT_MS), PILE_COMMAND_SCAN_MS: '50' });
  repo = new StationRepository(h.redis, h.ns, `${h.ns}:unused`);
  // the live bridge replicas of this test: r-new and r-mute (which never answers)
  for (const replica of ['r-new', 'r-mute']) {
    await h.bus.consume({
      queue: `pile-commands-${replica}`,
      types: ['pile.command'],
      exchange: 'commands',
      bindings: [deviceNames.pileCommandRoutingKey(replica)],
      transient: true,
      dedupe: false,
      handler: async (msg) => void commands.push({ to: replica, cmd: msg.payload }),
    });
  }
  await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
});
t.teardown(async () => {
  await h?.close();
});

const until = async (what: string, test: () => boolean | Promise<boolean>, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A pile logs in on `replicaId`: the registry names it, the bridge announces it. */
async function online(pileNo: string, replicaId: string) {
  const pileId = deviceNames.pileId('default', pileNo);
  await h.redis.set(deviceNames.pileOwnerKey(h.ns, pileId), replicaId, 'PX', 60_000);
  await h.bus.publish('device.pile-online', { pileId, stationId: 'default', pileNo, replicaId, protocol: 'ws', faulted: false, at: T0 });
  await until(`${pileNo} driven`, async () => (await repo.load('default'))?.piles.find((p) => p.pileNo === pileNo)?.driven === true);
}

const board = () => h.bus.call('scheduler.board', { stationId: 'default' });
const pileOn = async (pileNo: string) => (await board()).piles.find((p) => p.pileNo === pileNo)!;

t.test('a start sent to a dead replica is held and delivered when the pile reconnects; the session counts from the pile\'s report', async (t) => {
  await online('F1', 'r-dead'); // the replica that held F1 died a moment ago: its queue is gone, its registry entry not yet
  const entry = await h.bus.call('scheduler.submit', {
    orderId: 'o-1', userId: '1', carId: 'car-1', stationId: 'default', mode: 'fast', energyWms: 1 * WMS_PER_KWH,
  });
  t.match(entry, { state: 'dispatched', pileNo: 'F1', sessionChargedWms: 0 }, 'on the pile, not charging: the pile has not started');
  // the clock runs on: nothing accrues, nothing completes, nothing is billed
  await h.bus.call('scheduler.clockAdvance', { seconds: 600 });
  t.match(await h.bus.call('scheduler.position', { orderId: 'o-1', stationId: 'default' }), { state: 'dispatched', sessionChargedWms: 0, sessionFeeFen: 0 });
  t.notOk(h.events.some((e) => e.type === 'session.started' || e.type === 'session.ended'), 'no session yet');
  t.same(commands, [], 'the command reached no pile');

  // the pile reconnects to replica r-new: the held start goes there, with the same command id
  await online('F1', 'r-new');
  await until('the start on r-new', () => commands.some((c) => c.to === 'r-new'));
  const start = commands.find((c) => c.to === 'r-new')!.cmd;
  t.match(start, { commandId: 'start:o-1#1', pileId: 'default-F1', action: 'start', sessionId: 'o-1#1', orderId: 'o-1', powerW: 30_000, targetEnergyWms: WMS_PER_KWH });

  // the pile acknowledges; it started 9 minutes after the car was called
  const startedAt = T0 + 9 * 60_000;
  await h.bus.publish('device.command-acked', {
    pileId: 'default-F1', stationId: 'default', pileNo: 'F1', commandId: start.commandId, action: 'start', sessionId: 'o-1#1',
    accepted: true, replicaId: 'r-new', at: startedAt,
  });
  const started = await h.waitFor('session.started', (e) => e.payload.sessionId === 'o-1#1');
  t.equal(started.payload.startedAt, startedAt, 'the session starts at the pile\'s reported instant');
  t.match(await pileOn('F1'), { state: 'charging' });
  await h.bus.call('scheduler.clockAdvance', { seconds: 600 });
  const ended = await h.waitFor('session.ended', (e) => e.payload.sessionId === 'o-1#1');
  t.match(ended.payload, { startedAt, endedAt: startedAt + 2 * 60_000, energyWms: WMS_PER_KWH, reason: 'completed' });
  await until('the stop', () => commands.some((c) => c.cmd.commandId === 'stop:o-1#1' && c.to === 'r-new'));
});

t.test('a start whose pile does not come back in time fails visibly: pile FAULT with the reason, car re-queued, no bill', async (t) => {
  await online('T1', 'r-gone');
  await h.bus.call('scheduler.submit', { orderId: 'o-2', userId: '2', carId: 'car-2', stationId: 'default', mode: 'slow', energyWms: WMS_PER_KWH });
  const faulted = await h.waitFor('pile.faulted', (e) => e.payload.pileNo === 'T1', WAIT_MS + 5000);
  t.match(faulted.payload.reason, /did not reconnect within/);
  const requeued = await h.waitFor('order.requeued', (e) => e.payload.orderId === 'o-2');
  t.match(requeued.payload, { fromPileNo: 'T1', reason: 'start-failed', remainingEnergyWms: WMS_PER_KWH });
  t.match(requeued.payload.detail, /did not reconnect within/, 'the order hears why');
  const t1 = await pileOn('T1');
  t.match(t1, { state: 'fault', queue: [] });
  t.match(t1.faultReason, /did not reconnect within/, 'the board says why');
  // rule 5: the car keeps its number and charges on a working slow pile (a modelled one: it starts at once)
  const again = await h.waitFor('session.started', (e) => e.payload.orderId === 'o-2');
  t.match(again.payload, { sessionId: 'o-2#2', pileNo: 'T2' });
  t.notOk(h.events.some((e) => e.type === 'session.ended' && e.payload.sessionId === 'o-2#1'), 'the start that never happened is not billed');
  t.notOk(h.events.some((e) => e.type === 'session.started' && e.payload.sessionId === 'o-2#1'));
});

t.test('a start the holding replica delivers but the pile never answers is sent once more, then fails visibly', async (t) => {
  await online('T3', 'r-mute');
  await online('T2', 'r-mute');
  // T2 is busy with o-2; the next slow car goes to T3
  await h.bus.call('scheduler.submit', { orderId: 'o-3', userId: '3', carId: 'car-3', stationId: 'default', mode: 'slow', energyWms: WMS_PER_KWH });
  const faulted = await h.waitFor('pile.faulted', (e) => e.payload.pileNo === 'T3', WAIT_MS + 5000);
  t.match(faulted.payload.reason, /did not acknowledge the start command/);
  const sent = commands.filter((c) => c.cmd.commandId === 'start:o-3#1');
  t.same(sent.map((c) => c.to), ['r-mute', 'r-mute'], 'sent, then once more');
  t.notOk(h.events.some((e) => e.type === 'session.started' && e.payload.sessionId === 'o-3#1'));
  t.match(await h.waitFor('order.requeued', (e) => e.payload.orderId === 'o-3'), { payload: { reason: 'start-failed' } });
});

t.test('a pile that refuses the start faults with its reason', async (t) => {
  await online('F2', 'r-new');
  await h.bus.call('scheduler.submit', { orderId: 'o-4', userId: '4', carId: 'car-4', stationId: 'default', mode: 'fast', energyWms: WMS_PER_KWH });
  await h.bus.call('scheduler.submit', { orderId: 'o-5', userId: '5', carId: 'car-5', stationId: 'default', mode: 'fast', energyWms: WMS_PER_KWH });
  await until('both starts', () => ['start:o-4#1', 'start:o-5#1'].every((id) => commands.some((c) => c.cmd.commandId === id)));
  const f1 = commands.find((c) => c.cmd.pileNo === 'F1' && c.cmd.commandId.startsWith('start:o-'))!.cmd;
  await h.bus.publish('device.command-acked', {
    pileId: 'default-F1', stationId: 'default', pileNo: 'F1', commandId: 'start:o-4#1', accepted: true, replicaId: 'r-new', at: T0,
  });
  t.equal(f1.commandId === 'start:o-4#1' || f1.commandId === 'start:o-1#1', true);
  const f2 = commands.find((c) => c.cmd.pileNo === 'F2' && c.cmd.action === 'start')!.cmd;
  await h.bus.publish('device.command-acked', {
    pileId: 'default-F2', stationId: 'default', pileNo: 'F2', commandId: f2.commandId, accepted: false, reason: 'connector locked',
    replicaId: 'r-new', at: T0,
  });
  const faulted = await h.waitFor('pile.faulted', (e) => e.payload.pileNo === 'F2');
  t.match(faulted.payload.reason, /the pile refused the start: connector locked/);
  t.notOk(h.events.some((e) => e.type === 'session.started' && e.payload.sessionId === f2.sessionId));
});

t.test('a stop for a driven pile nobody holds is held and delivered when the pile logs in again', async (t) => {
  // T2 (driven since the last test, registered on r-mute) charges o-2; it drops off: rule 5 ends the session
  await h.redis.del(deviceNames.pileOwnerKey(h.ns, 'default-T2'));
  await h.bus.publish('device.pile-offline', { pileId: 'default-T2', stationId: 'default', pileNo: 'T2', replicaId: 'r-mute', reason: 'heartbeat-timeout', at: T0 });
  const ended = await h.waitFor('session.ended', (e) => e.payload.sessionId === 'o-2#2');
  t.equal(ended.payload.reason, 'fault');
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(commands.some((c) => c.cmd.commandId === 'stop:o-2#2'), 'no holder: nothing sent');
  await online('T2', 'r-new');
  await until('the held stop on r-new', () => commands.some((c) => c.cmd.commandId === 'stop:o-2#2' && c.to === 'r-new'));
  t.pass('delivered to the new holder');
});

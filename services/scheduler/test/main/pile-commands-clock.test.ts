// A manual-clock run stays deterministic with device-driven piles: a clock advance moves from completion to
// completion and lets each start asked for on the way be answered before it moves on, so the next car's session
// starts at the previous one's completion (as on a modelled pile), not when the advance is over.
import t from 'tap';
import { deviceNames, WMS_PER_KWH } from '@voltq/contracts';
import { StationRepository } from '../../src/store/station-repository.js';
import { startHarness, type Harness } from '../support/harness.js';

const T0 = Date.parse('2025-03-03T09:00:00+08:00');
const MIN = 60_000;

let h: Harness;
t.before(async () => {
  h = await startHarness({ PILE_COMMAND_SCAN_MS: '50' });
});
t.teardown(async () => {
  await h?.close();
});

t.test('the car behind a completing car on a driven pile starts at the completion instant', async (t) => {
  await h.bus.call('scheduler.clockSet', { mode: 'manual', timeMs: T0 });
  await h.bus.call('scheduler.configure', { stationId: 'default', fastPiles: 1 });
  // replica r-auto holds F1; its pile acknowledges every start at once, stamped with the shared clock as the bridge does
  await h.bus.consume({
    queue: 'pile-commands-r-auto',
    types: ['pile.command'],
    exchange: 'commands',
    bindings: [deviceNames.pileCommandRoutingKey('r-auto')],
    transient: true,
    dedupe: false,
    handler: async (msg) => {
      const cmd = msg.payload;
      const { timeMs } = await h.bus.call('scheduler.clockGet', {});
      await h.bus.publish('device.command-acked', {
        pileId: cmd.pileId, stationId: 'default', pileNo: cmd.pileNo!, commandId: cmd.commandId, action: cmd.action,
        ...(cmd.sessionId ? { sessionId: cmd.sessionId } : {}), accepted: true, replicaId: 'r-auto', at: timeMs,
      });
    },
  });
  await h.redis.set(deviceNames.pileOwnerKey(h.ns, 'default-F1'), 'r-auto', 'PX', 60_000);
  await h.bus.publish('device.pile-online', { pileId: 'default-F1', stationId: 'default', pileNo: 'F1', replicaId: 'r-auto', protocol: 'ws', faulted: false, at: T0 });
  const repo = new StationRepository(h.redis, h.ns, `${h.ns}:unused`);
  const end = Date.now() + 5000;
  while ((await repo.load('default'))?.piles[0]?.driven !== true) {
    if (Date.now() > end) throw new Error('F1 never became driven');
    await new Promise((r) => setTimeout(r, 20));
  }

  for (const n of [1, 2]) {
    await h.bus.call('scheduler.submit', { orderId: `c-${n}`, userId: `${n}`, carId: `car-${n}`, stationId: 'default', mode: 'fast', energyWms: WMS_PER_KWH });
  }
  t.equal((await h.waitFor('session.started', (e) => e.payload.sessionId === 'c-1#1')).payload.startedAt, T0);
  await h.bus.call('scheduler.clockAdvance', { seconds: 30 * 60 });
  const first = await h.waitFor('session.ended', (e) => e.payload.sessionId === 'c-1#1');
  const second = await h.waitFor('session.ended', (e) => e.payload.sessionId === 'c-2#1');
  t.match(first.payload, { startedAt: T0, endedAt: T0 + 2 * MIN, energyWms: WMS_PER_KWH });
  t.match(second.payload, { startedAt: T0 + 2 * MIN, endedAt: T0 + 4 * MIN, energyWms: WMS_PER_KWH }, 'as a modelled pile would');
});

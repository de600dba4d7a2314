// Issue 8, defect 3: order numbers must never repeat, even after Redis lost its data (every key of the run's
// namespace deleted). Before, the daily number was a Redis INCR that started again at 1.
import t from 'tap';
import type { QueueEntryView } from '@voltq/contracts';
import { removeRedisNamespace } from '../../../../test/support/cleanup.js';
import { startHarness } from '../support/harness.js';

const KWH = 3_600_000_000;
const h = await startHarness();
t.teardown(() => h.close());

// the test plays the scheduler
let seq = 0;
await h.bus.serve('scheduler.submit', async (p): Promise<QueueEntryView> => ({
  orderId: p.orderId, userId: p.userId, queueNo: `F${++seq}`, mode: p.mode, energyWms: p.energyWms, sessionChargedWms: 0, sessionFeeFen: 0,
  requestChargedWms: 0, requestFeeFen: 0, remainingWms: p.energyWms, state: 'waiting', carsAhead: 0, createdAt: Date.now(),
}));

const orderNo = async (userId: string) =>
  (await h.bus.call('order.request', { userId, stationId: 'default', mode: 'fast', energyWms: 10 * KWH })).orderNo;

t.test('after Redis lost its data the next order number is not a repeat', async (t) => {
  const before = [await orderNo('1'), await orderNo('2')];
  await removeRedisNamespace(h.ns);
  const after = [await orderNo('3'), await orderNo('4')];
  const all = [...before, ...after];
  t.equal(new Set(all).size, all.length, `four different numbers: ${all.join(' ')}`);
  t.same([...all].sort(), all, 'and they keep counting up');
});

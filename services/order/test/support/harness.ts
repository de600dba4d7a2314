// The order service in-process on a fresh namespace (test/support/service-harness.ts); the test bus plays the
// scheduler (it serves scheduler.*), auth (auth.getCar) and billing.
import { runService, type ServiceHandle } from '@voltq/kit';
import { startServiceHarness, type ServiceHarness } from '../../../../test/support/service-harness.js';
import { orderService } from '../../src/main.js';

export interface Harness extends ServiceHarness {
  service: ServiceHandle;
}

/** What the run declares (deleted even where the broker cannot be listed). */
const QUEUES = [
  'order.events', 'order.transient',
  ...['order.request', 'order.get', 'order.list', 'order.modify', 'order.cancel', 'order.current', 'order.createWalkUp', 'order.stop'].map((m) => `rpc.${m}`),
  ...['scheduler.submit', 'scheduler.modify', 'scheduler.cancel', 'scheduler.position', 'auth.getCar', 'scheduler.startWalkUp', 'scheduler.stopWalkUp', 'device.get', 'billing.balance', 'billing.createRecharge'].map((m) => `rpc.${m}`),
];

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const h = await startServiceHarness({ label: 'order', busName: 'order-test', rpcTimeoutMs: 10_000, queues: QUEUES });
  const service = h.add(await runService({ ...orderService, env: h.env(env), exit: false }));
  return { ...h, service };
}

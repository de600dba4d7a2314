// The billing service in-process on a fresh namespace (test/support/service-harness.ts) with a test bus that
// records the events a test cares about.
import { runService, type MessageType, type ServiceHandle } from '@voltq/kit';
import { startServiceHarness, type ServiceHarness } from '../../../../test/support/service-harness.js';
import { billingService } from '../../src/main.js';

export interface Harness extends ServiceHarness {
  service: ServiceHandle;
}

/** What the run declares (deleted even where the broker cannot be listed). */
const QUEUES = [
  'billing.session-ended', 'billing.transient',
  'rpc.billing.getBill', 'rpc.billing.listBills', 'rpc.billing.sessionBill', 'rpc.billing.report',
  'rpc.billing.recharge', 'rpc.billing.balance', 'rpc.billing.ledger', 'rpc.billing.tariffs', 'rpc.billing.putTariff',
  'rpc.billing.statistics', 'rpc.billing.createRecharge', 'rpc.billing.payment', 'rpc.billing.wechatNotify',
  'rpc.billing.payOrder', 'rpc.billing.orderPayment',
];

export async function startHarness(watch: MessageType[], env: Record<string, string> = {}): Promise<Harness> {
  const h = await startServiceHarness({ label: 'bill', busName: 'billing-test', rpcTimeoutMs: 10_000, queues: QUEUES });
  const service = h.add(await runService({ ...billingService, env: h.env(env), exit: false }));
  await h.record(watch);
  return { ...h, service };
}

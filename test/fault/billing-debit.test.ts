// Fault test (issue 11): billing, a real process, is SIGKILLed between storing a walk-up bill and debiting the
// balance for it (the test-only hook VOLTQ_CRASH_AT=billing:after-bill, services/billing/src/crash-point.ts), then
// started again: the redelivered session.ended finds the stored bill and makes the missing debit. Exactly one bill,
// one bill.created, one debit; the balance moved once. Real RabbitMQ/Redis on a fresh namespace, embedded MongoDB.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { MessagePayload } from '@voltq/kit';
import { connectMongo } from '@voltq/kit';
import { startServiceHarness } from '../support/service-harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KWH = 3_600_000_000;
const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00+08:00`);
const TOTAL = 3750; // 30 kWh at 30 kW 06:10-07:10 by the default tariff

const h = await startServiceHarness({
  label: 'fbill',
  busName: 'fault-test',
  rpcTimeoutMs: 10_000,
  queues: ['billing.session-ended', 'billing.transient', ...['getBill', 'listBills', 'sessionBill', 'report', 'recharge', 'balance', 'ledger', 'tariffs', 'putTariff', 'statistics', 'createRecharge', 'payment', 'wechatNotify', 'payOrder', 'orderPayment'].map((m) => `rpc.billing.${m}`)],
});
const children = new Set<ChildProcess>();
t.teardown(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h.close();
});

/** billing as `pnpm start` runs it, in its own process; `crashAt` arms the test-only hook. */
function startBilling(crashAt?: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(root, 'services', 'billing'),
    env: { PATH: process.env.PATH ?? '', ...h.env(crashAt ? { VOLTQ_CRASH_AT: crashAt } : {}) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited };
}

const mongo = await connectMongo(h.mongo.uri, { dbName: h.ns });
t.teardown(() => mongo.close());
const bills = () => mongo.collection('bills').find({}).toArray();

await h.record(['bill.created']);
const session: MessagePayload<'session.ended'> = {
  sessionId: 'fault-s1', orderId: 'fault-o1', userId: 'fault-u1', stationId: 'walk', pileNo: 'P1', queueNo: '', mode: 'fast',
  startedAt: at('06:10'), endedAt: at('07:10'), energyWms: 30 * KWH, powerW: 30_000, reason: 'stopped',
  kind: 'walk-up', deviceId: 'dev-1', pileId: 'walk-P1', portNo: 1, origin: 'app', chargingMode: 1, paymentMethod: 3, stopReason: 1,
};

t.test('killed between the bill and its debit, restarted: one bill, one debit, the balance moved once', async (t) => {
  const first = startBilling('billing:after-bill');
  await h.untilServed(['billing.recharge', 'billing.balance'], 30_000);
  await h.bus.call('billing.recharge', { userId: 'fault-u1', amountFen: 5000, requestId: 'top-up' });
  await h.bus.publish('session.ended', session);
  t.equal(await first.exited, 'SIGKILL', 'billing died at the crash point');
  const stored = await bills();
  t.equal(stored.length, 1, 'the bill was stored before the crash');
  t.match(stored[0], { sessionId: 'fault-s1', totalFen: TOTAL, settling: true });
  t.equal(stored[0]!.paidFen, undefined, 'not debited yet');
  t.equal(h.events.length, 0, 'no bill.created before the debit');

  const second = startBilling();
  // the unacked session.ended comes back to the new process (after the dead one's dedupe claim lapses)
  const created = await h.waitFor('bill.created', (e) => e.payload.sessionId === 'fault-s1', 30_000);
  t.match(created.payload, { billId: stored[0]!.billId, totalFen: TOTAL, paidFen: TOTAL, owedFen: 0 });
  // and once more, the same session re-published: nothing changes
  await h.bus.publish('session.ended', session);
  await new Promise((r) => setTimeout(r, 1500));
  t.equal((await bills()).length, 1, 'one bill');
  t.equal(h.events.filter((e) => e.type === 'bill.created').length, 1, 'one bill.created');
  const ledger = await h.bus.call('billing.ledger', { userId: 'fault-u1', pageNum: 1, pageSize: 20 });
  t.same(ledger.items.map((e) => [e.kind, e.cause, e.amountFen]), [
    ['bill', `bill:${stored[0]!.billId}`, -TOTAL],
    ['recharge', 'recharge:top-up', 5000],
  ], 'one debit');
  t.equal((await h.bus.call('billing.balance', { userId: 'fault-u1' })).balanceFen, 5000 - TOTAL, 'the balance moved once');
  second.child.kill('SIGTERM');
  await second.exited;
});

// Billing's consumers and RPC: thin adapters between the bus and the pure bill building and ledger rules.
import { DomainError, ownedOrNotFound, type Bus, type Clock, type Logger, type MongoOutboxRelay, type RpcResult, type ServiceContext } from '@voltq/kit';
import type { Bill, PaymentView } from '@voltq/contracts';
import { crashPoint } from './crash-point.js';
import { buildBill } from './domain/bill.js';
import { causeOf, checkRechargeAmount, checkSameRequest } from './domain/ledger.js';
import { sumByPile } from './domain/report.js';
import { chargingStatistics } from './domain/statistics.js';
import { answerOf, defaultTariffDocument, putVersion, tariffForSession, tariffIdOf } from './domain/tariffs.js';
import type { LedgerRepository } from './store/ledger.js';
import type { BillRepository } from './store/repository.js';
import type { TariffRepository } from './store/tariffs.js';
import type { PaymentRepository } from './store/payments.js';
import type { WechatPayClient } from './store/wechat-client.js';
import { checkPlainRequestId, checkRechargeMethod, newPaymentId, paidRechargeCause } from './domain/payments.js';
import {
  billCause,
  billDebitFen,
  chargesBalance,
  checkOrderPayMethod,
  orderBalancePayment,
  orderPaymentOf,
  orderPayCause,
  orderPayPrefix,
  orderProviderPayment,
  settledBill,
} from './domain/settlement.js';
import { notifyAnswerFor, notifyFailAnswer, peekNotifyOrder, verifyNotify, type WechatMerchant } from './domain/wechat.js';

type Redis = ServiceContext['redis'];

export interface BillingDeps {
  bus: Bus;
  redis: Redis;
  clock: Clock;
  repo: BillRepository;
  ledger: LedgerRepository;
  relay: MongoOutboxRelay;
  ns: string;
  log: Logger;
  /** the tariff documents; a session is priced by the one it names (absent: `default`) */
  tariffs: TariffRepository;
  payments: PaymentRepository;
  /** WeChat Pay (undefined: not configured, payments through it are refused) */
  wechat: { merchant: WechatMerchant; client: WechatPayClient; notifyUrl: string } | undefined;
}

const POLL_MS = 50;

export async function registerHandlers(deps: BillingDeps): Promise<void> {
  const { bus, clock, repo, ledger, relay, tariffs } = deps;
  await tariffs.seed(defaultTariffDocument(clock.now()));

  await bus.consume({
    queue: 'session-ended',
    types: ['session.ended'],
    async handler(msg, { log }) {
      const session = msg.payload;
      const stored = await repo.settlementOf(session.sessionId);
      if (stored && !stored.settling) return; // billed already (redelivery)
      let bill = stored?.bill;
      if (!bill) {
        const createdAt = clock.now();
        const tariffId = tariffIdOf(session);
        let doc = await tariffs.byId(tariffId);
        if (!doc) {
          // a bill is made whatever the session names: an unknown tariff prices as `default` (and says so)
          log.warn({ sessionId: session.sessionId, tariffId }, 'unknown tariff: billed by the tariff default');
          doc = (await tariffs.byId('default')) ?? defaultTariffDocument(createdAt);
        }
        bill = buildBill(session, tariffForSession(doc, session), {
          billId: repo.newBillId(),
          billNo: await repo.nextBillNo(createdAt),
          createdAt,
        });
        if (!chargesBalance(bill)) {
          const created = bus.envelope('bill.created', bill, { correlationId: msg.correlationId });
          if (await repo.insert(bill, created)) {
            log.info({ billId: bill.billId, sessionId: bill.sessionId, totalFen: bill.totalFen }, 'bill created');
            relay.kick();
          }
          return;
        }
        if (!(await repo.insertSettling(bill))) {
          // a concurrent handler of the same session stored its bill first: finish that one (if it is not already)
          const raced = await repo.settlementOf(session.sessionId);
          if (!raced?.settling) return;
          bill = raced.bill;
        }
        crashPoint('billing:after-bill');
      }
      // the bill is stored: debit it (once per bill, whatever crashed before) and only then announce it
      await settleBill(deps, bill, msg.correlationId, log);
    },
  });

  await bus.serve('billing.getBill', async (params) => ownedOrNotFound(await repo.byId(params.billId), params.userId, `bill ${params.billId}`));

  await bus.serve('billing.listBills', async (params) => {
    const page = await repo.list(params);
    return { ...page, pageNum: params.pageNum, pageSize: params.pageSize };
  });

  await bus.serve('billing.report', async (params) => {
    if (params.toMs <= params.fromMs) throw new DomainError('VALIDATION', 'the report period must end after it starts');
    return { rows: sumByPile(await repo.forReport(params)) };
  });

  await bus.serve('billing.statistics', async (params) => {
    if (params.fromMs !== undefined && params.toMs !== undefined && params.toMs <= params.fromMs) throw new DomainError('VALIDATION', 'the period must end after it starts');
    return chargingStatistics(await repo.forStatistics(params), params.timeZone);
  });

  await bus.serve('billing.sessionBill', async (params, { deadline }) => {
    // the bill follows session.ended asynchronously: wait for it a little if asked to
    const until = Math.min(Date.now() + (params.waitMs ?? 0), deadline - 100);
    for (;;) {
      const bill = await repo.bySession(params.sessionId);
      if (bill || Date.now() + POLL_MS > until) return ownedOrNotFound(bill, params.userId, `bill of session ${params.sessionId}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  });

  // the balance ledger: a recharge credits directly (document 002's plain amount, no payment provider)
  await bus.serve('billing.recharge', async (params) => {
    checkRechargeAmount(params.amountFen);
    checkPlainRequestId(params.requestId);
    const cause = causeOf('recharge', params.requestId);
    const entered = await ledger.enter({ userId: params.userId, kind: 'recharge', amountFen: params.amountFen, cause, createdAt: clock.now() });
    const entry = checkSameRequest(entered, params.amountFen);
    return { entry, balanceFen: (await ledger.balance(params.userId)).balanceFen };
  });

  await bus.serve('billing.tariffs', async () => ({ tariffs: (await tariffs.list()).map((doc) => answerOf(doc, clock.now())) }));

  await bus.serve('billing.putTariff', async (params) => answerOf(await tariffs.update(params.tariffId, (existing) => putVersion(existing, params, clock.now())), clock.now()));

  await registerPayments(deps);
  await registerOrderPayments(deps);

  await bus.serve('billing.balance', async (params) => ledger.balance(params.userId));

  await bus.serve('billing.ledger', async (params) => {
    const page = await ledger.list(params);
    return { ...page, pageNum: params.pageNum, pageSize: params.pageSize };
  });
}

/** Debits a stored bill's total from its user's balance (never below zero) and records what was paid and owed. */
async function settleBill({ bus, clock, repo, ledger, relay }: BillingDeps, bill: Bill, correlationId: string, log: Logger): Promise<void> {
  const entry = await ledger.debit(
    { userId: bill.userId, kind: 'bill', cause: billCause(bill.billId), createdAt: clock.now() },
    (balanceFen) => billDebitFen(balanceFen, bill.totalFen),
  );
  const settled = settledBill(bill, entry ? -entry.amountFen : 0);
  const created = bus.envelope('bill.created', settled, { correlationId });
  if (await repo.settle(bill.billId, { paidFen: settled.paidFen!, owedFen: settled.owedFen! }, created)) {
    log.info({ billId: bill.billId, sessionId: bill.sessionId, totalFen: bill.totalFen, paidFen: settled.paidFen, owedFen: settled.owedFen }, 'bill created and debited');
    relay.kick();
  }
}

/** What an order still owes: its settled bills less its order payments (entries of negative amounts). */
async function owedOf({ repo, ledger }: BillingDeps, orderId: string, userId: string): Promise<number> {
  const paidByOrderFen = -(await ledger.sumByCausePrefix(userId, orderPayPrefix(orderId)));
  return orderPaymentOf(await repo.forOrder(orderId), paidByOrderFen).owedFen;
}

/** The user's order as billing knows it: its bills. Another user's order does not exist for them. */
async function orderBills({ repo }: BillingDeps, orderId: string, userId: string | undefined) {
  const bills = await repo.forOrder(orderId);
  if (userId !== undefined && bills.some((b) => b.userId !== userId)) throw new DomainError('NOT_FOUND', `order ${orderId} not found`, { resource: 'order' });
  return bills;
}

/** Asks WeChat Pay for the code to scan of a stored payment (repeating it with the same out_trade_no is safe). */
async function askWechat({ wechat, payments, log }: BillingDeps, payment: PaymentView, body: string): Promise<PaymentView> {
  if (!wechat) throw new DomainError('UNAVAILABLE', 'WeChat Pay is not configured (WECHAT_MCH_ID, WECHAT_MCH_KEY)', { resource: 'payment' });
  const answer = await wechat.client.unifiedOrder({ outTradeNo: payment.paymentId, totalFeeFen: payment.amountFen, body, notifyUrl: wechat.notifyUrl });
  if (!answer.ok) {
    if (answer.reason === 'unreachable') throw new DomainError('UNAVAILABLE', `WeChat Pay could not be asked: ${answer.message}`, { resource: 'payment' });
    await payments.failed(payment.paymentId);
    log.warn({ paymentId: payment.paymentId, reason: answer.reason, errCode: answer.errCode }, 'WeChat Pay refused the unified order');
    throw new DomainError('VALIDATION', `WeChat Pay refused the payment: ${answer.message}`, { resource: 'payment' });
  }
  return (await payments.issued(payment.paymentId, answer.codeUrl)) ?? { ...payment, codeUrl: answer.codeUrl, status: 1 };
}

/**
 * Paying what an order owes (`billing.payOrder`): from the balance at once (the whole owed amount or nothing), or
 * through a WeChat prepay whose verified notify credits the balance and then pays the order from it. The same
 * (userId, requestId) answers the payment it made; the owed amount counts earlier payments, so nothing is paid twice.
 */
async function registerOrderPayments(deps: BillingDeps): Promise<void> {
  const { bus, clock, ledger, payments } = deps;
  const result = async (p: PaymentView) => {
    const r: RpcResult<'billing.payOrder'> = {
      paymentId: p.paymentId, orderId: p.orderId!, method: p.method, amountFen: p.amountFen, status: p.status,
      owedFen: await owedOf(deps, p.orderId!, p.userId),
    };
    if (p.codeUrl !== undefined) r.codeUrl = p.codeUrl;
    return r;
  };

  await bus.serve('billing.payOrder', async (params) => {
    checkOrderPayMethod(params.method);
    const made = await payments.byRequest(params.userId, params.requestId);
    if (made && (made.purpose !== 'order' || made.orderId !== params.orderId || made.method !== params.method)) {
      throw new DomainError('CONFLICT', `request ${params.requestId} made another payment already`);
    }
    if (made && (made.codeUrl !== undefined || made.status >= 2)) return result(made);
    await orderBills(deps, params.orderId, params.userId);
    const now = clock.now();
    if (params.method === 3) {
      const entry = await ledger.debit(
        { userId: params.userId, kind: 'bill', cause: orderPayCause(params.orderId, params.requestId), createdAt: now },
        async (balanceFen) => orderBalancePayment(await owedOf(deps, params.orderId, params.userId), balanceFen),
      );
      const payment = await payments.createOrGet({
        paymentId: newPaymentId(now, 'P'), userId: params.userId, requestId: params.requestId, purpose: 'order', orderId: params.orderId,
        method: 3, amountFen: -entry!.amountFen, status: 2, paidAt: now, createdAt: now,
      });
      return result(payment);
    }
    const owedFen = made?.amountFen ?? (await owedOf(deps, params.orderId, params.userId));
    if (owedFen <= 0) throw new DomainError('CONFLICT', 'nothing owed on this order', { resource: 'payment' });
    if (!deps.wechat) throw new DomainError('UNAVAILABLE', 'WeChat Pay is not configured (WECHAT_MCH_ID, WECHAT_MCH_KEY)', { resource: 'payment' });
    const payment = made ?? (await payments.createOrGet({
      paymentId: newPaymentId(now, 'P'), userId: params.userId, requestId: params.requestId, purpose: 'order', orderId: params.orderId,
      method: 1, amountFen: owedFen, status: 0, createdAt: now,
    }));
    if (payment.orderId !== params.orderId || payment.method !== 1) throw new DomainError('CONFLICT', `request ${params.requestId} made another payment already`);
    if (payment.codeUrl !== undefined || payment.status >= 2) return result(payment);
    return result(await askWechat(deps, payment, 'VoltQ 充电订单'));
  });

  await bus.serve('billing.orderPayment', async (params) => {
    const bills = await orderBills(deps, params.orderId, params.userId);
    const userId = params.userId ?? bills[0]?.userId;
    const paidByOrderFen = userId === undefined ? 0 : -(await ledger.sumByCausePrefix(userId, orderPayPrefix(params.orderId)));
    return { orderId: params.orderId, ...orderPaymentOf(bills, paidByOrderFen) };
  });
}

/**
 * Recharges through WeChat Pay: the payment is stored before WeChat is asked (a retry with the same request names
 * it), WeChat's code_url is kept, and a notify credits the balance only once it is verified (signature, merchant,
 * order, amount) and only once per payment (the ledger cause), whatever WeChat redelivers.
 */
async function registerPayments(deps: BillingDeps): Promise<void> {
  const { bus, clock, ledger, payments, wechat, log } = deps;
  await bus.serve('billing.createRecharge', async (params) => {
    checkRechargeAmount(params.amountFen);
    checkRechargeMethod(params.method);
    if (!wechat) throw new DomainError('UNAVAILABLE', 'WeChat Pay is not configured (WECHAT_MCH_ID, WECHAT_MCH_KEY)', { resource: 'payment' });
    const now = clock.now();
    const payment = await payments.createOrGet({
      paymentId: newPaymentId(now), userId: params.userId, requestId: params.requestId, purpose: 'recharge',
      method: params.method, amountFen: params.amountFen, status: 0, createdAt: now,
    });
    if (payment.amountFen !== params.amountFen || payment.method !== params.method) {
      throw new DomainError('CONFLICT', `request ${params.requestId} made a payment of ${payment.amountFen} fen already`);
    }
    if (payment.codeUrl !== undefined || payment.status >= 2) return payment;
    return askWechat(deps, payment, 'VoltQ 账户充值');
  });

  await bus.serve('billing.payment', async (params) => ownedOrNotFound(await payments.byId(params.paymentId), params.userId, `payment ${params.paymentId}`));

  await bus.serve('billing.wechatNotify', async ({ xml }) => {
    if (!wechat) return { answerXml: notifyFailAnswer('not configured'), credited: false };
    const outTradeNo = peekNotifyOrder(xml);
    const payment = outTradeNo ? await payments.byId(outTradeNo) : undefined;
    if (!payment) {
      log.warn({ outTradeNo }, 'a WeChat notify for no payment of ours');
      return { answerXml: notifyFailAnswer('unknown order'), credited: false };
    }
    const verdict = verifyNotify(wechat.merchant, xml, { outTradeNo: payment.paymentId, totalFeeFen: payment.amountFen });
    if (!verdict.ok) {
      log.warn({ paymentId: payment.paymentId, reason: verdict.reason }, 'a WeChat notify was refused: nothing credited');
      return { answerXml: notifyAnswerFor(verdict), credited: false };
    }
    // credit first (idempotent by its cause), then mark paid: a crash between them is finished by WeChat's retry
    await ledger.enter({ userId: payment.userId, kind: 'recharge', amountFen: payment.amountFen, cause: paidRechargeCause(payment.paymentId), createdAt: clock.now() });
    if (payment.purpose === 'order' && payment.orderId !== undefined) {
      // an order's payment: what was paid in pays what the order still owes (once: the cause names this payment)
      const orderId = payment.orderId;
      await ledger.debit(
        { userId: payment.userId, kind: 'bill', cause: orderPayCause(orderId, payment.paymentId), createdAt: clock.now() },
        async (balanceFen) => orderProviderPayment(payment.amountFen, await owedOf(deps, orderId, payment.userId), balanceFen),
      );
    }
    const credited = await payments.paid(payment.paymentId, verdict.notify.transactionId, clock.now());
    log.info({ paymentId: payment.paymentId, credited }, credited ? 'recharge paid and credited' : 'a repeated WeChat notify: credited once already');
    return { answerXml: notifyAnswerFor(verdict), credited };
  });
}

// Billing's consumers and RPC: thin adapters between the bus and the pure bill building and ledger rules.
import { DomainError, ownedOrNotFound, type Bus, type Clock, type Logger, type MongoOutboxRelay, type ServiceContext } from '@voltq/kit';
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
      if (await repo.bySession(session.sessionId)) return; // billed already (redelivery)
      const createdAt = clock.now();
      const tariffId = tariffIdOf(session);
      let doc = await tariffs.byId(tariffId);
      if (!doc) {
        // a bill is made whatever the session names: an unknown tariff prices as `default` (and says so)
        log.warn({ sessionId: session.sessionId, tariffId }, 'unknown tariff: billed by the tariff default');
        doc = (await tariffs.byId('default')) ?? defaultTariffDocument(createdAt);
      }
      const bill = buildBill(session, tariffForSession(doc, session), {
        billId: repo.newBillId(),
        billNo: await repo.nextBillNo(createdAt),
        createdAt,
      });
      const created = bus.envelope('bill.created', bill, { correlationId: msg.correlationId });
      if (await repo.insert(bill, created)) {
        log.info({ billId: bill.billId, sessionId: bill.sessionId, totalFen: bill.totalFen }, 'bill created');
        relay.kick();
      }
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

  await bus.serve('billing.balance', async (params) => ledger.balance(params.userId));

  await bus.serve('billing.ledger', async (params) => {
    const page = await ledger.list(params);
    return { ...page, pageNum: params.pageNum, pageSize: params.pageSize };
  });
}

/**
 * Recharges through WeChat Pay: the payment is stored before WeChat is asked (a retry with the same request names
 * it), WeChat's code_url is kept, and a notify credits the balance only once it is verified (signature, merchant,
 * order, amount) and only once per payment (the ledger cause), whatever WeChat redelivers.
 */
async function registerPayments({ bus, clock, ledger, payments, wechat, log }: BillingDeps): Promise<void> {
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
    const answer = await wechat.client.unifiedOrder({ outTradeNo: payment.paymentId, totalFeeFen: payment.amountFen, body: 'VoltQ 账户充值', notifyUrl: wechat.notifyUrl });
    if (!answer.ok) {
      if (answer.reason === 'unreachable') throw new DomainError('UNAVAILABLE', `WeChat Pay could not be asked: ${answer.message}`, { resource: 'payment' });
      await payments.failed(payment.paymentId);
      log.warn({ paymentId: payment.paymentId, reason: answer.reason, errCode: answer.errCode }, 'WeChat Pay refused the unified order');
      throw new DomainError('VALIDATION', `WeChat Pay refused the payment: ${answer.message}`, { resource: 'payment' });
    }
    return (await payments.issued(payment.paymentId, answer.codeUrl)) ?? { ...payment, codeUrl: answer.codeUrl, status: 1 };
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
    const credited = await payments.paid(payment.paymentId, verdict.notify.transactionId, clock.now());
    log.info({ paymentId: payment.paymentId, credited }, credited ? 'recharge paid and credited' : 'a repeated WeChat notify: credited once already');
    return { answerXml: notifyAnswerFor(verdict), credited };
  });
}

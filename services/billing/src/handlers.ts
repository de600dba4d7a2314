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
    const cause = causeOf('recharge', params.requestId);
    const entered = await ledger.enter({ userId: params.userId, kind: 'recharge', amountFen: params.amountFen, cause, createdAt: clock.now() });
    const entry = checkSameRequest(entered, params.amountFen);
    return { entry, balanceFen: (await ledger.balance(params.userId)).balanceFen };
  });

  await bus.serve('billing.tariffs', async () => ({ tariffs: (await tariffs.list()).map((doc) => answerOf(doc, clock.now())) }));

  await bus.serve('billing.putTariff', async (params) => answerOf(await tariffs.update(params.tariffId, (existing) => putVersion(existing, params, clock.now())), clock.now()));

  await bus.serve('billing.balance', async (params) => ledger.balance(params.userId));

  await bus.serve('billing.ledger', async (params) => {
    const page = await ledger.list(params);
    return { ...page, pageNum: params.pageNum, pageSize: params.pageSize };
  });
}

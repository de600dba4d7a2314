// Billing's consumers and RPC: thin adapters between the bus and the pure bill building.
import { Types } from 'mongoose';
import type { Bill } from '@voltq/contracts';
import { DomainError, formatIso, type Bus, type Clock, type Logger, type MongoCounters, type MongoOutboxRelay, type ServiceContext } from '@voltq/kit';
import type { Tariff } from '@voltq/tariff';
import { buildBill, formatBillNo } from './domain/bill.js';
import { sumByPile } from './domain/report.js';
import type { BillRepository } from './repository.js';

type Redis = ServiceContext['redis'];

export interface BillingDeps {
  bus: Bus;
  redis: Redis;
  clock: Clock;
  repo: BillRepository;
  relay: MongoOutboxRelay;
  /** durable counters (bill numbers) */
  counters: MongoCounters;
  ns: string;
  log: Logger;
  /** the tariff a session is priced with (one default tariff until tariffs are configurable) */
  tariffFor(stationId: string): Tariff;
}

const POLL_MS = 50;

/** A MongoDB counter per day (never Redis: a loss of Redis must not reissue a number), starting above the highest
 * bill number already stored for that day. */
async function nextBillNo(deps: BillingDeps, nowMs: number): Promise<string> {
  const day = formatIso(nowMs).slice(0, 10).replaceAll('-', '');
  const seq = await deps.counters.next(`bill-no:${day}`, () => deps.repo.highestBillSeq(day));
  return formatBillNo(day, seq);
}

function visible(bill: Bill | undefined, userId: string | undefined, what: string): Bill {
  // another user's bill does not exist for the caller
  if (!bill || (userId !== undefined && bill.userId !== userId)) throw new DomainError('NOT_FOUND', `${what} not found`);
  return bill;
}

export async function registerBillingHandlers(deps: BillingDeps): Promise<void> {
  const { bus, clock, repo, relay } = deps;

  await bus.consume({
    queue: 'session-ended',
    types: ['session.ended'],
    async handler(msg, { log }) {
      const session = msg.payload;
      if (await repo.bySession(session.sessionId)) return; // billed already (redelivery)
      const createdAt = clock.now();
      const bill = buildBill(session, deps.tariffFor(session.stationId), {
        billId: new Types.ObjectId().toHexString(),
        billNo: await nextBillNo(deps, createdAt),
        createdAt,
      });
      const created = bus.envelope('bill.created', bill, { correlationId: msg.correlationId });
      if (await repo.insert(bill, created)) {
        log.info({ billId: bill.billId, sessionId: bill.sessionId, totalFen: bill.totalFen }, 'bill created');
        relay.kick();
      }
    },
  });

  await bus.serve('billing.getBill', async (params) => visible(await repo.byId(params.billId), params.userId, `bill ${params.billId}`));

  await bus.serve('billing.listBills', async (params) => {
    const page = await repo.list(params);
    return { ...page, pageNum: params.pageNum, pageSize: params.pageSize };
  });

  await bus.serve('billing.report', async (params) => {
    if (params.toMs <= params.fromMs) throw new DomainError('VALIDATION', 'the report period must end after it starts');
    return { rows: sumByPile(await repo.forReport(params)) };
  });

  await bus.serve('billing.sessionBill', async (params, { deadline }) => {
    // the bill follows session.ended asynchronously: wait for it a little if asked to
    const until = Math.min(Date.now() + (params.waitMs ?? 0), deadline - 100);
    for (;;) {
      const bill = await repo.bySession(params.sessionId);
      if (bill || Date.now() + POLL_MS > until) return visible(bill, params.userId, `bill of session ${params.sessionId}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  });
}

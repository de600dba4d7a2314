// Billing: bills (详单) and their events and RPC.
import { Type, type Static } from '@sinclair/typebox';
import { ChargeMode, EnergyWms, EpochMs, FeeFen, Id, Page, PageParams, type RpcSchemaPair } from './common.js';

/** One tariff tier's share of a bill (document 004's sharp/peak/flat/valley/deep-valley split). */
export const TierSplit = Type.Object({
  tier: Type.String({ description: 'sharp | peak | flat | valley | deepValley (tariff TierName)' }),
  energyWms: EnergyWms(),
  energyFeeFen: FeeFen({ description: "this tier's energy fee, rounded half-up on its own (display)" }),
});
export type TierSplit = Static<typeof TierSplit>;

/** A bill (详单): exactly one per charging session, even a session of 0 kWh. */
export const Bill = Type.Object({
  billId: Id,
  billNo: Type.String({ description: 'shown to users: B + station-local date of the session end + daily sequence' }),
  createdAt: EpochMs(),
  userId: Id,
  carId: Type.Optional(Id),
  orderId: Id,
  sessionId: Id,
  stationId: Id,
  pileNo: Type.String(),
  queueNo: Type.String(),
  mode: Type.Optional(ChargeMode),
  reason: Type.Optional(Type.String({ description: 'why the session ended: completed | cancelled | fault | pile-off | stopped' })),
  powerW: Type.Integer({ minimum: 0 }),
  energyWms: EnergyWms(),
  durationMs: Type.Integer({ minimum: 0 }),
  startedAt: EpochMs(),
  endedAt: EpochMs(),
  energyFeeFen: FeeFen({ description: 'exact sum over tiers, rounded once half-up' }),
  serviceFeeFen: FeeFen(),
  totalFen: FeeFen({ description: 'energyFeeFen + serviceFeeFen' }),
  tiers: Type.Array(TierSplit),
});
export type Bill = Static<typeof Bill>;

/** bill.created carries the whole bill: the order service links it and the gateway can push it. */
export const BillCreated = Bill;
export type BillCreated = Bill;

export const billingMessages = {
  'bill.created': BillCreated,
} as const;

/** With userId, a bill of another user is NOT_FOUND (users see only their own). */
export const GetBillParams = Type.Object({ billId: Id, userId: Type.Optional(Id) });
/** Newest first (by session end). */
export const ListBillsParams = Type.Object({
  userId: Type.Optional(Id),
  orderId: Type.Optional(Id),
  sessionId: Type.Optional(Id),
  stationId: Type.Optional(Id),
  ...PageParams,
});
export const BillList = Page(Bill);
/**
 * The bill of one session. The bill is made asynchronously from `session.ended`; with waitMs the call waits up to
 * that long for it to appear (e.g. right after a cancel stopped a session), then answers NOT_FOUND.
 */
export const SessionBillParams = Type.Object({
  sessionId: Id,
  userId: Type.Optional(Id),
  waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
});

/**
 * A station's report per pile over [fromMs, toMs), by when each session ended (clock time). Only piles with at
 * least one session in the range have a row; the caller knows the station's piles if it wants zeros.
 */
export const ReportParams = Type.Object({
  stationId: Id,
  pileNo: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  fromMs: EpochMs({ description: 'inclusive' }),
  toMs: EpochMs({ description: 'exclusive; after fromMs' }),
});
export type ReportParams = Static<typeof ReportParams>;
/** Exact sums of the bills of one pile. */
export const ReportRow = Type.Object({
  pileNo: Type.String(),
  sessions: Type.Integer({ minimum: 0 }),
  durationMs: Type.Integer({ minimum: 0 }),
  energyWms: EnergyWms(),
  energyFeeFen: FeeFen(),
  serviceFeeFen: FeeFen(),
  totalFen: FeeFen(),
});
export type ReportRow = Static<typeof ReportRow>;
/** Rows ordered by pile number (F2 before F10). */
export const Report = Type.Object({ rows: Type.Array(ReportRow) });
export type Report = Static<typeof Report>;

export const billingRpc = {
  'billing.getBill': { params: GetBillParams, result: Bill },
  'billing.listBills': { params: ListBillsParams, result: BillList },
  'billing.sessionBill': { params: SessionBillParams, result: Bill },
  'billing.report': { params: ReportParams, result: Report },
} as const satisfies Record<string, RpcSchemaPair>;

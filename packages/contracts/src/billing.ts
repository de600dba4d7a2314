// Billing: bills (详单) and their events and RPC; the balance ledger.
import { Type, type Static } from '@sinclair/typebox';
import { ChargeMode, EnergyWms, EpochMs, FeeFen, Id, Literals, Page, PageParams, type RpcSchemaPair } from './common.js';

/** One tariff tier's share of a bill (document 004's sharp/peak/flat/valley/deep-valley split). */
export const TierSplit = Type.Object({
  tier: Type.String({ description: 'sharp | peak | flat | valley | deepValley (tariff TierName)' }),
  energyWms: EnergyWms(),
  energyFeeFen: FeeFen({ description: "this tier's energy fee, rounded half-up on its own (display)" }),
});
export type TierSplit = Static<typeof TierSplit>;

/** Document 004's payment methods (004:771): 1 WeChat Pay, 2 Alipay (refused unless configured), 3 the balance. */
export const PaymentMethod = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]);
export type PaymentMethod = Static<typeof PaymentMethod>;

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
  // ---- walk-up sessions ----
  deviceId: Type.Optional(Type.String()),
  pileId: Type.Optional(Type.String()),
  portNo: Type.Optional(Type.Integer({ minimum: 1 })),
  /** how the session is paid: 1 WeChat prepay into the balance, 3 the balance (a card session too); absent: not charged to a balance */
  paymentMethod: Type.Optional(PaymentMethod),
  /** debited from the balance when the bill was made (never below zero) */
  paidFen: Type.Optional(FeeFen()),
  /** the rest, owed on the order until paid (`billing.payOrder`) */
  owedFen: Type.Optional(FeeFen()),
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
/** Newest first (by session end); fromMs/toMs bound the session's end (inclusive, exclusive). */
export const ListBillsParams = Type.Object({
  userId: Type.Optional(Id),
  orderId: Type.Optional(Id),
  sessionId: Type.Optional(Id),
  stationId: Type.Optional(Id),
  /** the session ended in [fromMs, toMs) */
  fromMs: Type.Optional(EpochMs()),
  toMs: Type.Optional(EpochMs()),
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

/**
 * One user's charging statistics over [fromMs, toMs) (absent: unbounded), by when each session ended; `days` groups
 * them by the session end's local date in `timeZone`, oldest first, days without a session left out.
 */
export const StatisticsParams = Type.Object({
  userId: Id,
  fromMs: Type.Optional(EpochMs({ description: 'inclusive' })),
  toMs: Type.Optional(EpochMs({ description: 'exclusive' })),
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the days' }),
}, { additionalProperties: false });
export type StatisticsParams = Static<typeof StatisticsParams>;
const StatisticsSums = {
  sessions: Type.Integer({ minimum: 0 }),
  energyWms: EnergyWms(),
  totalFen: FeeFen(),
};
export const Statistics = Type.Object({
  ...StatisticsSums,
  durationMs: Type.Integer({ minimum: 0 }),
  days: Type.Array(Type.Object({ date: Type.String({ description: 'YYYY-MM-DD' }), ...StatisticsSums })),
});
export type Statistics = Static<typeof Statistics>;

/**
 * The most one recharge may credit: 100 000 yuan. Far above any charging session, low enough that a mistyped amount
 * (yuan sent as fen times 100) is refused, and that balances stay exact integers (2^53 fen is ~900 billion recharges).
 */
export const RECHARGE_MAX_FEN = 10_000_000;

/** What moved a balance; `bill` (a debit by a bill's total) and `refund` come with document 004's payments. */
export const LEDGER_ENTRY_KINDS = ['recharge', 'bill', 'refund'] as const;
export const LedgerEntryKind = Literals(LEDGER_ENTRY_KINDS);
export type LedgerEntryKind = Static<typeof LedgerEntryKind>;

/**
 * One credit or debit of a user's balance. Entries are only ever appended, never edited; the balance is their sum.
 * `cause` says what made it (`recharge:<requestId>`, `bill:<billId>`, `refund:<refundId>`) and is unique per user,
 * so a redelivered or retried cause never moves the balance twice.
 */
export const LedgerEntry = Type.Object({
  entryId: Id,
  userId: Id,
  kind: LedgerEntryKind,
  amountFen: Type.Integer({ description: 'signed: a credit > 0, a debit < 0' }),
  cause: Type.String({ minLength: 1, maxLength: 160, description: '<kind>:<id of what caused it>, unique per user' }),
  createdAt: EpochMs(),
  balanceAfterFen: Type.Integer({ description: 'the balance right after this entry: the sum of the entries up to it' }),
});
export type LedgerEntry = Static<typeof LedgerEntry>;

/**
 * Credit `amountFen` to the user's balance, once per `requestId` (the caller's idempotency key): the same requestId
 * again answers the entry it made (and the balance now) without crediting again; the same requestId with another
 * amount is CONFLICT. No payment provider: the amount is credited as asked (document 002's plain-amount recharge).
 */
export const RechargeParams = Type.Object({
  userId: Id,
  amountFen: Type.Integer({ minimum: 1, maximum: RECHARGE_MAX_FEN, description: 'fen, 1 .. RECHARGE_MAX_FEN' }),
  requestId: Id,
});
export type RechargeParams = Static<typeof RechargeParams>;
export const RechargeResult = Type.Object({
  entry: LedgerEntry,
  balanceFen: Type.Integer({ description: 'the balance now (on a retry it may include later entries)' }),
});
export type RechargeResult = Static<typeof RechargeResult>;

/** 004:806: 0 not paid, 1 paying, 2 paid, 3 failed, 4 refunded. */
export const PaymentStatus = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)]);
export type PaymentStatus = Static<typeof PaymentStatus>;
/**
 * A payment through a provider: a recharge of the balance (`purpose` recharge) or an order's payment. `paymentId` is
 * WeChat's `out_trade_no`; `codeUrl` the NATIVE `code_url` a payer scans.
 */
export const PaymentView = Type.Object({
  paymentId: Type.String({ minLength: 6, maxLength: 32 }),
  userId: Id,
  purpose: Literals(['recharge', 'order']),
  orderId: Type.Optional(Id),
  method: PaymentMethod,
  amountFen: FeeFen(),
  status: PaymentStatus,
  codeUrl: Type.Optional(Type.String()),
  transactionId: Type.Optional(Type.String()),
  paidAt: Type.Optional(EpochMs()),
  createdAt: EpochMs(),
});
export type PaymentView = Static<typeof PaymentView>;
/**
 * Start a recharge through a provider (004's `/api/payment/recharge`): WeChat answers a `codeUrl` to scan; the
 * balance is credited once, when the provider's verified notify says it was paid. The same (userId, requestId)
 * answers the same payment. Alipay: VALIDATION (resource payment) unless configured; the provider unreachable:
 * UNAVAILABLE (resource payment).
 */
export const CreateRechargeParams = Type.Object({
  userId: Id,
  amountFen: Type.Integer({ minimum: 1, maximum: RECHARGE_MAX_FEN }),
  method: Type.Union([Type.Literal(1), Type.Literal(2)]),
  requestId: Id,
}, { additionalProperties: false });
export type CreateRechargeParams = Static<typeof CreateRechargeParams>;
/** With userId, another user's payment is NOT_FOUND. */
export const PaymentParams = Type.Object({ paymentId: Type.String({ minLength: 1, maxLength: 64 }), userId: Type.Optional(Id) }, { additionalProperties: false });
/** WeChat Pay's notify as it came (XML): verified by billing, which answers the XML WeChat expects. */
export const WechatNotifyParams = Type.Object({ xml: Type.String({ maxLength: 65_536 }) }, { additionalProperties: false });
export const WechatNotifyResult = Type.Object({
  /** the XML body to answer WeChat with (SUCCESS: do not send it again) */
  answerXml: Type.String(),
  /** this notify credited the payment now (false: refused, or already credited) */
  credited: Type.Boolean(),
});

/** A user's balance: 0 for a user without entries (then no updatedAt). */
export const BalanceParams = Type.Object({ userId: Id });
export const Balance = Type.Object({
  userId: Id,
  balanceFen: Type.Integer(),
  updatedAt: Type.Optional(EpochMs({ description: 'when the newest entry was made' })),
});
export type Balance = Static<typeof Balance>;

/** A user's entries, newest first. */
export const LedgerParams = Type.Object({ userId: Id, ...PageParams });
export const LedgerPage = Page(LedgerEntry);


// ---- tariffs (DESIGN.md "Walk-up stations, sessions and payments"): documents in billing, versioned ----

/** Tier names of a tariff, dearest first (document 004's timeType 1..5: 尖峰, 峰, 平, 谷, 深谷). */
export const TARIFF_TIERS = ['sharp', 'peak', 'flat', 'valley', 'deepValley'] as const;
export const TariffTierName = Literals(TARIFF_TIERS);
/** Document 004's pile types: 1 fast (直流快充), 2 slow (交流慢充). */
export const PILE_TYPES = [1, 2] as const;
export const PileType = Type.Union([Type.Literal(1), Type.Literal(2)]);
export type PileType = Static<typeof PileType>;
/** Station-local wall-clock time 'HH:MM'; as `to`, '24:00' is the end of the day. */
const WallTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: "station-local 'HH:MM'; 24:00 = end of day" });

/** One window of one tier: [from, to) of the local day; `to` earlier than `from` wraps past midnight. */
export const TariffWindow = Type.Object({
  tier: TariffTierName,
  from: WallTime,
  to: WallTime,
  price: Type.Integer({ minimum: 0, description: '1/10000 yuan per kWh (7000 = 0.70 yuan/kWh)' }),
});
export type TariffWindow = Static<typeof TariffWindow>;

/**
 * The prices of one pile type: windows covering the local day exactly once, and a service fee either per kWh
 * (`servicePrice`) or as a share of the energy fee (`serviceRate`): exactly one of the two.
 */
export const TariffRule = Type.Object({
  pileType: PileType,
  windows: Type.Array(TariffWindow, { minItems: 1, maxItems: 48 }),
  servicePrice: Type.Optional(Type.Integer({ minimum: 0, description: '1/10000 yuan per kWh' })),
  serviceRate: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: '1/10000 percent of the energy fee (125000 = 12.5 %)' })),
});
export type TariffRule = Static<typeof TariffRule>;

/** A version of a tariff: in force from the station-local midnight starting `effectiveDate` until the next version's. */
export const TariffVersion = Type.Object({
  effectiveDate: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD, station-local' }),
  effectiveFrom: EpochMs({ description: 'the local midnight of effectiveDate in timeZone (derived)' }),
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the windows, e.g. Asia/Shanghai' }),
  rules: Type.Array(TariffRule, { minItems: 1, maxItems: PILE_TYPES.length, description: 'one per pile type, each pile type once' }),
});
export type TariffVersion = Static<typeof TariffVersion>;

/** A tariff document: its versions by effective date, oldest first. `default` always exists. */
export const TariffDocument = Type.Object({
  tariffId: Id,
  name: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.String({ maxLength: 256 }),
  versions: Type.Array(TariffVersion, { minItems: 1 }),
  updatedAt: EpochMs(),
});
export type TariffDocument = Static<typeof TariffDocument>;

/** A tariff as billing answers it: the stored document and which of its versions is in force now (billing's clock). */
export const TariffAnswer = Type.Composite([
  TariffDocument,
  Type.Object({ inForce: Type.String({ description: 'effectiveDate of the version in force now' }) }),
]);
export type TariffAnswer = Static<typeof TariffAnswer>;

export const TariffsParams = Type.Object({});
export const TariffList = Type.Object({ tariffs: Type.Array(TariffAnswer, { description: 'by tariffId' }) });
export type TariffList = Static<typeof TariffList>;

/**
 * Creates the tariff or adds a version to it: a version of the same effectiveDate is replaced, another is added
 * (older versions stay: they price the sessions that started while they were in force). name and description
 * replace the document's. VALIDATION when the windows of a rule leave a gap or overlap, a price is not an integer
 * >= 0, a pile type is repeated or missing (every version prices both), or the zone or date is unknown.
 */
export const PutTariffParams = Type.Object({
  tariffId: Id,
  name: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.Optional(Type.String({ maxLength: 256 })),
  version: Type.Object({
    effectiveDate: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'default Asia/Shanghai' })),
    rules: Type.Array(TariffRule, { minItems: 1, maxItems: PILE_TYPES.length }),
  }),
});
export type PutTariffParams = Static<typeof PutTariffParams>;

/**
 * 004's `/api/payment/pay`: pay what an order owes. Method 3 debits the balance at once (CONFLICT reason
 * BALANCE_LOW when it is short; CONFLICT resource payment "nothing owed" when nothing is owed); 1 makes a WeChat
 * prepay of the owed amount whose verified notify credits the balance and then pays the order; 2 is VALIDATION
 * resource payment. The same (userId, requestId) answers the same payment.
 */
export const PayOrderParams = Type.Object({
  userId: Id,
  orderId: Id,
  method: PaymentMethod,
  requestId: Id,
}, { additionalProperties: false });
export const PayOrderResult = Type.Object({
  paymentId: Type.String(),
  orderId: Id,
  method: PaymentMethod,
  amountFen: FeeFen(),
  /** PaymentStatus: 2 paid (balance), 1 paying (WeChat: scan codeUrl) */
  status: PaymentStatus,
  codeUrl: Type.Optional(Type.String()),
  owedFen: FeeFen({ description: 'what the order still owes after this payment' }),
});
/** What an order's bills came to and what was paid (for order views). */
export const OrderPaymentParams = Type.Object({ orderId: Id, userId: Type.Optional(Id) }, { additionalProperties: false });
export const OrderPayment = Type.Object({ orderId: Id, billedFen: FeeFen(), paidFen: FeeFen(), owedFen: FeeFen() });

export const billingRpc = {
  'billing.payOrder': { params: PayOrderParams, result: PayOrderResult },
  'billing.orderPayment': { params: OrderPaymentParams, result: OrderPayment },
  'billing.getBill': { params: GetBillParams, result: Bill },
  'billing.listBills': { params: ListBillsParams, result: BillList },
  'billing.sessionBill': { params: SessionBillParams, result: Bill },
  'billing.report': { params: ReportParams, result: Report },
  /** A user's sessions summed, and per local day (document 004's /api/statistics/charging). */
  'billing.statistics': { params: StatisticsParams, result: Statistics },
  'billing.recharge': { params: RechargeParams, result: RechargeResult },
  'billing.createRecharge': { params: CreateRechargeParams, result: PaymentView },
  'billing.payment': { params: PaymentParams, result: PaymentView },
  'billing.wechatNotify': { params: WechatNotifyParams, result: WechatNotifyResult },
  'billing.balance': { params: BalanceParams, result: Balance },
  'billing.ledger': { params: LedgerParams, result: LedgerPage },
  'billing.tariffs': { params: TariffsParams, result: TariffList },
  'billing.putTariff': { params: PutTariffParams, result: TariffAnswer },
} as const satisfies Record<string, RpcSchemaPair>;

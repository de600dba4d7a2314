// TypeBox schemas of /api: request validation (fastify's ajv) and the answers (serialization + OpenAPI).
import { Type, type ObjectOptions, type SchemaOptions, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import { STATION_SETTING_ALIASES, type StationSettingAlias } from '@voltq/contracts';
import { timeRange } from '../../core/parse.js';

/** Every id a client names or creates: at most 128 characters, so it always fits a path parameter (edge.ts). */
const Id = Type.String({ minLength: 1, maxLength: 128 });
/**
 * A request's body, query or path parameters: a closed object. A field the route does not take is refused by name
 * (400 9001), never passed on nor silently dropped; the d004 plugin (index.ts) refuses to start with a route whose schema is open.
 */
export const Closed = <T extends TProperties>(properties: T, options: ObjectOptions = {}) => Type.Object(properties, { ...options, additionalProperties: false });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ description: 'ISO 8601 with offset, e.g. 2025-01-01T08:00:00.000+08:00' });
/** A string from a fixed list, as one JSON Schema `enum`: ajv then reports one "must be one of" error naming the
 * allowed values (a union of literals yields one "must be equal to constant" per member), and OpenAPI shows the list. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: SchemaOptions = {}) =>
  Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
const Mode = StringEnum(['fast', 'slow']);
const Yuan = Type.Number({ description: 'yuan, two decimals' });
const Kwh = Type.Number({ description: 'kWh, two decimals' });

// ---- the answer envelope ----
export const ErrorEnvelope = Type.Object(
  {
    code: Type.Integer({ description: 'business error code (see the table in the API description)' }),
    message: Type.String(),
    data: Type.Union([
      Type.Null(),
      Type.Object({ reason: Type.String({ description: "the station's refusal code, e.g. WAITING_AREA_FULL, NOT_IN_WAITING_AREA" }) }),
    ]),
  },
  { description: 'an error: HTTP 400/401/403/404/500 (503 while rebuilding) with a business code' },
);
export function responses<T extends TSchema>(data: T) {
  return {
    200: Type.Object({ code: Type.Integer({ description: '0 = success' }), message: Type.String(), data }),
    '4xx': ErrorEnvelope,
    '5xx': ErrorEnvelope,
  };
}

// ---- document 004: users ----
export const RegisterBody = Closed({
  username: Type.String({ minLength: 5, maxLength: 20, description: '5-20 characters' }),
  password: Type.String({ minLength: 8, maxLength: 20, description: '8-20 characters' }),
  nickname: Type.Optional(Type.String({ maxLength: 64 })),
  avatar: Type.Optional(Type.String({ maxLength: 1024 })),
  gender: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, description: '0 unknown, 1 male, 2 female' })),
});
/** 004:47-59: wx.login's code and the profile the mini-program may pass (absent: a default one). */
export const WechatLoginBody = Closed({
  code: Type.String({ minLength: 1, maxLength: 256, description: "wx.login's code" }),
  userInfo: Type.Optional(Closed({
    nickName: Type.Optional(Type.String({ maxLength: 64 })),
    avatarUrl: Type.Optional(Type.String({ maxLength: 1024 })),
    gender: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, description: '0 unknown, 1 male, 2 female' })),
    country: Type.Optional(Type.String({ maxLength: 64 })),
    province: Type.Optional(Type.String({ maxLength: 64 })),
    city: Type.Optional(Type.String({ maxLength: 64 })),
    language: Type.Optional(Type.String({ maxLength: 32 })),
  })),
});
export const LoginBody = Closed({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});
export const Login004 = Type.Object({
  token: Type.String({ description: 'JWT, valid 24 h by default' }),
  userId: Type.Integer(),
  openId: Type.String(),
  balance: Yuan,
  points: Type.Integer(),
});
export const UserInfo004 = Type.Object({
  userId: Type.Integer(),
  openId: Type.String(),
  nickname: Type.String(),
  avatar: Type.String(),
  gender: Type.Integer(),
  country: Type.String(),
  province: Type.String(),
  city: Type.String(),
  language: Type.String(),
  balance: Yuan,
  points: Type.Integer(),
  lastLoginTime: Nullable(IsoTime),
});
export const UpdateProfileBody = Closed({
  nickname: Type.Optional(Type.String({ maxLength: 64 })),
  avatar: Type.Optional(Type.String({ maxLength: 1024 })),
  gender: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  country: Type.Optional(Type.String({ maxLength: 64 })),
  province: Type.Optional(Type.String({ maxLength: 64 })),
  city: Type.Optional(Type.String({ maxLength: 64 })),
  language: Type.Optional(Type.String({ maxLength: 32 })),
});
export const CarBody = Closed({
  plate: Type.String({ minLength: 1, maxLength: 32 }),
  carId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'your own id for the car (at most 128 characters); made by the platform when absent' })),
  capacityKwh: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'battery capacity' })),
});
export const CarIdPath = Closed({ carId: Id });
/** An RFID card: the OCPP idTag a pile reads (at most 20 printable characters). */
const CardIdText = Type.String({ minLength: 1, maxLength: 20, pattern: '^[\\x21-\\x7E]+$', description: 'RFID card id (OCPP idTag)' });
export const CardBody = Closed({ cardId: CardIdText });
export const CardIdPath = Closed({ cardId: CardIdText });
export const CardView004 = Type.Object({ cardId: Type.String(), createdAt: IsoTime });
export const CarView = Type.Object({ carId: Type.String(), plate: Type.String(), capacityKwh: Nullable(Kwh), createdAt: Nullable(IsoTime) });
export const AdminToken = Type.Object({ token: Type.String({ description: 'JWT with role admin' }) });

// ---- document 004: orders ----
export const OrdersQuery = Closed({
  pageNum: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  status: Type.Optional(Type.Integer({ minimum: 0, maximum: 4, description: '0 created/waiting, 1 in progress, 2 finished, 3 cancelled, 4 abnormal' })),
  startDate: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (station-local), inclusive' })),
  endDate: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (station-local), inclusive' })),
});
export const OrderIdParams = Closed({ id: Id });
export const OrderListItem004 = Type.Object({
  id: Type.String(),
  orderNo: Type.String(),
  stationName: Type.String(),
  pileNo: Nullable(Type.String()),
  portNo: Nullable(Type.String()),
  amount: Yuan,
  startTime: Nullable(IsoTime),
  endTime: Nullable(IsoTime),
  powerConsumption: Kwh,
  chargingTime: Type.Integer({ description: 'seconds' }),
  status: Type.Integer(),
  paymentStatus: Type.Integer(),
});
const tierFields = Object.fromEntries(
  ['sharp', 'peak', 'flat', 'valley', 'deepValley'].flatMap((t) => [
    [`${t}Electricity`, Kwh],
    [`${t}Amount`, Yuan],
  ]),
) as Record<string, typeof Kwh>;
export const OrderDetail004 = Type.Object({
  id: Type.String(),
  orderNo: Type.String(),
  userId: Type.Integer(),
  pileId: Nullable(Type.String()),
  pileNo: Nullable(Type.String()),
  portId: Nullable(Type.String()),
  portNo: Nullable(Type.String()),
  stationName: Type.String(),
  amount: Yuan,
  startTime: Nullable(IsoTime),
  endTime: Nullable(IsoTime),
  powerConsumption: Kwh,
  chargingTime: Type.Integer({ description: 'seconds' }),
  power: Nullable(Type.Number({ description: 'kW' })),
  status: Type.Integer(),
  paymentStatus: Type.Integer(),
  paymentMethod: Type.Integer(),
  paymentTime: Nullable(IsoTime),
  serviceFee: Yuan,
  totalAmount: Yuan,
  transactionId: Nullable(Type.String()),
  chargingMode: Type.Integer(),
  stopReason: Nullable(Type.Integer()),
  billingMode: Type.Integer(),
  ...tierFields,
  remark: Type.String(),
  deviceAddress: Nullable(Type.String()),
  updateTime: IsoTime,
});
export const Page004 = <T extends TSchema>(item: T) =>
  Type.Object({ total: Type.Integer(), list: Type.Array(item), pageNum: Type.Integer(), pageSize: Type.Integer(), pages: Type.Integer() });

// ---- platform additions: queue requests ----
export const QueueRequestBody = Closed({
  mode: Mode,
  energyKwh: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
  carId: Type.Optional(Id),
  stationId: Type.Optional(Id),
});
export const QueueModifyBody = Closed({
  mode: Type.Optional(Mode),
  energyKwh: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
});
export const OrderIdPath = Closed({ orderId: Id });
export const RequestCreated = Type.Object({
  orderId: Type.String(),
  queueNo: Type.String(),
  state: Type.String({ description: 'WAITING | DISPATCHED | CHARGING | FAULT_QUEUED | FINISHED | CANCELLED' }),
  position: Type.Integer({ description: 'cars ahead' }),
});
export const RequestView = Type.Object({
  orderId: Type.String(),
  queueNo: Type.String(),
  mode: Mode,
  energyKwh: Kwh,
  state: Type.String(),
  carsAhead: Type.Integer(),
  pileNo: Type.Optional(Type.String()),
  chargedKwh: Type.Number({
    description:
      'kWh, two decimals: the energy charged for the whole request so far, over all its sessions (a car re-queued ' +
      "after a pile fault keeps what it got) with the running one included. Not the admin board's chargedKwh, which " +
      'is the current session only.',
  }),
  feeYuan: Type.Number({ description: 'yuan, two decimals: fee of the whole request so far, over all its sessions' }),
  createdAt: IsoTime,
});

// ---- bills ----
export const BillView = Type.Object({
  billId: Type.String(),
  billNo: Type.String(),
  createdAt: IsoTime,
  orderId: Type.String(),
  sessionId: Type.String(),
  stationId: Type.String(),
  pileNo: Type.String(),
  queueNo: Type.String(),
  carId: Nullable(Type.String()),
  mode: Nullable(Mode),
  reason: Nullable(Type.String()),
  powerKw: Type.Number(),
  energyKwh: Kwh,
  durationMs: Type.Integer(),
  startedAt: IsoTime,
  endedAt: IsoTime,
  energyFeeYuan: Yuan,
  serviceFeeYuan: Yuan,
  totalYuan: Yuan,
  tiers: Type.Array(Type.Object({ tier: Type.String(), energyKwh: Kwh, energyFeeYuan: Yuan })),
});
export const CancelView = Type.Composite([RequestView, Type.Object({ bill: Nullable(BillView) })]);
export const BillIdPath = Closed({ billId: Id });
export const BillsQuery = Closed({
  pageNum: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  orderId: Type.Optional(Id),
});

// ---- admin ----
/** GET /api/admin/bills and /api/admin/orders: every user's, filtered. */
export const AdminListQuery = Closed({
  stationId: Type.Optional(Id),
  userId: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: "a user's id (as 004's userId)" })),
  from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date-time, or YYYY-MM-DD (station-local, from that day on)' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date-time (exclusive), or YYYY-MM-DD (up to and including that day)' })),
  pageNum: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
});
/** An operator's list query -> the list RPC's filter (order.list and billing.listBills take the same one). */
export function adminListFilter(q: Static<typeof AdminListQuery>, timeZone: string) {
  return {
    pageNum: q.pageNum,
    pageSize: q.pageSize,
    ...(q.stationId !== undefined ? { stationId: q.stationId } : {}),
    ...(q.userId !== undefined ? { userId: q.userId } : {}),
    ...timeRange(q.from, q.to, timeZone),
  };
}
/** An operator's list item: the user's view plus whose it is. */
const OwnerField = Type.Object({ userId: Type.Integer() });
export const AdminBillView = Type.Composite([BillView, OwnerField]);
export const AdminOrderItem = Type.Composite([OrderListItem004, OwnerField]);
export const StationPath = Closed({ stationId: Id });
export const BoardEntry = Type.Object({
  orderId: Type.String(),
  userId: Type.Integer(),
  carId: Nullable(Type.String()),
  queueNo: Type.String(),
  mode: Mode,
  requestedKwh: Kwh,
  chargedKwh: Type.Number({
    description:
      'kWh, two decimals: the energy charged in the current session only (what the pile shows), 0 while queued. ' +
      "Not the chargedKwh of the user's /api/queue/requests/current, which is the whole request across sessions.",
  }),
  remainingKwh: Type.Number({ description: 'kWh, two decimals: what the whole request still lacks' }),
  feeYuan: Type.Number({ description: 'yuan, two decimals: fee of the current session so far' }),
  state: Type.String(),
  carsAhead: Type.Integer(),
  waitingMs: Type.Integer(),
  pileNo: Type.Optional(Type.String()),
});
export const PileBoardView = Type.Object({
  stationId: Type.String(),
  pileNo: Type.String(),
  mode: Mode,
  state: Type.String({ description: 'IDLE | CHARGING | OFF | FAULT | OFFLINE' }),
  powerKw: Type.Number(),
  faultReason: Type.Optional(Type.String({ description: 'why a pile is FAULT when the station knows, e.g. a start the pile did not confirm' })),
  queue: Type.Array(BoardEntry),
});
export const Board = Type.Object({
  stationId: Type.String(),
  time: IsoTime,
  piles: Type.Array(PileBoardView),
  waitingArea: Type.Array(BoardEntry),
  faultQueue: Type.Array(BoardEntry),
});
const FaultPolicy = StringEnum(['priority', 'time-order']);
const DispatchMode = StringEnum(['default', 'single-min-total', 'batch-min-total']);
const Count = (max: number) => Type.Integer({ minimum: 0, maximum: max });
/** The settings that have older names (STATION_SETTING_ALIASES): an alias takes its setting's schema. */
const AliasedSettings = {
  fastPiles: Type.Optional(Count(100)),
  slowPiles: Type.Optional(Count(100)),
  waitingAreaSize: Type.Optional(Count(10_000)),
  pileQueueLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
};
type AliasedSettings = typeof AliasedSettings;
const AliasSettings = Object.fromEntries(
  Object.entries(STATION_SETTING_ALIASES).map(([alias, name]) => [alias, AliasedSettings[name]]),
) as { [A in StationSettingAlias]: AliasedSettings[(typeof STATION_SETTING_ALIASES)[A]] };
export const StationConfigBody = Closed({
  fastPiles: AliasedSettings.fastPiles,
  slowPiles: AliasedSettings.slowPiles,
  fastPowerKw: Type.Optional(Type.Number({ minimum: 0.001, maximum: 10_000 })),
  slowPowerKw: Type.Optional(Type.Number({ minimum: 0.001, maximum: 10_000 })),
  waitingAreaSize: AliasedSettings.waitingAreaSize,
  pileQueueLength: AliasedSettings.pileQueueLength,
  faultPolicy: Type.Optional(FaultPolicy),
  dispatchMode: Type.Optional(DispatchMode),
  ...AliasSettings,
  timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the station (local days, tariff)' })),
});
export const StationConfigView = Type.Object({
  stationId: Type.String(),
  fastPiles: Type.Integer(),
  slowPiles: Type.Integer(),
  fastPowerKw: Type.Number(),
  slowPowerKw: Type.Number(),
  waitingAreaSize: Type.Integer(),
  pileQueueLength: Type.Integer(),
  faultPolicy: FaultPolicy,
  dispatchMode: DispatchMode,
  timeZone: Type.Optional(Type.String()),
});
export const PilePath = Closed({ pileNo: Type.String({ minLength: 1, maxLength: 32 }) });
export const PileStatusQuery = Closed({ stationId: Type.String({ minLength: 1, maxLength: 128, default: 'default' }) });
export const PileStatusBody = Closed({
  status: StringEnum(['on', 'off', 'fault', 'repair'], {
    description: 'off / fault / repair take the pile out (rule 5: a busy pile stops, its cars are re-queued); on brings it back',
  }),
});
const ClockMode = StringEnum(['real', 'scaled', 'manual']);
export const ClockSetBody = Closed({
  mode: ClockMode,
  time: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601; without an offset it is Asia/Shanghai wall time' })),
  speed: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
});
export const ClockAdvanceBody = Closed({
  to: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601 target time' })),
  seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 315_360_000, description: 'at most ten years' })),
});
export const ClockView = Type.Object({ mode: ClockMode, time: IsoTime, speed: Type.Number() });

// ---- admin reports ----
const ReportPeriod = StringEnum(['day', 'week', 'month'], { description: 'day, ISO week (Monday first) or calendar month' });
export const ReportsQuery = Closed({
  stationId: Id,
  pileNo: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'one pile only' })),
  period: ReportPeriod,
  date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (station-local): any day of the period' }),
});
export const ReportView = Type.Object({
  stationId: Type.String(),
  period: ReportPeriod,
  from: Type.String({ description: 'ISO 8601 with offset: start of the period (inclusive)' }),
  to: Type.String({ description: 'ISO 8601 with offset: end of the period (exclusive)' }),
  rows: Type.Array(
    Type.Object({
      pileNo: Type.String(),
      sessions: Type.Integer({ description: 'sessions that ended in the period' }),
      durationMs: Type.Integer({ description: 'their charging time' }),
      energyKwh: Kwh,
      energyFeeYuan: Yuan,
      serviceFeeYuan: Yuan,
      totalYuan: Yuan,
    }),
    { description: 'one row per pile with sessions in the period, by pile number' },
  ),
});

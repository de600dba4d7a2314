// Shared building blocks for every contract: the envelope, RPC frames, error codes, units.
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

/** A union of string literals from their list: `Literals(['a', 'b'])` is `'a' | 'b'`. */
export function Literals<const T extends readonly [string, ...string[]]>(
  values: T,
  options: { description?: string } = {},
): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(values.map((v) => Type.Literal(v)), options) as never;
}

/** Stable domain error codes; every dialect in the gateway maps these. Add new ones here only. */
export const ERROR_CODES = [
  'VALIDATION',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'WAITING_AREA_FULL',
  'ALREADY_QUEUED',
  'NOT_MODIFIABLE',
  'PILE_STATE',
  'STATION_BUSY',
  'RATE_LIMITED',
  'TIMEOUT',
  'UNAVAILABLE',
  /** the live copy (Redis) lost its data and is being rebuilt from MongoDB: retry in a few seconds (HTTP 503) */
  'REBUILDING',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export const ErrorCodeSchema = Literals(ERROR_CODES);

/** Epoch milliseconds (clock time). */
export const EpochMs = (opts: { description?: string } = {}) => Type.Integer({ minimum: 0, ...opts });
/** Energy in watt-milliseconds: exact integer; 1 Wh = 3 600 000 Wms, 1 kWh = 3 600 000 000 Wms. */
export const EnergyWms = (opts: { description?: string } = {}) => Type.Integer({ minimum: 0, ...opts });
/** Money in fen (0.01 yuan), exact integer. */
export const FeeFen = (opts: { description?: string } = {}) => Type.Integer({ minimum: 0, ...opts });
export const WMS_PER_WH = 3_600_000;
export const WMS_PER_KWH = 3_600_000_000;

export const Id = Type.String({ minLength: 1, maxLength: 128 });
export const ChargeMode = Literals(['fast', 'slow']);
export type ChargeMode = Static<typeof ChargeMode>;

/** Every message on the bus. Mirrored in AMQP properties messageId/type/correlationId/timestamp. */
export const EnvelopeSchema = Type.Object({
  id: Id,
  type: Type.String({ minLength: 1, maxLength: 128 }),
  occurredAt: Type.String({ description: 'ISO 8601 with offset, from the kit clock' }),
  correlationId: Type.String({ minLength: 1, maxLength: 128 }),
  payload: Type.Unknown(),
});
export type EnvelopeBase = Static<typeof EnvelopeSchema>;

export const RpcRequestSchema = Type.Object({
  id: Id,
  method: Type.String({ minLength: 1 }),
  correlationId: Type.String({ minLength: 1 }),
  deadline: EpochMs({ description: 'real epoch ms after which the server must not answer' }),
  params: Type.Unknown(),
});
export type RpcRequest = Static<typeof RpcRequestSchema>;

/** What a refusal is about: the gateway answers with that resource's own code (004: an unknown car is 3004, ...). */
export const ERROR_RESOURCES = ['user', 'login', 'register', 'order', 'bill', 'station', 'pile', 'car', 'card', 'clock', 'wechat', 'payment', 'port'] as const;
export type ErrorResource = (typeof ERROR_RESOURCES)[number];

/**
 * The typed details of a DomainError, carried in RPC error replies: producers and the gateway agree on them by
 * type. `resource` and `reason` reach the client (on a 4xx); `diagnostic` is for logs only.
 */
export const DomainErrorDetailsSchema = Type.Object(
  {
    resource: Type.Optional(Literals(ERROR_RESOURCES)),
    reason: Type.Optional(Type.String({ minLength: 1, description: "the rule that refused, as a code (the station engine's StationErrorCode)" })),
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'when a retry may succeed (RATE_LIMITED)' })),
    diagnostic: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'for logs only, never shown to a client' })),
  },
  { additionalProperties: false },
);
export type DomainErrorDetails = Static<typeof DomainErrorDetailsSchema>;

export const RpcErrorSchema = Type.Object({
  code: Type.String({ minLength: 1 }),
  message: Type.String(),
  details: Type.Optional(DomainErrorDetailsSchema),
});
export type RpcError = Static<typeof RpcErrorSchema>;

export const RpcReplySchema = Type.Union([
  Type.Object({ ok: Type.Literal(true), result: Type.Unknown() }),
  Type.Object({ ok: Type.Literal(false), error: RpcErrorSchema }),
]);
export type RpcReply = Static<typeof RpcReplySchema>;

/** A page request and a page answer, for every list. */
export const PageParams = {
  pageNum: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
};
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer({ minimum: 0 }), pageNum: Type.Integer(), pageSize: Type.Integer() });

export interface RpcSchemaPair {
  params: TSchema;
  result: TSchema;
}

// ONE table from each domain error code to every dialect's answer (HTTP status + the dialect's code + message),
// typed so that a code added to the contracts' ERROR_CODES does not compile until every dialect's column is filled.
// Document 004 (`d004`): 004's table has codes for users (1001-1005), stations/piles (2001-2006), orders
// (3001-3005), payment and pile control; what it has no code for (bad parameters, tokens, rights) uses the
// platform's 9001-9007 below, all documented in the OpenAPI description. Documents 000, 001 and 003 answer every
// refusal with code -1 and a message; 002 with a non-zero code and `msg` (1, as its add/delete failures show; -1 for
// a refused registration, as its register example shows). Their documents list HTTP 200 as the only status, so an
// app written against them reads the code in a 200 answer. 5xx-class answers never carry internal details.
import type { DomainErrorDetails, ErrorCode, ErrorResource } from '@voltq/contracts';
import { ERROR_CODES } from '@voltq/contracts';
import { isDomainError } from '@voltq/kit';

/** The resources whose refusals have codes of their own (the contracts' list: producers name them by type). */
export type Resource = ErrorResource;

/** Every dialect the gateway serves: the columns of ERROR_TABLE. A new dialect is one id here + its column. */
export const DIALECTS = ['d000', 'd001', 'd002', 'd003', 'd004'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** One dialect's answer to a failure, before its envelope wraps it. */
export interface ApiError {
  status: number;
  code: number;
  message: string;
  /** The station's own refusal code (e.g. WAITING_AREA_FULL, NOT_IN_WAITING_AREA), answered by 004 as
   * `data.reason` so a client can tell refusals apart that share one business code. Never set on 5xx. */
  reason?: string;
}

export const PLATFORM_CODES = {
  badRequest: 9001,
  unauthorized: 9002,
  forbidden: 9003,
  notFound: 9004,
  conflict: 9005,
  rateLimited: 9006,
  rebuilding: 9007,
  unknown: 9999,
} as const;

/** One dialect's answer to one domain error code. */
export interface DialectRule {
  /** the HTTP status */
  status: number;
  /** the dialect's code, or per resource of the route / thrower */
  code: number | Partial<Record<Resource | 'default', number>>;
  /** the code for a refusal's reason (`details.reason`), before the resource's: one domain code, several of 004's */
  byReason?: Partial<Record<string, number>>;
  /** fixed message (5xx: never the internal one) */
  message?: string;
}

/** A row of the table: every dialect's answer to one domain error code. */
export type ErrorRow = { readonly [D in Dialect]: DialectRule };

const MESSAGE_TIMEOUT = 'the service did not answer in time, please retry';
const MESSAGE_UNAVAILABLE = 'the service is unavailable, please retry';
const MESSAGE_REBUILDING = 'the station is being rebuilt after a cache loss, please retry in a few seconds';
const MESSAGE_INTERNAL = 'internal error';

/** 000, 001, 003: HTTP 200, code -1 (`message`: a fixed one instead of the thrower's). */
const minusOne = (message?: string): DialectRule => ({ status: 200, code: -1, ...(message !== undefined ? { message } : {}) });
/** 002: HTTP 200, code 1 (-1 for a refused registration). */
const d002Refusal = (message?: string): DialectRule => ({ status: 200, code: { register: -1, default: 1 }, ...(message !== undefined ? { message } : {}) });
/** The row of a refusal 000-003 answer alike. */
const others = (message?: string) => ({ d000: minusOne(message), d001: minusOne(message), d002: d002Refusal(message), d003: minusOne(message) });

export const ERROR_TABLE: { readonly [C in ErrorCode]: ErrorRow } = {
  VALIDATION: { d004: { status: 400, code: { payment: 4001, default: PLATFORM_CODES.badRequest } }, ...others() },
  UNAUTHORIZED: { d004: { status: 401, code: { login: 1002, wechat: 1004, default: PLATFORM_CODES.unauthorized } }, ...others() },
  FORBIDDEN: { d004: { status: 403, code: PLATFORM_CODES.forbidden }, ...others() },
  NOT_FOUND: {
    d004: { status: 404, code: { user: 1001, login: 1001, station: 2001, pile: 2002, port: 2003, order: 3001, default: PLATFORM_CODES.notFound } },
    ...others(),
  },
  CONFLICT: {
    d004: { status: 400, code: { register: 1003, order: 3002, payment: 4003, default: PLATFORM_CODES.conflict }, byReason: { BALANCE_LOW: 1005, ORDER_FINISHED: 3003, ORDER_CANCELLED: 3004 } },
    ...others(),
  },
  WAITING_AREA_FULL: { d004: { status: 400, code: 3005 }, ...others() },
  ALREADY_QUEUED: { d004: { status: 400, code: 3005 }, ...others() },
  NOT_MODIFIABLE: { d004: { status: 400, code: 3002 }, ...others() },
  // a walk-up start's refusals name the port's state; a pile that refused or could not take a command is 5001
  PILE_STATE: {
    d004: {
      status: 400,
      code: 5001,
      byReason: { PILE_OFFLINE: 2004, PORT_OCCUPIED: 2005, PORT_FAULT: 2006, PORT_DISABLED: 2006, START_REFUSED: 3005, PILE_CHARGING: 5003, PILE_NOT_CHARGING: 5004 },
    },
    ...others(),
  },
  STATION_BUSY: { d004: { status: 400, code: 5003 }, ...others() },
  RATE_LIMITED: { d004: { status: 429, code: PLATFORM_CODES.rateLimited }, ...others() },
  // a pile that did not answer a command in time (5002) is not a service timeout
  TIMEOUT: { d004: { status: 500, code: PLATFORM_CODES.unknown, byReason: { PILE_TIMEOUT: 5002 }, message: MESSAGE_TIMEOUT }, ...others(MESSAGE_TIMEOUT) },
  UNAVAILABLE: { d004: { status: 500, code: { wechat: 1004, payment: 4001, default: PLATFORM_CODES.unknown }, message: MESSAGE_UNAVAILABLE }, ...others(MESSAGE_UNAVAILABLE) },
  // Redis lost its data and the scheduler is putting the stations back from MongoDB: a clear, retryable 503
  REBUILDING: { d004: { status: 503, code: PLATFORM_CODES.rebuilding, message: MESSAGE_REBUILDING }, ...others(MESSAGE_REBUILDING) },
  INTERNAL: { d004: { status: 500, code: PLATFORM_CODES.unknown, message: MESSAGE_INTERNAL }, ...others(MESSAGE_INTERNAL) },
};

/** One dialect's column: domain error code -> its rule. */
export function errorColumn(dialect: Dialect): Record<ErrorCode, DialectRule> {
  return Object.fromEntries(ERROR_CODES.map((code) => [code, ERROR_TABLE[code][dialect]])) as Record<ErrorCode, DialectRule>;
}

/** A framework 4xx whose status says more than "bad request": the domain code whose answer it gets (the status
 * itself is kept where the dialect answers with HTTP statuses, i.e. 004). */
const STATUS_ERROR_CODES: Partial<Record<number, ErrorCode>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

/** The rule's code for a reason or a resource (none: its default). */
function codeOf(rule: DialectRule, resource: Resource | undefined, reason?: string): number {
  const byReason = reason !== undefined ? rule.byReason?.[reason] : undefined;
  if (byReason !== undefined) return byReason;
  return typeof rule.code === 'number' ? rule.code : ((resource && rule.code[resource]) ?? rule.code.default ?? PLATFORM_CODES.unknown);
}

/** What a dialect answers with the domain error code `code` (no resource: the rule's default), message given. */
function answerOf(dialect: Dialect, code: ErrorCode, message: string, httpStatus?: number): ApiError {
  const rule = ERROR_TABLE[code][dialect];
  // a dialect that answers with HTTP statuses (004) keeps the framework's own 4xx (413, 415, 414 ...)
  const status = httpStatus !== undefined && rule.status >= 400 ? httpStatus : rule.status;
  return { status, code: codeOf(rule, undefined), message: rule.message ?? message };
}

/** The thrower's own resource (`details.resource`) wins over the route's. */
function resourceOf(details: DomainErrorDetails | undefined, route: Resource | undefined): Resource | undefined {
  return details?.resource ?? route;
}

interface SchemaError {
  keyword?: unknown;
  instancePath?: unknown;
  message?: unknown;
  params?: { allowedValues?: unknown; additionalProperty?: unknown };
}

/** Fastify's schema-validation errors (ajv's list) in words a client can act on: an enum names its allowed values
 * ("body/status must be one of: on, off, fault, repair"), repeats are said once. */
export function validationMessage(errors: readonly SchemaError[], context: string): string {
  const lines = errors.map((e) => {
    const where = `${context}${typeof e.instancePath === 'string' ? e.instancePath : ''}`;
    const allowed = e.params?.allowedValues;
    if (e.keyword === 'enum' && Array.isArray(allowed)) return `${where} must be one of: ${allowed.map(String).join(', ')}`;
    const extra = e.params?.additionalProperty;
    if (e.keyword === 'additionalProperties' && typeof extra === 'string') return `${where} has an unknown field ${JSON.stringify(extra)}`;
    return `${where} ${typeof e.message === 'string' ? e.message : 'is invalid'}`;
  });
  return [...new Set(lines)].join('; ');
}

/** Maps anything thrown in a request to `dialect`'s answer (`route`: what the route is about). */
export function toDialectError(dialect: Dialect, err: unknown, route?: Resource): ApiError {
  if (isDomainError(err)) {
    const row = ERROR_TABLE[err.code] as ErrorRow | undefined;
    if (!row) return answerOf(dialect, 'INTERNAL', MESSAGE_INTERNAL);
    const rule = row[dialect];
    const reason = err.details?.reason;
    return {
      status: rule.status,
      code: codeOf(rule, resourceOf(err.details, route), reason),
      message: rule.message ?? err.message,
      ...(rule.status < 500 && rule.message === undefined && reason !== undefined ? { reason } : {}),
    };
  }
  // fastify's own client errors: schema validation, malformed JSON, wrong content type, body too large ...
  const e = err as { statusCode?: unknown; validation?: unknown; validationContext?: unknown; message?: unknown; code?: unknown };
  if (Array.isArray(e?.validation) && e.validation.length > 0) {
    const context = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    return answerOf(dialect, 'VALIDATION', validationMessage(e.validation as SchemaError[], context), 400);
  }
  // their own 4xx status is kept (413 too large, 415 unsupported media type, 414 too long ...), all bad requests
  if (typeof e?.statusCode === 'number' && Number.isInteger(e.statusCode) && e.statusCode >= 400 && e.statusCode < 500) {
    const message =
      e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'unsupported media type: send the body as application/json'
        : typeof e.message === 'string' && e.message
          ? e.message
          : 'bad request';
    return answerOf(dialect, STATUS_ERROR_CODES[e.statusCode] ?? 'VALIDATION', message, e.statusCode);
  }
  return answerOf(dialect, 'INTERNAL', MESSAGE_INTERNAL);
}

/** Document 004's answer to anything thrown (the d004 column). */
export function toApiError(err: unknown, route?: Resource): ApiError {
  return toDialectError('d004', err, route);
}

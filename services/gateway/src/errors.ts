// One table from DomainError codes to document 004's convention: HTTP status + business code + message.
// 004's table has codes for users (1001-1005), stations/piles (2001-2006), orders (3001-3005), payment and pile
// control; what it has no code for (bad parameters, tokens, rights) uses the platform's 9001-9006 below, all
// documented in the OpenAPI description. 5xx answers never carry internal details.
import type { DomainErrorDetails, ErrorCode, ErrorResource } from '@voltq/contracts';
import { isDomainError } from '@voltq/kit';

/** What a route is about, to pick 004's code for NOT_FOUND / CONFLICT / UNAUTHORIZED. */
/** The resources whose refusals have codes of their own (the contracts' list: producers name them by type). */
export type Resource = ErrorResource;

export interface ApiError {
  status: number;
  code: number;
  message: string;
  /** The station's own refusal code (e.g. WAITING_AREA_FULL, NOT_IN_WAITING_AREA), answered as `data.reason`
   * so a client can tell refusals apart that share one business code. Never set on 5xx. */
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

interface Rule {
  status: number;
  code: number | Partial<Record<Resource | 'default', number>>;
  /** fixed message (5xx: never the internal one) */
  message?: string;
}

export const ERROR_TABLE: Record<ErrorCode, Rule> = {
  VALIDATION: { status: 400, code: PLATFORM_CODES.badRequest },
  UNAUTHORIZED: { status: 401, code: { login: 1002, default: PLATFORM_CODES.unauthorized } },
  FORBIDDEN: { status: 403, code: PLATFORM_CODES.forbidden },
  NOT_FOUND: {
    status: 404,
    code: { user: 1001, login: 1001, station: 2001, pile: 2002, order: 3001, default: PLATFORM_CODES.notFound },
  },
  CONFLICT: { status: 400, code: { register: 1003, order: 3002, default: PLATFORM_CODES.conflict } },
  WAITING_AREA_FULL: { status: 400, code: 3005 },
  ALREADY_QUEUED: { status: 400, code: 3005 },
  NOT_MODIFIABLE: { status: 400, code: 3002 },
  PILE_STATE: { status: 400, code: 5001 },
  STATION_BUSY: { status: 400, code: 5003 },
  RATE_LIMITED: { status: 429, code: PLATFORM_CODES.rateLimited },
  TIMEOUT: { status: 500, code: PLATFORM_CODES.unknown, message: 'the service did not answer in time, please retry' },
  UNAVAILABLE: { status: 500, code: PLATFORM_CODES.unknown, message: 'the service is unavailable, please retry' },
  // Redis lost its data and the scheduler is putting the stations back from MongoDB: a clear, retryable 503
  REBUILDING: {
    status: 503, code: PLATFORM_CODES.rebuilding,
    message: 'the station is being rebuilt after a cache loss, please retry in a few seconds',
  },
  INTERNAL: { status: 500, code: PLATFORM_CODES.unknown, message: 'internal error' },
};

/** A framework 4xx whose status says more than "bad request". */
const STATUS_CODES: Partial<Record<number, number>> = {
  401: PLATFORM_CODES.unauthorized,
  403: PLATFORM_CODES.forbidden,
  404: PLATFORM_CODES.notFound,
  409: PLATFORM_CODES.conflict,
  429: PLATFORM_CODES.rateLimited,
};

const INTERNAL: ApiError = { status: 500, code: PLATFORM_CODES.unknown, message: 'internal error' };

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

/** Maps anything thrown in a request to the 004 answer. */
export function toApiError(err: unknown, route?: Resource): ApiError {
  if (isDomainError(err)) {
    const rule = ERROR_TABLE[err.code] as Rule | undefined;
    if (!rule) return INTERNAL;
    const resource = resourceOf(err.details, route);
    const code = typeof rule.code === 'number' ? rule.code : ((resource && rule.code[resource]) ?? rule.code.default ?? PLATFORM_CODES.unknown);
    const reason = err.details?.reason;
    return {
      status: rule.status,
      code,
      message: rule.message ?? err.message,
      ...(rule.status < 500 && reason !== undefined ? { reason } : {}),
    };
  }
  // fastify's own client errors: schema validation, malformed JSON, wrong content type, body too large ...
  const e = err as { statusCode?: unknown; validation?: unknown; validationContext?: unknown; message?: unknown; code?: unknown };
  if (Array.isArray(e?.validation) && e.validation.length > 0) {
    const context = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    return { status: 400, code: PLATFORM_CODES.badRequest, message: validationMessage(e.validation as SchemaError[], context) };
  }
  // their own 4xx status is kept (413 too large, 415 unsupported media type, 414 too long ...), all with 9001
  if (typeof e?.statusCode === 'number' && Number.isInteger(e.statusCode) && e.statusCode >= 400 && e.statusCode < 500) {
    const message =
      e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'unsupported media type: send the body as application/json'
        : typeof e.message === 'string' && e.message
          ? e.message
          : 'bad request';
    return { status: e.statusCode, code: STATUS_CODES[e.statusCode] ?? PLATFORM_CODES.badRequest, message };
  }
  return INTERNAL;
}

// What every dialect gets from core: RPC with the request's correlation id (deadlines passed through), the guards
// (token verification + role), the formatting context and the settings the use cases need.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RpcMethod, RpcParams, RpcResult } from '@voltq/contracts';
import { DomainError, type Bus, type Logger } from '@voltq/kit';
import type { Resource } from './errors.js';
import type { FormatContext } from './units.js';
import type { JwksVerifier, Principal } from './jwt.js';
import type { LoginThrottle } from '../domain/rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the user/admin guards */
    principal: Principal | null;
    correlationId: string;
  }
  interface FastifyContextConfig {
    /** what the route is about: picks a dialect's code for NOT_FOUND and friends (core/errors.ts) */
    resource?: Resource;
  }
}

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger, TypeBoxTypeProvider>;

export interface RpcCaller {
  <M extends RpcMethod>(req: FastifyRequest, method: M, params: RpcParams<M>, opts?: { timeoutMs?: number }): Promise<RpcResult<M>>;
}

export type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Where a dialect reads its token (e.g. 004's `Authorization: Bearer`), and what it says when there is none. */
export interface TokenPlace {
  read: (req: FastifyRequest) => string | undefined;
  missing: string;
}

/** A token in the query parameter `token` (documents 000, 001, 003); the query is never logged. */
export const QUERY_TOKEN_PLACE: TokenPlace = {
  read: (req) => {
    const token = (req.query as Record<string, unknown> | undefined)?.token;
    return typeof token === 'string' && token.length > 0 ? token : undefined;
  },
  missing: 'missing token: send it as the query parameter token',
};

/** The guards of one dialect: any valid token / an admin token, read where the dialect reads it. */
export interface Guards {
  user: Guard;
  admin: Guard;
}

export interface CoreDeps {
  call: RpcCaller;
  /** onRequest guards for a token place (verification and the role check are the same for every dialect) */
  guards: (place: TokenPlace) => Guards;
  /** edge formatting context (zone + the platform clock's now) */
  fmt: () => FormatContext;
  timeZone: string;
  defaultStationId: string;
  /** how long a cancel waits for the bill of a session it stopped */
  billWaitMs: number;
  /** RPC timeout for clock moves (they process every due completion before answering) */
  clockRpcTimeoutMs: number;
  /** failed-login / registration limits (domain/rate-limit.ts) */
  logins: Pick<LoginThrottle, 'attempt'>;
}

/** The authenticated caller (routes with a guard only). */
export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new DomainError('UNAUTHORIZED', 'missing token');
  return req.principal;
}

/** RPC over the bus carrying the request's correlation id. */
export function rpcCaller(bus: Pick<Bus, 'call'>): RpcCaller {
  return (req, method, params, callOpts) =>
    bus.call(method as RpcMethod, params as RpcParams<RpcMethod>, { correlationId: req.correlationId, ...callOpts }) as never;
}

/** A guard: the token read at `place`, verified (signature, expiry, live subject), then the role checked. */
export function roleGuard(verifier: Pick<JwksVerifier, 'verify'>, place: TokenPlace, role: 'user' | 'admin'): Guard {
  return async (req: FastifyRequest) => {
    const token = place.read(req);
    if (!token) throw new DomainError('UNAUTHORIZED', place.missing);
    const who = await verifier.verify(token);
    if (role === 'admin' && who.role !== 'admin') throw new DomainError('FORBIDDEN', 'admin only');
    req.principal = who;
  };
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** onRequest hook of every dialect: the client's X-Correlation-Id when well-formed, else a new one; echoed back. */
export async function correlate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const given = req.headers['x-correlation-id'];
  req.correlationId = typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
  void reply.header('x-correlation-id', req.correlationId);
}

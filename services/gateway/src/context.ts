// What every route module gets: RPC with the request's correlation id, the caller, edge formatting context.
import type { FastifyInstance, FastifyReply, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RpcMethod, RpcParams, RpcResult } from '@voltq/contracts';
import { DomainError, type Logger } from '@voltq/kit';
import type { Resource } from './errors.js';
import type { FormatContext } from './format.js';
import type { Principal } from './jwt.js';
import type { LoginThrottle } from './domain/rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the user/admin guards */
    principal: Principal | null;
    correlationId: string;
  }
  interface FastifyContextConfig {
    /** what the route is about: picks 004's business code for NOT_FOUND and friends */
    resource?: Resource;
  }
}

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger, TypeBoxTypeProvider>;

export interface RpcCaller {
  <M extends RpcMethod>(req: FastifyRequest, method: M, params: RpcParams<M>, opts?: { timeoutMs?: number }): Promise<RpcResult<M>>;
}

export type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface RouteDeps {
  call: RpcCaller;
  /** onRequest guards: any valid token / an admin token */
  user: Guard;
  admin: Guard;
  /** edge formatting context (zone + the platform clock's now) */
  fmt: () => FormatContext;
  timeZone: string;
  defaultStationId: string;
  /** how long DELETE waits for the bill of a session its cancel stopped */
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

export function ok<T>(data: T, message = 'success'): { code: 0; message: string; data: T } {
  return { code: 0, message, data };
}


// Document 001's envelope: `{code: 200, ...}` on success, `{code: -1, msg}` (HTTP 200) on failure (core/errors.ts d001).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureBody } from '../../core/dialects.js';
import { toDialectError, type ApiError, type Resource } from '../../core/errors.js';

export const OK = 200;

export function fail(answer: ApiError): Record<string, unknown> {
  return failureBody('d001', answer);
}

/** Anything thrown in 001's scope -> the d001 column, in 001's envelope; the URL (it holds tokens and passwords) is never logged. */
export async function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resource = req.routeOptions.config?.resource as Resource | undefined;
  const answer = toDialectError('d001', err, resource);
  if (answer.status >= 500) req.log.error({ err, correlationId: req.correlationId }, 'request failed');
  return reply.code(answer.status).send(fail(answer));
}

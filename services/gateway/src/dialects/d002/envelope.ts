// Document 002's envelope: `{code: 0, msg, data}` on success; `{code, msg}` (code non-zero, HTTP 200: core/errors.ts's
// d002 column) on failure.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureBody } from '../../core/dialects.js';
import { toDialectError, type ApiError, type Resource } from '../../core/errors.js';

export function ok<T>(data: T, msg = 'success'): { code: 0; msg: string; data: T } {
  return { code: 0, msg, data };
}

export function fail(answer: ApiError): Record<string, unknown> {
  return failureBody('d002', answer);
}

export async function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resource = req.routeOptions.config?.resource as Resource | undefined;
  const answer = toDialectError('d002', err, resource);
  if (answer.status >= 500) req.log.error({ err, correlationId: req.correlationId, url: req.url }, 'request failed');
  return reply.code(answer.status).send(fail(answer));
}

// Document 004's envelope: `{code: 0, message, data}` on success, `{code, message, data: null | {reason}}` with
// the HTTP status of core/errors.ts's d004 column on failure.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureBody } from '../../core/dialects.js';
import { toDialectError, type ApiError, type Resource } from '../../core/errors.js';

export function ok<T>(data: T, message = 'success'): { code: 0; message: string; data: T } {
  return { code: 0, message, data };
}

/** The failure body of an answer (the d004 entry of core/dialects.ts's FAILURE_BODIES). */
export function fail(answer: ApiError): Record<string, unknown> {
  return failureBody('d004', answer);
}

/** The error handler of 004's scope: anything thrown -> the d004 column, in 004's envelope. */
export async function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resource = req.routeOptions.config?.resource as Resource | undefined;
  const answer = toDialectError('d004', err, resource);
  if (answer.status >= 500) req.log.error({ err, correlationId: req.correlationId, url: req.url }, 'request failed');
  return reply.code(answer.status).send(fail(answer));
}

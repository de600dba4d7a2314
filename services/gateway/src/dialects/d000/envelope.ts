// Document 000's envelope: `{code: 200, msg, ...payload}` on success (the field tables: 200 success, -1 error; the
// examples' `"code": 0` is wrong, docs/api/000.md), `{code: -1, msg}` with HTTP 200 on failure (core/errors.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureBody } from '../../core/dialects.js';
import { toDialectError, type Resource } from '../../core/errors.js';

export function ok<T extends Record<string, unknown>>(msg: string, payload?: T): { code: 200; msg: string } & T {
  return { code: 200, msg, ...(payload ?? ({} as T)) };
}

/** The error handler of 000's scope: anything thrown -> the d000 column, in 000's envelope. */
export async function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const resource = req.routeOptions.config?.resource as Resource | undefined;
  const answer = toDialectError('d000', err, resource);
  if (answer.status >= 500) req.log.error({ err, correlationId: req.correlationId }, 'request failed');
  return reply.code(answer.status).send(failureBody('d000', answer));
}

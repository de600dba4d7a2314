// What 000's routes get: core's deps plus the guards reading 000's token place (the query string `token`).
import type { FastifyRequest } from 'fastify';
import type { CoreDeps, Guards, TokenPlace } from '../../core/context.js';

/** 000 reads its token from the query string `token` (000:146 and every charge call). */
export const TOKEN_PLACE: TokenPlace = {
  read: (req: FastifyRequest) => {
    const token = (req.query as { token?: unknown } | undefined)?.token;
    return typeof token === 'string' && token.length > 0 ? token : undefined;
  },
  missing: 'missing token: send it as the query parameter token',
};

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 000's operations. */
export const TAG = '000';

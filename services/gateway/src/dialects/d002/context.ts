// What 002's routes get: core's deps plus the guards reading 002's token place (a header named `token`).
import type { FastifyRequest } from 'fastify';
import type { CoreDeps, Guards, TokenPlace } from '../../core/context.js';

/** 002 sends its token in a request header named `token` (not Authorization). */
export const TOKEN_PLACE: TokenPlace = {
  read: (req: FastifyRequest) => {
    const value = req.headers.token;
    return typeof value === 'string' && value !== '' ? value : undefined;
  },
  missing: 'missing token: send it in the `token` header',
};

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 002's operations. */
export const TAG = '002';

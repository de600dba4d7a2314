// What 001's routes get: core's deps plus the guards reading 001's token place (the query's `token`).
import type { FastifyRequest } from 'fastify';
import type { CoreDeps, Guards, TokenPlace } from '../../core/context.js';

/** 001 reads its token from the query parameter `token` (001:155, 001:221, 001:278); never logged. */
export const TOKEN_PLACE: TokenPlace = {
  read: (req: FastifyRequest) => {
    const given = (req.query as Record<string, unknown> | undefined)?.token;
    return typeof given === 'string' && given !== '' ? given : undefined;
  },
  missing: 'missing token: send ?token=',
};

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 001's operations. */
export const TAG = '001';

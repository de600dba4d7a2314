// What 004's routes get: core's deps plus the guards reading 004's token place.
import type { FastifyRequest } from 'fastify';
import type { CoreDeps, Guards, TokenPlace } from '../../core/context.js';
import { bearerToken } from '../../core/jwt.js';

/** 004 reads its token from `Authorization: Bearer <token>`. */
export const TOKEN_PLACE: TokenPlace = {
  read: (req: FastifyRequest) => bearerToken(req.headers.authorization),
  missing: 'missing token: send Authorization: Bearer <token>',
};

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 004's operations: the document's number, as every dialect tags its own. */
export const TAG = '004';

/** The API's version: the OpenAPI document's `info.version` and 004's `apiVersion` (004:944). */
export const API_VERSION = '1.0.0';

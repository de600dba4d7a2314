// What 000's routes get: core's deps plus the guards reading 000's token place (the query string `token`).
import { QUERY_TOKEN_PLACE, type CoreDeps, type Guards } from '../../core/context.js';

/** 000 reads its token from the query parameter `token` (000:146 and every charge call). */
export const TOKEN_PLACE = QUERY_TOKEN_PLACE;

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 000's operations. */
export const TAG = '000';

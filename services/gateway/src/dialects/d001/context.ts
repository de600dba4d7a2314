// What 001's routes get: core's deps plus the guards reading 001's token place (the query's `token`).
import { QUERY_TOKEN_PLACE, type CoreDeps, type Guards } from '../../core/context.js';

/** 001 reads its token from the query parameter `token` (001:155, 001:221, 001:278). */
export const TOKEN_PLACE = QUERY_TOKEN_PLACE;

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 001's operations. */
export const TAG = '001';

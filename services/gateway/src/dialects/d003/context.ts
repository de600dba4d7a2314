// What 003's routes get: core's deps plus the guards reading 003's token place (the query string `token`).
import { QUERY_TOKEN_PLACE, type CoreDeps, type Guards } from '../../core/context.js';

/** 003 reads its token from the query parameter `token` (an admin's, on every call but the login). */
export const TOKEN_PLACE = QUERY_TOKEN_PLACE;

export type RouteDeps = CoreDeps & Guards;

/** The OpenAPI tag of 003's operations. */
export const TAG = '003';

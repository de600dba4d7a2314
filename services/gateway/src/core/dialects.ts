// Which dialect owns a URL, and the failure body each dialect answers with. The answers given outside any dialect's
// plugin (fastify's refusals before routing, an unknown path, an error on a path no route owns) ask the dialect that
// owns the URL's prefix for its shape, so an app gets its own document's error shape even there. A new dialect adds
// its prefixes here (one entry each) and its column of core/errors.ts; its plugin answers its own routes.
import type { ApiError, Dialect } from './errors.js';

/**
 * URL prefixes -> the dialect that owns them (whole path segments; the longest prefix wins). `exact`: that path
 * only (001's `/user/charge` and `/user/log` sit inside 000's `/user`, whose `/user/charge/apply` and
 * `/user/log/get` stay 000's).
 */
export const DIALECT_PREFIXES: readonly { readonly prefix: string; readonly dialect: Dialect; readonly exact?: boolean }[] = [
  { prefix: '/api', dialect: 'd004' },
  { prefix: '/u', dialect: 'd000' },
  { prefix: '/user', dialect: 'd000' },
  { prefix: '/user/charge', dialect: 'd001', exact: true },
  { prefix: '/user/log', dialect: 'd001', exact: true },
  { prefix: '/user/lognew', dialect: 'd001', exact: true },
  { prefix: '/login', dialect: 'd001' },
  { prefix: '/register', dialect: 'd001' },
  { prefix: '/a', dialect: 'd003' },
  { prefix: '/admin/charge', dialect: 'd003' },
  { prefix: '/client', dialect: 'd002' },
  { prefix: '/admin', dialect: 'd002' },
];

/** The dialect of a URL no prefix names (a client with a wrong base path): 004, the platform's own. */
export const DEFAULT_DIALECT: Dialect = 'd004';

/** The dialect owning `url` (path and query; the query is ignored). */
export function dialectOfUrl(url: string, prefixes = DIALECT_PREFIXES): Dialect {
  const path = url.split('?')[0] ?? '';
  let best: (typeof prefixes)[number] | undefined;
  for (const entry of prefixes) {
    const owns = path === entry.prefix || (!entry.exact && path.startsWith(entry.prefix.endsWith('/') ? entry.prefix : `${entry.prefix}/`));
    if (owns && (!best || entry.prefix.length > best.prefix.length)) best = entry;
  }
  return best?.dialect ?? DEFAULT_DIALECT;
}

/** Each dialect's failure envelope: 004 `{code, message, data}` (`data.reason`: the station's refusal code),
 * 000/001/003 `{code: -1, msg}`, 002 `{code, msg}` with its non-zero code. */
export const FAILURE_BODIES: { readonly [D in Dialect]: (answer: ApiError) => Record<string, unknown> } = {
  d004: (a) => ({ code: a.code, message: a.message, data: a.reason ? { reason: a.reason } : null }),
  d000: (a) => ({ code: a.code, msg: a.message }),
  d001: (a) => ({ code: a.code, msg: a.message }),
  d002: (a) => ({ code: a.code, msg: a.message }),
  d003: (a) => ({ code: a.code, msg: a.message }),
};

export function failureBody(dialect: Dialect, answer: ApiError): Record<string, unknown> {
  return FAILURE_BODIES[dialect](answer);
}

// Document 001 (the older car-owner app): `/login`, `/register` by query parameters, the charge WebSocket
// `/user/charge`, the history `/user/log` and `/user/lognew`, as one scoped fastify plugin with its token place
// (query `token`), its envelope (`{code: 200 | -1, ...}`) and its closed schemas.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { correlate, type Api, type CoreDeps } from '../../core/context.js';
import { TOKEN_PLACE, type RouteDeps } from './context.js';
import { errorHandler } from './envelope.js';
import type { SocketDeps } from '../../core/push-socket.js';
import { accountRoutes } from './routes/account.js';
import { chargeSocketRoutes } from './routes/charge.js';
import { logRoutes } from './routes/log.js';

function assertClosedSchemas(route: { method: string | string[]; url: string; schema?: Record<string, unknown> }): void {
  for (const part of ['body', 'querystring', 'params'] as const) {
    const schema = route.schema?.[part] as { additionalProperties?: unknown } | undefined;
    if (schema && schema.additionalProperties !== false) throw new Error(`${String(route.method)} ${route.url}: its ${part} schema must be closed`);
  }
}

/** Registers 001 at the root (its paths have no common prefix). */
export async function d001(http: FastifyInstance, core: CoreDeps, sockets: SocketDeps): Promise<void> {
  const deps: RouteDeps = { ...core, ...core.guards(TOKEN_PLACE) };
  await http.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
    api.addHook('onRequest', correlate);
    api.setErrorHandler(errorHandler);
    api.addHook('onRoute', assertClosedSchemas);
    accountRoutes(api, deps);
    chargeSocketRoutes(api, deps, sockets);
    logRoutes(api, deps);
  });
}

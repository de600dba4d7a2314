// Document 000 (the car-owner app: `/u/*`, `/user/*`) as one scoped fastify plugin: its token place (query
// `token`), its envelope `{code: 200 | -1, msg, ...}`, form bodies and its routes.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { correlate, type Api, type CoreDeps } from '../../core/context.js';
import { TOKEN_PLACE, type RouteDeps } from './context.js';
import { errorHandler } from './envelope.js';
import { addFormParser } from '../../core/form.js';
import { accountRoutes } from './routes/account.js';
import { chargeRoutes } from './routes/charge.js';
import { logRoutes } from './routes/log.js';

function assertClosedSchemas(route: { method: string | string[]; url: string; schema?: Record<string, unknown> }): void {
  for (const part of ['body', 'querystring', 'params'] as const) {
    const schema = route.schema?.[part] as { additionalProperties?: unknown } | undefined;
    if (schema && schema.additionalProperties !== false) throw new Error(`${String(route.method)} ${route.url}: its ${part} schema must be closed`);
  }
}

/** Registers 000 at `/u/*` and `/user/*`. */
export async function d000(http: FastifyInstance, core: CoreDeps): Promise<void> {
  const deps: RouteDeps = { ...core, ...core.guards(TOKEN_PLACE) };
  await http.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
    addFormParser(scope);
    api.addHook('onRequest', correlate);
    api.setErrorHandler(errorHandler);
    api.addHook('onRoute', assertClosedSchemas);
    accountRoutes(api, deps);
    chargeRoutes(api, deps);
    logRoutes(api, deps);
  });
}

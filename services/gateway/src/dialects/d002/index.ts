// Document 002 (`/client/*`, `/admin/login`, `/admin/index/*`) as one scoped fastify plugin: its token place (a
// `token` header), its envelope `{code, msg, data}`, its closed schemas and its routes.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { correlate, type Api, type CoreDeps } from '../../core/context.js';
import { TOKEN_PLACE, type RouteDeps } from './context.js';
import { errorHandler } from './envelope.js';
import { adminRoutes } from './routes/admin.js';
import { clientRoutes } from './routes/client.js';

function assertClosedSchemas(route: { method: string | string[]; url: string; schema?: Record<string, unknown> }): void {
  for (const part of ['body', 'querystring', 'params'] as const) {
    const schema = route.schema?.[part] as { additionalProperties?: unknown } | undefined;
    if (schema && schema.additionalProperties !== false) throw new Error(`${String(route.method)} ${route.url}: its ${part} schema must be closed`);
  }
}

export async function d002(http: FastifyInstance, core: CoreDeps): Promise<void> {
  const deps: RouteDeps = { ...core, ...core.guards(TOKEN_PLACE) };
  await http.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
    api.addHook('onRequest', correlate);
    api.setErrorHandler(errorHandler);
    api.addHook('onRoute', assertClosedSchemas);
    clientRoutes(api, deps);
    adminRoutes(api, deps);
  });
}

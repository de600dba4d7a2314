// Document 003 (the admin app: `/a/login`, `/admin/charge/*`) as one scoped fastify plugin: its token place (query
// `token`, an admin's), its envelope `{code: 200 | -1, msg, ...}`, form or JSON login body and its routes.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { correlate, type Api, type CoreDeps } from '../../core/context.js';
import { TOKEN_PLACE, type RouteDeps } from './context.js';
import { errorHandler } from './envelope.js';
import { pileRoutes } from './routes/pile.js';
import { addFormParser } from '../../core/form.js';

/** Registers 003 at `/a/login` and `/admin/charge/*`. */
export async function d003(http: FastifyInstance, core: CoreDeps): Promise<void> {
  const deps: RouteDeps = { ...core, ...core.guards(TOKEN_PLACE) };
  await http.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
    addFormParser(scope);
    api.addHook('onRequest', correlate);
    api.setErrorHandler(errorHandler);
    pileRoutes(api, deps);
  });
}

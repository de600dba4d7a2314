// Document 004 (`/api/user/*`, `/api/orders`, `/api/order/{id}`) and the platform additions under /api, as one
// scoped fastify plugin: its token place (Authorization: Bearer), its envelope, its closed schemas and its routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { correlate, type Api, type CoreDeps } from '../../core/context.js';
import { toDialectError } from '../../core/errors.js';
import { TOKEN_PLACE, type RouteDeps } from './context.js';
import { errorHandler, fail } from './envelope.js';
import { adminRoutes } from './routes/admin.js';
import { billRoutes } from './routes/bills.js';
import { configRoutes } from './routes/config.js';
import { controlRoutes } from './routes/control.js';
import { deviceRoutes } from './routes/devices.js';
import { orderRoutes } from './routes/orders.js';
import { paymentRoutes } from './routes/payments.js';
import { pileRoutes } from './routes/piles.js';
import { queueRoutes } from './routes/queue.js';
import { statisticsRoutes } from './routes/statistics.js';
import { tariffRoutes } from './routes/tariffs.js';
import { stationRoutes } from './routes/stations.js';
import { userRoutes } from './routes/user.js';
import { walkUpRoutes } from './routes/walkup.js';

export const PREFIX = '/api';

/** A route of /api whose body, query or path parameters take fields it does not name would pass them on. */
function assertClosedSchemas(route: { method: string | string[]; url: string; schema?: Record<string, unknown> }): void {
  for (const part of ['body', 'querystring', 'params'] as const) {
    const schema = route.schema?.[part] as { type?: unknown; additionalProperties?: unknown } | undefined;
    if (schema && schema.additionalProperties !== false) {
      throw new Error(`${String(route.method)} ${route.url}: its ${part} schema must be closed (additionalProperties: false)`);
    }
  }
}

/** 404 in 004's shape (also used outside /api for paths no dialect owns). */
export async function notFound(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const answer = toDialectError('d004', { statusCode: 404, message: `no route ${req.method} ${req.url.split('?')[0]}` });
  return reply.code(answer.status).send(fail(answer));
}

/** Registers 004 under /api. */
export async function d004(http: FastifyInstance, core: CoreDeps): Promise<void> {
  const deps: RouteDeps = { ...core, ...core.guards(TOKEN_PLACE) };
  await http.register(
    async (scope) => {
      const api = scope.withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
      api.addHook('onRequest', correlate);
      api.setErrorHandler(errorHandler);
      api.setNotFoundHandler(notFound);
      api.addHook('onRoute', assertClosedSchemas);
      userRoutes(api, deps);
      orderRoutes(api, deps);
      queueRoutes(api, deps);
      billRoutes(api, deps);
      adminRoutes(api, deps);
      statisticsRoutes(api, deps);
      configRoutes(api, deps);
      tariffRoutes(api, deps);
      stationRoutes(api, deps);
      paymentRoutes(api, deps);
      pileRoutes(api, deps);
      walkUpRoutes(api, deps);
      controlRoutes(api, deps);
      deviceRoutes(api, deps);
    },
    { prefix: PREFIX },
  );
}

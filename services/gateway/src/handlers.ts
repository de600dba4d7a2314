// The gateway's doors: /api on the kit's fastify instance with the edge (edge.ts), OpenAPI + Swagger UI at /docs,
// the TypeBox type provider, the guards (token + live principal), the 004-style error answers, and the route
// modules of routes/ with what they need (RPC, formatting context, the login limiter). The one place that mounts them.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RpcMethod, RpcParams } from '@voltq/contracts';
import { DomainError, type Bus, type Clock } from '@voltq/kit';
import type { Api, Guard, RouteDeps, RpcCaller } from './context.js';
import { installEdge } from './edge.js';
import { ERROR_TABLE, PLATFORM_CODES, toApiError, type Resource } from './errors.js';
import { bearerToken, type JwksVerifier } from './jwt.js';
import type { LoginThrottle } from './domain/rate-limit.js';
import { adminRoutes } from './routes/admin.js';
import { billRoutes } from './routes/bills.js';
import { orderRoutes } from './routes/orders.js';
import { queueRoutes } from './routes/queue.js';
import { userRoutes } from './routes/user.js';

export interface HandlerDeps {
  bus: Pick<Bus, 'call'>;
  clock: Pick<Clock, 'now'>;
  verifier: Pick<JwksVerifier, 'verify'>;
  timeZone: string;
  defaultStationId: string;
  billWaitMs: number;
  clockRpcTimeoutMs: number;
  /** limits failed logins and registrations per account and address */
  logins: Pick<LoginThrottle, 'attempt'>;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function errorCodesDescription(): string {
  const rows = Object.entries(ERROR_TABLE).map(([code, rule]) => {
    const codes = typeof rule.code === 'number' ? String(rule.code) : Object.entries(rule.code).map(([r, c]) => `${c} (${r})`).join(', ');
    return `| ${code} | ${rule.status} | ${codes} |`;
  });
  return [
    'VoltQ platform API: document 004 (`/api/user/*`, `/api/orders`, `/api/order/{id}`) plus the platform additions.',
    'Every answer is `{code, message, data}`; `code` 0 is success. Send `Authorization: Bearer <token>`.',
    'Amounts are yuan and energies kWh, as numbers rounded half-up to two decimals; times are ISO 8601 with offset.',
    '',
    `Business codes beyond document 004's table: ${PLATFORM_CODES.badRequest} bad request, ${PLATFORM_CODES.unauthorized} missing/invalid token, ` +
      `${PLATFORM_CODES.forbidden} admin only, ${PLATFORM_CODES.notFound} not found, ${PLATFORM_CODES.conflict} conflict, ${PLATFORM_CODES.rateLimited} too many requests, ` +
      `${PLATFORM_CODES.rebuilding} (HTTP 503) the live state is being rebuilt after a cache loss: retry in a few seconds.`,
    '',
    '| domain error | HTTP | business code |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}

/** A route of /api whose body, query or path parameters take fields it does not name would pass them on. */
function assertClosedSchemas(route: { method: string | string[]; url: string; schema?: Record<string, unknown> }): void {
  for (const part of ['body', 'querystring', 'params'] as const) {
    const schema = route.schema?.[part] as { type?: unknown; additionalProperties?: unknown } | undefined;
    if (schema && schema.additionalProperties !== false) {
      throw new Error(`${String(route.method)} ${route.url}: its ${part} schema must be closed (additionalProperties: false)`);
    }
  }
}

export async function registerHandlers(http: FastifyInstance, opts: HandlerDeps): Promise<void> {
  installEdge(http);
  await http.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'VoltQ API', version: '1.0.0', description: errorCodesDescription() },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await http.register(swaggerUi, { routePrefix: '/docs' });

  // Every path answers in the API's shape, also outside /api (a client with a wrong base path should read a
  // 9004 like any other, not fastify's own 404); an error on such a path (e.g. a malformed body) likewise.
  const notFound = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({ code: PLATFORM_CODES.notFound, message: `no route ${req.method} ${req.url.split('?')[0]}`, data: null });
  http.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const answer = toApiError(err);
    if (answer.status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    return reply.code(answer.status).send({ code: answer.code, message: answer.message, data: null });
  });
  http.setNotFoundHandler(notFound);

  const call: RpcCaller = (req, method, params, callOpts) =>
    opts.bus.call(method as RpcMethod, params as RpcParams<RpcMethod>, { correlationId: req.correlationId, ...callOpts }) as never;

  const guard = (role: 'user' | 'admin'): Guard => async (req: FastifyRequest) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new DomainError('UNAUTHORIZED', 'missing token: send Authorization: Bearer <token>');
    const who = await opts.verifier.verify(token);
    if (role === 'admin' && who.role !== 'admin') throw new DomainError('FORBIDDEN', 'admin only');
    req.principal = who;
  };

  const deps: RouteDeps = {
    call,
    user: guard('user'),
    admin: guard('admin'),
    fmt: () => ({ timeZone: opts.timeZone, nowMs: opts.clock.now() }),
    timeZone: opts.timeZone,
    defaultStationId: opts.defaultStationId,
    billWaitMs: opts.billWaitMs,
    clockRpcTimeoutMs: opts.clockRpcTimeoutMs,
    logins: opts.logins,
  };

  await http.register(
    async (scope) => {
      const api = scope.withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
      api.decorateRequest('principal', null);
      api.decorateRequest('correlationId', '');
      api.addHook('onRequest', async (req, reply) => {
        const given = req.headers['x-correlation-id'];
        req.correlationId = typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
        void reply.header('x-correlation-id', req.correlationId);
      });
      api.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
        const resource = req.routeOptions.config?.resource as Resource | undefined;
        const answer = toApiError(err, resource);
        if (answer.status >= 500) req.log.error({ err, correlationId: req.correlationId, url: req.url }, 'request failed');
        const data = answer.reason ? { reason: answer.reason } : null;
        return reply.code(answer.status).send({ code: answer.code, message: answer.message, data });
      });
      api.setNotFoundHandler(notFound);
      api.addHook('onRoute', assertClosedSchemas);
      userRoutes(api, deps);
      orderRoutes(api, deps);
      queueRoutes(api, deps);
      billRoutes(api, deps);
      adminRoutes(api, deps);
    },
    { prefix: '/api' },
  );
}

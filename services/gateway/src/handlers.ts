// The gateway's doors, mounted in one place: the edge (edge.ts), OpenAPI + Swagger UI at /docs, the answers outside
// every dialect (in the shape of the dialect owning the URL's prefix), core (RPC, guards, formatting context, the
// login limiter: core/) and every dialect's scoped plugin (dialects/).
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Bus, type Clock } from '@voltq/kit';
import { roleGuard, rpcCaller, type CoreDeps } from './core/context.js';
import { dialectOfUrl, failureBody } from './core/dialects.js';
import { errorColumn, PLATFORM_CODES, toDialectError } from './core/errors.js';
import type { JwksVerifier } from './core/jwt.js';
import type { PushHub } from './core/push-hub.js';
import { d000 } from './dialects/d000/index.js';
import { d001 } from './dialects/d001/index.js';
import { d002 } from './dialects/d002/index.js';
import { d003 } from './dialects/d003/index.js';
import { API_VERSION } from './dialects/d004/context.js';
import { d004 } from './dialects/d004/index.js';
import { MAX_CLIENT_FRAME_BYTES, wsDialect } from './dialects/ws/index.js';
import type { LoginThrottle } from './domain/rate-limit.js';
import { installEdge } from './edge.js';

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
  /** this replica's push hub: /api/ws attaches sockets to it, 001's /user/charge subscribes to a user's events */
  pushes: Pick<PushHub, 'attach' | 'subscribe'>;
}

function errorCodesDescription(): string {
  const rows = Object.entries(errorColumn('d004')).map(([code, rule]) => {
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

export async function registerHandlers(http: FastifyInstance, opts: HandlerDeps): Promise<void> {
  installEdge(http);
  await http.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'VoltQ API', version: API_VERSION, description: errorCodesDescription() },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, token: { type: 'apiKey', in: 'header', name: 'token' } } },
      // one tag per document (each dialect tags its operations with its number; /docs groups by them)
      tags: [
        { name: '000', description: 'document 000 (the car-owner app: /u/*, /user/*)' },
        { name: '001', description: 'document 001 (the older car-owner app): /login, /register by query parameters' },
        { name: '002', description: 'document 002 (/client/*, /admin/login, /admin/index/*)' },
        { name: '003', description: 'document 003 (the admin app: /a/login, /admin/charge/*)' },
        { name: '004', description: 'document 004 (/api/user/*, /api/orders, /api/order/{id}) and the platform additions under /api' },
      ],
    },
  });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  // one WebSocket server for every dialect's sockets (before the routes that upgrade)
  await http.register(websocket, { options: { maxPayload: MAX_CLIENT_FRAME_BYTES } });

  // Every path answers in the shape of the dialect owning its prefix (core/dialects.ts), also outside every
  // dialect (a client with a wrong base path reads 004's 9004 like any other, not fastify's own 404); an error on
  // such a path (e.g. a malformed body) likewise.
  http.decorateRequest('principal', null);
  http.decorateRequest('correlationId', '');
  const answerAt = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const dialect = dialectOfUrl(req.url);
    const answer = toDialectError(dialect, err);
    if (answer.status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    return reply.code(answer.status).send(failureBody(dialect, answer));
  };
  http.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => answerAt(req, reply, err));
  http.setNotFoundHandler(async (req: FastifyRequest, reply: FastifyReply) =>
    answerAt(req, reply, { statusCode: 404, message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  const core: CoreDeps = {
    call: rpcCaller(opts.bus),
    guards: (place) => ({ user: roleGuard(opts.verifier, place, 'user'), admin: roleGuard(opts.verifier, place, 'admin') }),
    fmt: () => ({ timeZone: opts.timeZone, nowMs: opts.clock.now() }),
    timeZone: opts.timeZone,
    defaultStationId: opts.defaultStationId,
    billWaitMs: opts.billWaitMs,
    clockRpcTimeoutMs: opts.clockRpcTimeoutMs,
    logins: opts.logins,
  };

  // One line per dialect (each a scoped plugin under its own prefix).
  const sockets = { hub: opts.pushes, verifier: opts.verifier };
  await d000(http, core);
  await d001(http, core, sockets);
  await d002(http, core);
  await d003(http, core);
  await d004(http, core);
  await http.register(wsDialect, { prefix: '/api', ...sockets });
}

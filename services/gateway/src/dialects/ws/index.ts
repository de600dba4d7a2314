// `GET /api/ws` (DESIGN.md "Platform additions to /api"): a WebSocket of pushes. The token comes in
// `Authorization: Bearer` or the query's `token` (browsers cannot set headers on a WebSocket) and is checked as
// every HTTP route checks it (signature, expiry, then the live principal); a refused socket is closed with a code
// and a reason (core/push-hub.ts PUSH_CLOSE). Messages from the client are ignored. The query token is never logged:
// the server logs no request lines (kit's http logger) and nothing here logs the URL.
import websocket, { type WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, type ServiceContext } from '@voltq/kit';
import type { GatewayConfig } from '../../config.js';
import { PushHub, PUSH_CLOSE, type PushSocket, type PushViews } from '../../core/push-hub.js';
import { PLATFORM_CODES } from '../../core/errors.js';
import { bearerToken, type Principal } from '../../core/jwt.js';
import { boardView, numericUserId, orderDetail004, withBill } from '../d004/format.js';

/** frames from the client are not read: anything larger than this closes the socket (1009) */
const MAX_CLIENT_FRAME_BYTES = 4096;
/** after a close frame, how long a peer that does not answer it keeps its socket */
const CLOSE_GRACE_MS = 2000;

export interface WsDialectOptions {
  hub: Pick<PushHub, 'attach'>;
  verifier: { verify(token: string): Promise<Principal> };
}

function tokenOf(req: FastifyRequest): string | undefined {
  const fromHeader = bearerToken(req.headers.authorization);
  if (fromHeader) return fromHeader;
  const query = req.query as Record<string, unknown> | undefined;
  const given = query?.token;
  return typeof given === 'string' && given !== '' ? given : undefined;
}

function refusal(err: unknown): { code: number; reason: string } {
  if (err instanceof DomainError && err.code === 'UNAUTHORIZED') return { code: PUSH_CLOSE.unauthorized, reason: `unauthorized: ${err.message}` };
  return { code: PUSH_CLOSE.unavailable, reason: 'the token cannot be checked now: try again' };
}

/** The hub's view of a `ws` socket: a close that does not wait for the peer beyond CLOSE_GRACE_MS. */
function pushSocket(socket: WebSocket): PushSocket {
  return {
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    send: (text) => socket.send(text),
    close: (code, reason) => closeSocket(socket, code, reason),
  };
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.CLOSED) return;
  socket.close(code, reason);
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}

/** The scoped plugin: `GET /ws` under its prefix. */
export async function wsDialect(app: FastifyInstance, opts: WsDialectOptions): Promise<void> {
  app.route({
    method: 'GET',
    url: '/ws',
    schema: {
      tags: ['ws'],
      summary: "WebSocket of pushes: the caller's order and session changes ({type, order}); admins also board changes ({type: 'board', ...})",
      description: 'The first frame, once the token is accepted: `{type: \'subscribed\', userId, role}`. Token in `Authorization: Bearer <token>` or the query parameter `token`. Refused: close 4401 (bad, missing or expired token) or 1013 (try again). ' +
        'A socket that does not read its pushes is closed with 4408. See docs/api/004.md "Pushes".',
      querystring: { type: 'object', properties: { token: { type: 'string' } } },
    },
    // a plain GET (no upgrade); with `handler` + `wsHandler` the route stays in the OpenAPI document
    // (`websocket: true` would hide it)
    handler: async (_req, reply) =>
      reply.code(426).header('upgrade', 'websocket').send({ code: PLATFORM_CODES.badRequest, message: 'GET /api/ws is a WebSocket: send Upgrade: websocket', data: null }),
    wsHandler: (socket, req) => {
      // listeners first: the handler's async part must not miss a close
      let detach: (() => void) | undefined;
      let closed = false;
      socket.on('close', () => {
        closed = true;
        detach?.();
      });
      socket.on('error', () => undefined); // 'close' follows
      const token = tokenOf(req);
      if (!token) {
        closeSocket(socket, PUSH_CLOSE.unauthorized, 'unauthorized: missing token: send Authorization: Bearer <token> or ?token=');
        return;
      }
      opts.verifier.verify(token).then(
        (who) => {
          if (closed) return;
          detach = opts.hub.attach(pushSocket(socket), who);
          // the first frame: the token was accepted and pushes flow from now on
          socket.send(JSON.stringify({ type: 'subscribed', userId: numericUserId(who.userId), role: who.role }));
        },
        (err: unknown) => {
          const { code, reason } = refusal(err);
          if (code !== PUSH_CLOSE.unauthorized) req.log.warn({ err: (err as Error).message }, 'a push socket could not be checked');
          closeSocket(socket, code, reason);
        },
      );
    },
  });
}

/**
 * The wiring: this replica's hub on its own event queue, the WebSocket server (once, for every dialect's sockets)
 * and `/api/ws`. Returns the hub (001's socket subscribes to it).
 */
export async function startPushes(ctx: ServiceContext<GatewayConfig>, verifier: WsDialectOptions['verifier']): Promise<PushHub> {
  const { http, bus, log, clock, config } = ctx;
  // /api/ws is a platform addition of document 004: its pushes show 004's views
  const fmt = () => ({ timeZone: config.timeZone, nowMs: clock.now() });
  const views: PushViews = {
    order: (order, bill) => orderDetail004(bill ? withBill(order, bill) : order, fmt()),
    board: (board) => boardView(board, fmt()),
  };
  const hub = new PushHub({ bus, log: log.child({ component: 'push-hub' }), views });
  await hub.start();
  ctx.onShutdown(() => hub.stop());
  if (!http.hasDecorator('websocketServer')) await http.register(websocket, { options: { maxPayload: MAX_CLIENT_FRAME_BYTES } });
  await http.register(wsDialect, { prefix: '/api', hub, verifier });
  return hub;
}

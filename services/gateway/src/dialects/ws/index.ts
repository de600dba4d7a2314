// `GET /api/ws` (DESIGN.md "Platform additions to /api"): a WebSocket of pushes. The token comes in
// `Authorization: Bearer` or the query's `token` (browsers cannot set headers on a WebSocket) and is checked as
// every HTTP route checks it (signature, expiry, then the live principal); a refused socket is closed with a code
// and a reason (core/push-hub.ts PUSH_CLOSE). Messages from the client are ignored. The query token is never logged:
// the server logs no request lines (kit's http logger) and nothing here logs the URL.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '@voltq/kit';
import type { GatewayConfig } from '../../config.js';
import { PushHub, PUSH_CLOSE, type PushViews } from '../../core/push-hub.js';
import { closeSocket, pushSocket, socketToken, tokenRefusal, type SocketDeps } from '../../core/push-socket.js';
import { PLATFORM_CODES } from '../../core/errors.js';
import { boardView, numericUserId, orderDetail004, withBill } from '../d004/format.js';

/** frames from the client are not read: anything larger than this closes the socket (1009) */
export const MAX_CLIENT_FRAME_BYTES = 4096;

/** The scoped plugin: `GET /ws` under its prefix. */
export async function wsDialect(app: FastifyInstance, opts: SocketDeps): Promise<void> {
  app.route({
    method: 'GET',
    url: '/ws',
    schema: {
      tags: ['004'],
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
      const token = socketToken(req);
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
          const { code, reason } = tokenRefusal(err);
          if (code !== PUSH_CLOSE.unauthorized) req.log.warn({ err: (err as Error).message }, 'a push socket could not be checked');
          closeSocket(socket, code, reason);
        },
      );
    },
  });
}

/** This replica's hub on its own event queue; /api/ws is a platform addition of document 004: its pushes show 004's views. */
export async function startPushHub(ctx: ServiceContext<GatewayConfig>): Promise<PushHub> {
  const { bus, log, clock, config } = ctx;
  const fmt = () => ({ timeZone: config.timeZone, nowMs: clock.now() });
  const views: PushViews = {
    order: (order, bill) => orderDetail004(bill ? withBill(order, bill) : order, fmt()),
    board: (board) => boardView(board, fmt()),
  };
  const hub = new PushHub({ bus, log: log.child({ component: 'push-hub' }), views });
  await hub.start();
  ctx.onShutdown(() => hub.stop());
  return hub;
}

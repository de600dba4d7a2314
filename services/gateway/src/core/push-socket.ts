// What every dialect's WebSocket does the same way: the hub's view of a `ws` socket, a close that does not wait for
// a silent peer, a token read from `Authorization: Bearer` or the query's `token`, and the close code of a token
// that was refused. The sockets: `GET /api/ws` (dialects/ws) and 001's `/user/charge` (dialects/d001).
import type { WebSocket } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@voltq/kit';
import type { Principal } from './jwt.js';
import { bearerToken } from './jwt.js';
import { PUSH_CLOSE, type PushHub, type PushSocket } from './push-hub.js';
import { QUERY_TOKEN_PLACE } from './context.js';

/** after a close frame, how long a peer that does not answer it keeps its socket */
const CLOSE_GRACE_MS = 2000;

/** What a dialect's socket route needs: the hub of this replica and the token check every HTTP route makes. */
export interface SocketDeps {
  hub: Pick<PushHub, 'attach' | 'subscribe'>;
  verifier: { verify(token: string): Promise<Principal> };
}

/** The hub's view of a `ws` socket: a close that does not wait for the peer beyond CLOSE_GRACE_MS. */
export function pushSocket(socket: WebSocket): PushSocket {
  return {
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    send: (text) => socket.send(text),
    close: (code, reason) => closeSocket(socket, code, reason),
  };
}

export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.CLOSED) return;
  socket.close(code, reason);
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}

/** The token of a socket: `Authorization: Bearer` first (clients that can set headers), else the query's `token`. */
export function socketToken(req: FastifyRequest): string | undefined {
  return bearerToken(req.headers.authorization) ?? QUERY_TOKEN_PLACE.read(req);
}

/** A refused token: 4401 when it is bad, 1013 when it could not be checked now (try again). */
export function tokenRefusal(err: unknown): { code: number; reason: string } {
  if (err instanceof DomainError && err.code === 'UNAUTHORIZED') return { code: PUSH_CLOSE.unauthorized, reason: `unauthorized: ${err.message}` };
  return { code: PUSH_CLOSE.unavailable, reason: 'the token cannot be checked now: try again' };
}

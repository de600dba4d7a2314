// OCPP 1.6J door `/ocpp/<chargePointId>` on the service's HTTP port (DESIGN "Devices"): an ocpp-rpc RPCServer in
// strict mode (the OCPP 1.6 JSON schemas checked on every call and answer, both ways) takes the upgrade from
// fastify. HTTP Basic auth (user = charge point id = deviceId, password = secret) before the upgrade: unknown id
// (or a device not registered for OCPP) 404, wrong or missing password 401. A client offering no `ocpp1.6`
// completes the handshake without a subprotocol and is closed. Each accepted charge point becomes an
// OcppConnection (../ocpp-connection.ts).
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceContext } from '@voltq/kit';
import { OcppConnection, type OcppConnectionDeps } from '../ocpp-connection.js';
import type { Authenticated, checkPileLogin } from '../store/devices.js';

type FastifyInstance = ServiceContext['http'];
const ocppRpc = createRequire(import.meta.url)('ocpp-rpc') as typeof import('ocpp-rpc');

/** What the door and the connection use of ocpp-rpc's RPCServerClient. */
export interface RPCServerClientLike {
  readonly protocol: string | undefined;
  readonly identity: string | undefined;
  readonly session: Record<string, unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  handle(method: string | ((o: { method?: string; params?: Record<string, unknown> }) => unknown), handler?: (o: { params?: Record<string, unknown> }) => unknown): void;
  call(method: string, params?: unknown, options?: Record<string, unknown>): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean; awaitPending?: boolean }): Promise<unknown>;
}

export interface OcppDoorDeps extends OcppConnectionDeps {
  checkLogin(deviceId: string, secret: string): ReturnType<typeof checkPileLogin>;
  /** WebSocket pings; a socket that has not answered the previous one when the next is due is terminated */
  pingIntervalMs: number;
  maxMessageBytes: number;
}

export interface OcppDoor {
  close(): Promise<void>;
}

const SUBPROTOCOL = 'ocpp1.6';

export function registerOcppDoor(app: FastifyInstance, deps: OcppDoorDeps): OcppDoor {
  const server = new ocppRpc.RPCServer({
    protocols: [SUBPROTOCOL],
    strictMode: true,
    pingIntervalMs: deps.pingIntervalMs,
    // a charger that talks proves it is alive: no ping needed then
    deferPingsOnActivity: true,
    // DESIGN: at most one outstanding CALL per direction per charge point
    callConcurrency: 1,
    wssOptions: { maxPayload: deps.maxMessageBytes },
  });

  server.auth(async (accept, reject, handshake) => {
    const deviceId = handshake.identity;
    const remote = `${handshake.remoteAddress ?? ''}`;
    const refuse = (code: number, message: string) => {
      // the id is what the peer claimed; the password is never logged
      deps.log.warn({ pileId: deviceId, remote, door: 'ocpp', code }, 'charge point refused at the upgrade');
      deps.deviceLog({ pileId: deviceId, kind: 'login-refused', atMs: deps.clockNow(), door: 'ocpp', detail: { remote, status: code } });
      reject(code, message);
    };
    try {
      const res = await deps.checkLogin(deviceId, handshake.password?.toString('utf8') ?? '');
      if (res.result === 'unknown' || res.protocol !== 'ocpp1.6') return refuse(404, 'unknown charge point');
      if (res.result === 'bad-secret' || handshake.password === undefined) return refuse(401, 'wrong or missing password');
      accept({ auth: res.auth, remote } satisfies { auth: Authenticated; remote: string });
    } catch (err) {
      deps.log.error({ err, pileId: deviceId }, 'charge point login check failed');
      reject(503, 'the central system cannot check logins right now; retry');
    }
  });

  server.on('client', (raw: unknown) => {
    const client = raw as RPCServerClientLike;
    if (client.protocol !== SUBPROTOCOL) {
      deps.log.warn({ pileId: client.identity }, 'charge point offered no ocpp1.6 subprotocol: closed');
      void client.close({ code: 1002, reason: 'subprotocol ocpp1.6 required' });
      return;
    }
    const { auth, remote } = client.session as { auth: Authenticated; remote: string };
    new OcppConnection(deps, client, auth, remote).open();
  });
  server.on('error', (err: Error) => deps.log.error({ err }, 'OCPP server error'));

  app.get('/ocpp/:chargePointId', {
    // the WebSocket upgrade goes to ocpp-rpc (its own subprotocol, auth and ping handling), not @fastify/websocket
    onRequest: async (req, reply) => {
      if (!req.ws) return;
      reply.hijack();
      const raw: IncomingMessage = req.raw;
      if (!deps.hub.admit('ocpp1.6')) {
        // a reconnection storm: refused before the password check (scrypt is the expensive part); the charger retries
        raw.socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      // nothing arrives before the handshake's answer: the upgrade's head is empty
      void server.handleUpgrade(raw, raw.socket as Socket, Buffer.alloc(0));
    },
  }, async (_req, reply) => reply.code(426).header('upgrade', 'websocket').send({ error: 'UPGRADE_REQUIRED', message: `OCPP 1.6J: open a WebSocket with subprotocol ${SUBPROTOCOL}` }));

  return { close: () => server.close({ code: 1012, reason: 'restarting' }) };
}

// WebSocket door `/piles` on the service's HTTP port: one text frame = one JSON pile message. The OCPP 1.6J door
// `/ocpp/:chargePointId` shares the port (./ocpp.ts takes its upgrades from @fastify/websocket).
import websocket from '@fastify/websocket';
import type { ServiceContext } from '@voltq/kit';

type FastifyInstance = ServiceContext['http'];
import type { PileHub } from '../hub.js';
import { registerOcppDoor, type OcppDoor, type OcppDoorDeps } from './ocpp.js';

export async function registerWsDoor(http: FastifyInstance, hub: PileHub, maxMessageBytes: number, ocpp: OcppDoorDeps): Promise<OcppDoor> {
  let door: OcppDoor | undefined;
  // larger frames make ws close the connection with 1009 (message too big)
  await http.register(websocket, { options: { maxPayload: maxMessageBytes } });
  await http.register(async (app) => {
    app.get('/piles', { websocket: true }, (socket, req) => {
      // a reconnection storm: 1013 try again later, before any login is read
      if (!hub.admit('ws')) return socket.close(1013, 'too many piles are connecting; retry');
      const conn = hub.connect({
        door: 'ws',
        remote: `${req.ip}:${req.socket.remotePort ?? ''}`,
        send: (text) => {
          if (socket.readyState === socket.OPEN) socket.send(text);
        },
        // 1000 after the queued frames (ws sends the close frame after pending data)
        close: () => socket.close(1000),
      });
      socket.on('message', (data, isBinary) => {
        if (isBinary) conn.refuse('MALFORMED', 'binary frames are not accepted: send one JSON object per text frame');
        else conn.receive(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
      });
      socket.on('close', () => conn.closed());
      socket.on('error', () => undefined); // 'close' follows
    });
    door = registerOcppDoor(app, ocpp);
  });
  return door!;
}

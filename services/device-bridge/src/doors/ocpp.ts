// OCPP 1.6J door (`/ocpp/:chargePointId`, WebSocket subprotocol `ocpp1.6`): not implemented yet (later issue).
// Plan: an `ocpp-rpc` RPCServer attached to this route; BootNotification/Authorize map to the pile login
// (chargePointId = pileId, basic-auth password = pile secret), Heartbeat/StatusNotification/MeterValues to the
// same PileHub effects as the JSON protocol (hub.ts), RemoteStart/StopTransaction to pile.command.
import type { ServiceContext } from '@voltq/kit';

type FastifyInstance = ServiceContext['http'];

export function registerOcppDoor(app: FastifyInstance): void {
  app.get('/ocpp/:chargePointId', {
    // answer before the upgrade so that a charge point sees a plain HTTP 501 and retries later
    onRequest: async (_req, reply) => {
      await reply.code(501).send({ error: 'NOT_IMPLEMENTED', message: 'OCPP 1.6J is not available yet; use the JSON pile protocol at /piles' });
    },
    websocket: true,
  }, (socket) => socket.close(1011, 'not implemented'));
}

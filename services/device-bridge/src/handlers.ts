// What the device-bridge answers: the piles' two doors (WebSocket `/piles` with the reserved OCPP route, TCP JSON
// lines), each handing a connection to the hub, and the replica's pile-command queue and returned commands.
import { deviceNames } from '@voltq/contracts';
import type { Bus, ServiceContext } from '@voltq/kit';
import { registerWsDoor } from './doors/ws.js';
import { startTcpDoor, type TcpDoor } from './doors/tcp.js';
import type { PileHub } from './hub.js';
import type { PileCommandRouter } from './pile-commands.js';

export interface HandlerDeps {
  http: ServiceContext['http'];
  bus: Bus;
  hub: PileHub;
  router: PileCommandRouter;
  replicaId: string;
  tcp: { host: string; port: number };
  maxMessageBytes: number;
}

/** Registers the doors and the consumers; returns the listening TCP door (closed at shutdown). */
export async function registerHandlers(deps: HandlerDeps): Promise<{ tcp: TcpDoor }> {
  const { http, bus, hub, router, replicaId } = deps;

  await registerWsDoor(http, hub, deps.maxMessageBytes);
  const tcp = await startTcpDoor(hub, { ...deps.tcp, maxMessageBytes: deps.maxMessageBytes });

  bus.onReturned((r) => router.returned(r));
  await bus.consume({
    queue: `pile-command.${replicaId}`,
    types: ['pile.command'],
    exchange: 'commands',
    bindings: [deviceNames.pileCommandRoutingKey(replicaId)],
    transient: true,
    handler: (msg, { log }) => router.route(msg, log),
  });
  return { tcp };
}

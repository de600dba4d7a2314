// What the device-bridge answers: the piles' three doors (WebSocket `/piles` and OCPP 1.6J `/ocpp/<id>` on the HTTP
// port, TCP JSON lines), each handing a connection to the hub, the replica's pile-command queue and returned commands, and the
// device.* RPCs (the registry on the shared queues; device.command also per replica, device.disconnect only so).
import { deviceNames } from '@voltq/contracts';
import type { Bus, ServiceContext } from '@voltq/kit';
import type { OcppDoor, OcppDoorDeps } from './doors/ocpp.js';
import { registerWsDoor } from './doors/ws.js';
import { startTcpDoor, type TcpDoor } from './doors/tcp.js';
import type { PileHub } from './hub.js';
import type { PileCommandRouter } from './pile-commands.js';
import type { DeviceRegistry } from './registry.js';

export interface HandlerDeps {
  http: ServiceContext['http'];
  bus: Bus;
  hub: PileHub;
  router: PileCommandRouter;
  registry: DeviceRegistry;
  replicaId: string;
  tcp: { host: string; port: number };
  maxMessageBytes: number;
  ocpp: OcppDoorDeps;
}

/** Registers the doors and the consumers; returns the listening TCP door and the OCPP door (closed at shutdown). */
export async function registerHandlers(deps: HandlerDeps): Promise<{ tcp: TcpDoor; ocpp: OcppDoor }> {
  const { http, bus, hub, router, registry, replicaId } = deps;

  const ocpp = await registerWsDoor(http, hub, deps.maxMessageBytes, deps.ocpp);
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

  await Promise.all([
    bus.serve('device.register', async (params) => registry.register(params)),
    bus.serve('device.list', async (params) => registry.list(params)),
    bus.serve('device.get', async (params) => registry.get(params)),
    bus.serve('device.remove', async (params) => registry.remove(params)),
    bus.serve('device.command', async (params, ctx) => registry.command(params, false, ctx.deadline)),
    // forwarded here by the replica that got the command: this one holds the pile (or says it does not)
    bus.serve('device.command', async (params, ctx) => registry.command(params, true, ctx.deadline), { shard: replicaId }),
    bus.serve('device.disconnect', async (params) => registry.disconnect(params.deviceId), { shard: replicaId }),
  ]);
  return { tcp, ocpp };
}

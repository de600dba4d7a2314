// Wiring of the device-bridge: config, stores, the pile hub, its two doors and the pile-command queue.
// Everything with logic lives in the modules it wires (session, hub, presence, devices, doors/*).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { deviceNames, type PileCommand } from '@voltq/contracts';
import { RedisOutbox, runService, type ServiceHandle } from '@voltq/kit';
import { configSchema } from './config.js';
import { authenticatePile, deviceModels, parseSeedList, seedDevices } from './devices.js';
import { registerWsDoor } from './doors/ws.js';
import { startTcpDoor } from './doors/tcp.js';
import { PileHub } from './hub.js';
import { Presence } from './presence.js';
import { DEV_PILE_MASTER_KEY } from './secrets.js';

export interface DeviceBridge {
  replicaId: string;
  /** the bound TCP door port (PILE_TCP_PORT=0 picks one) */
  tcpPort: number;
  hub: PileHub;
  presence: Presence;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** default true: exit the process on shutdown / fatal errors; tests pass false */
  exit?: boolean;
}

export async function startDeviceBridge(opts: StartOptions = {}): Promise<ServiceHandle & { bridge: DeviceBridge }> {
  let bridge: DeviceBridge | undefined;
  const handle = await runService({
    name: 'device-bridge',
    configSchema,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.exit !== undefined ? { exit: opts.exit } : {}),
    async start(ctx) {
      const { config, log, bus, redis, clock } = ctx;
      const ns = config.voltqNs;
      const replicaId = config.replicaId ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}-${randomBytes(3).toString('hex')}`;

      const masterKey = config.pileMasterKey ?? DEV_PILE_MASTER_KEY;
      if (!config.pileMasterKey) log.warn('PILE_MASTER_KEY is not set: seeded piles use the development key (never in production)');
      const models = deviceModels(ctx.mongo!, config.deviceLogTtlDays);
      await Promise.all([models.Device.init(), models.DeviceLog.init()]);
      await seedDevices(models, parseSeedList(config.pileSeed), masterKey, log);

      const outbox = new RedisOutbox({ redis, ns, name: 'device-bridge', bus, log });
      await outbox.start();
      ctx.onShutdown(() => outbox.stop());

      const { pileHeartbeatIntervalMs: intervalMs, pileHeartbeatMisses: misses } = config;
      // the registration outlives the local liveness limit by one interval, so the replica holding the socket
      // notices first; the sweep of other replicas only catches piles of a replica that died
      const presence = new Presence(redis, ns, replicaId, { streamKey: outbox.streamKey, fields: (env) => RedisOutbox.fields(env) }, intervalMs * (misses + 1));

      const hub = new PileHub({
        replicaId,
        log,
        clockNow: () => clock.now(),
        clockIso: (ms) => clock.iso(ms),
        realNow: () => Date.now(),
        authenticate: (pileId, secret) => authenticatePile(models, pileId, secret),
        presence,
        envelope: (type, payload) => bus.envelope(type, payload),
        deviceLog: (entry) => {
          models.DeviceLog.create({
            pileId: entry.pileId,
            kind: entry.kind,
            at: new Date(entry.atMs),
            replicaId,
            ...(entry.door ? { door: entry.door } : {}),
            ...(entry.detail ? { detail: entry.detail } : {}),
          }).catch((err: unknown) => log.warn({ err, pileId: entry.pileId, kind: entry.kind }, 'device log write failed'));
        },
        session: { heartbeatIntervalMs: intervalMs, heartbeatMisses: misses, loginTimeoutMs: config.pileLoginTimeoutMs },
      });

      await registerWsDoor(ctx.http, hub, config.pileMaxMessageBytes);
      const tcp = await startTcpDoor(hub, {
        host: config.pileTcpHost ?? config.httpHost,
        port: config.pileTcpPort,
        maxMessageBytes: config.pileMaxMessageBytes,
      });
      log.info({ port: tcp.port, replicaId }, 'pile TCP door listening');
      hub.start();
      // hooks run last-registered first: say goodbye to the piles, close the TCP door, then stop the relay
      ctx.onShutdown(() => tcp.close());
      ctx.onShutdown(() => hub.stop());
      // the registry of who holds which pile lives in Redis: after a loss it is written again from the live sockets
      ctx.onRedisLoss('device-bridge: pile registry', async () => void (await hub.reclaimAll()));

      const commandFailed = (cmd: PileCommand, correlationId: string) => bus.publish('device.command-failed', {
        pileId: cmd.pileId,
        ...(cmd.stationId ? { stationId: cmd.stationId } : {}),
        ...(cmd.pileNo ? { pileNo: cmd.pileNo } : {}),
        commandId: cmd.commandId,
        reason: 'not-connected',
        replicaId,
        command: cmd,
        at: clock.now(),
      }, { correlationId });
      // a command forwarded to a replica that died meanwhile comes back from the broker: answer it as failed
      bus.onReturned((r) => {
        if (r.env?.type !== 'pile.command') return;
        const cmd = r.env.payload as PileCommand;
        commandFailed(cmd, r.env.correlationId).catch((err: unknown) =>
          log.error({ err, commandId: cmd.commandId, pileId: cmd.pileId }, 'could not answer a returned pile command'));
      });

      await bus.consume({
        queue: `pile-command.${replicaId}`,
        types: ['pile.command'],
        exchange: 'commands',
        bindings: [deviceNames.pileCommandRoutingKey(replicaId)],
        transient: true,
        async handler(msg, { log: mlog }) {
          const cmd = msg.payload;
          if (hub.deliver(cmd)) {
            mlog.info({ pileId: cmd.pileId, action: cmd.action, commandId: cmd.commandId }, 'pile command sent');
            return;
          }
          // the pile moved to another replica since the sender looked it up
          const owner = await presence.ownerOf(cmd.pileId);
          if (owner && owner !== replicaId) {
            await bus.send('pile.command', cmd, { routingKey: deviceNames.pileCommandRoutingKey(owner), correlationId: msg.correlationId });
            mlog.info({ pileId: cmd.pileId, owner }, 'pile command forwarded to the replica holding the pile');
            return;
          }
          // nobody holds the pile (it disconnected, or its replica died before it reconnected): the command goes back
          // to its sender, which holds it until the pile reconnects or fails it visibly; never dropped here
          await commandFailed(cmd, msg.correlationId);
          mlog.warn({ pileId: cmd.pileId, action: cmd.action, commandId: cmd.commandId }, 'pile command for a pile not held here: answered command-failed');
        },
      });

      bridge = { replicaId, tcpPort: tcp.port, hub, presence };
    },
  });
  return { ...handle, bridge: bridge! };
}

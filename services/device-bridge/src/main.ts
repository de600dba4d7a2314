// The device-bridge: piles on the JSON protocol over WebSocket (/piles) and TCP (PILE_TCP_PORT), OCPP 1.6J charge
// points on /ocpp/<id>. This file wires
// the stores (devices in MongoDB, presence in Redis), the pile hub, the command router and the device registry;
// handlers.ts registers the doors, the pile-command queue and the device.* RPCs. Everything with logic lives in the modules it wires.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEV_PILE_MASTER_KEY } from '@voltq/pile-sim/secrets';
import { isDomainError, RedisOutbox, runIfMain, type RunServiceOptions, type ServiceContext } from '@voltq/kit';
import type { OcppTransactions } from './domain/ocpp.js';
import { configSchema } from './config.js';
import { AdmissionBucket } from './domain/admission.js';
import { createBridgeMetrics } from './metrics.js';
import { createOcppTransactions } from './ocpp-transactions.js';
import { registerHandlers } from './handlers.js';
import { PileHub, type DeviceLogEntry } from './hub.js';
import { PileCommandRouter } from './pile-commands.js';
import { DeviceRegistry } from './registry.js';
import { authenticatePile, checkPileLogin, deviceModels, parseSeedList, recordDeviceLog, seedDevices, type DeviceModels } from './store/devices.js';
import { Presence } from './store/presence.js';

/** What an OcppTransactions implementation gets to work with (the stores of this replica). */
export interface OcppTransactionsWiring {
  ctx: ServiceContext;
  models: DeviceModels;
  presence: Presence;
  replicaId: string;
}
export type OcppTransactionsFactory = (wiring: OcppTransactionsWiring) => OcppTransactions | Promise<OcppTransactions>;

/** The OCPP transaction service of this replica (src/ocpp-transactions.ts): durable, idempotent transactions. */
const realTransactions = (cardOwner: (cardId: string) => Promise<string | undefined>, staleSessionMs: number): OcppTransactionsFactory => async ({ ctx, presence }) => {
  const service = await createOcppTransactions({
    mongo: ctx.mongo!, bus: ctx.bus, presence, cardOwner, now: () => ctx.clock.now(), log: ctx.log,
    staleSessionMs,
  });
  service.start();
  ctx.onShutdown(() => service.stop());
  return service;
};

/** The service, with the OCPP transaction service given (tests pass a stand-in). */
export function makeDeviceBridgeService(opts: { ocppTransactions?: OcppTransactionsFactory } = {}) {
  return {
    name: 'device-bridge',
    configSchema,
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

      // the user holding a card (auth); undefined when nobody does, thrown when auth cannot tell now
      const cardOwner = async (cardId: string): Promise<string | undefined> => {
        try {
          return (await bus.call('auth.cardOwner', { cardId })).userId;
        } catch (err) {
          if (isDomainError(err) && err.code === 'NOT_FOUND') return undefined;
          throw err;
        }
      };
      const logEntry = (entry: DeviceLogEntry) => {
        recordDeviceLog(models, replicaId, entry)
          .catch((err: unknown) => log.warn({ err, pileId: entry.pileId, kind: entry.kind }, 'device log write failed'));
      };
      // the gauge reads the hub at each scrape
      const metrics = createBridgeMetrics(ctx.metrics.registry, () => hub.heldByProtocol());
      // real time: a manual or scaled clock must not open or close the door
      const admission = new AdmissionBucket(config.pileAdmissionPerSecond, Date.now());
      const hub = new PileHub({
        replicaId,
        log,
        clockNow: () => clock.now(),
        clockIso: (ms) => clock.iso(ms),
        realNow: () => Date.now(),
        authenticate: (deviceId, secret) => authenticatePile(models, deviceId, secret),
        cardOwner,
        presence,
        envelope: (type, payload) => bus.envelope(type, payload),
        deviceLog: logEntry,
        session: { heartbeatIntervalMs: intervalMs, heartbeatMisses: misses, loginTimeoutMs: config.pileLoginTimeoutMs },
        metrics,
        admit: () => admission.take(Date.now()),
      });
      const transactions = await (opts.ocppTransactions ?? realTransactions(cardOwner, config.ocppStaleSessionMs))({ ctx, models, presence, replicaId });
      const router = new PileCommandRouter({ bus, hub, presence, clock, log, replicaId });
      const registry = new DeviceRegistry({ models, presence, hub, bus, clock, log, replicaId, metrics });

      const { tcp, ocpp } = await registerHandlers({
        http: ctx.http,
        bus,
        hub,
        router,
        registry,
        replicaId,
        tcp: { host: config.pileTcpHost ?? config.httpHost, port: config.pileTcpPort },
        maxMessageBytes: config.pileMaxMessageBytes,
        ocpp: {
          hub,
          presence,
          transactions,
          log,
          replicaId,
          clockNow: () => clock.now(),
          clockIso: (ms) => clock.iso(ms),
          envelope: (type, payload) => bus.envelope(type, payload),
          deviceLog: logEntry,
          heartbeatIntervalMs: intervalMs,
          random: Math.random,
          checkLogin: (deviceId, secret) => checkPileLogin(models, deviceId, secret),
          pingIntervalMs: config.ocppPingIntervalMs ?? intervalMs,
          maxMessageBytes: config.pileMaxMessageBytes,
          metrics,
        },
      });
      log.info({ port: tcp.port, replicaId }, 'pile TCP door listening');
      hub.start();
      // hooks run last-registered first: say goodbye to the piles (no offline events), close the OCPP and TCP doors,
      // then stop the relay
      ctx.onShutdown(() => tcp.close());
      ctx.onShutdown(() => ocpp.close());
      ctx.onShutdown(() => hub.stop());
      // the registry of who holds which pile lives in Redis: after a loss it is written again from the live sockets
      ctx.onRedisLoss('device-bridge: pile registry', async () => void (await hub.reclaimAll()));
    },
  } satisfies RunServiceOptions<typeof configSchema>;
}

export const deviceBridgeService = makeDeviceBridgeService();

await runIfMain(import.meta.url, deviceBridgeService);

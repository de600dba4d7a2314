// The scheduler: stations from MongoDB (also those created at runtime, station-catalog.ts), live state in Redis (+ outbox relay) with a durable copy in MongoDB, one
// writer per station (an RPC shard queue with a single active consumer), the public RPC methods, device events,
// the pile-command watch and the clock driver. This file wires them; handlers.ts says what answers what.
import { randomUUID } from 'node:crypto';
import { deviceNames } from '@voltq/contracts';
import { MongoOutboxRelay, RedisOutbox, runIfMain, type RunServiceOptions } from '@voltq/kit';
import { nextDueAt } from '@voltq/scheduling';
import { SchedulerApi } from './api.js';
import { ClockControl } from './clock-control.js';
import { ClockDriver } from './clock-driver.js';
import { configSchema } from './config.js';
import { toEngineConfigInput } from './domain/mapping.js';
import { registerHandlers, serveStation } from './handlers.js';
import { PileCommandWatch } from './pile-commands.js';
import { walkUpPileInfo } from './domain/stations.js';
import { StationCatalog } from './station-catalog.js';
import { StationWriter } from './station-writer.js';
import { StationCalls } from './station-calls.js';
import { DurableClock, DurableStations } from './store/durable.js';
import { HeldCommands, PileRegistry } from './store/pile-commands.js';
import { DEFAULT_STATION_ID, StationStore } from './store/station-configs.js';
import { StationRepository } from './store/station-repository.js';
import { WalkUpSessions } from './walk-up-sessions.js';
import { walkUpModel, WalkUpStore } from './store/walk-up-sessions.js';
import { TariffBook } from './walk-up-tariffs.js';

export const schedulerService = {
  name: 'scheduler',
  configSchema,
  async start(ctx) {
    const { config, bus, redis, clock, log } = ctx;
    const ns = config.voltqNs;
    if (!ctx.mongo) throw new Error('the scheduler needs MongoDB (stations)');

    const outbox = new RedisOutbox({ redis, ns, name: 'scheduler', bus, log });
    const durable = new DurableStations(ctx.mongo);
    const durableClock = new DurableClock(ctx.mongo);
    const repo = new StationRepository(redis, ns, outbox.streamKey, durable, log);
    const store = new StationStore(ctx.mongo);
    const registry = new PileRegistry(redis, ns);
    const stations = new StationCalls({
      bus, repo, generation: ctx.redisGeneration, rebuildWaitMs: config.rebuildWaitMs,
      discover: (id): Promise<boolean> => catalog.discover(id),
    });
    const exec = stations.exec.bind(stations);

    // pile commands: acknowledged by the pile, or held until it reconnects, or failed visibly (README "Pile commands")
    const watch = new PileCommandWatch({
      held: new HeldCommands(redis, ns),
      registry,
      log,
      timing: { ackTimeoutMs: config.pileCommandAckTimeoutMs, waitMs: config.pileCommandWaitMs },
      realNow: () => Date.now(),
      stationIds: () => stations.list(),
      load: (id) => repo.load(id),
      exec,
      send: async (cmd, replicaId) => void (await bus.send('pile.command', cmd, { routingKey: deviceNames.pileCommandRoutingKey(replicaId) })),
    });

    const driver = new ClockDriver({
      clock,
      log,
      pollMs: config.stationPollMs,
      fire: async (id) => nextDueAt((await exec(id, { type: 'advance' }, randomUUID())).state),
      nextDue: async (id) => {
        const s = await repo.load(id);
        return s ? nextDueAt(s) : null;
      },
    });
    const writer = new StationWriter({
      repo,
      log,
      now: () => clock.now(),
      envelope: (type, payload, o) => ({ ...bus.envelope(type, payload, { correlationId: o.correlationId }), occurredAt: clock.iso(o.atMs) }),
      pileOwner: (stationId, pileNo) => registry.ownerOf(deviceNames.pileId(stationId, pileNo)),
      tariffOf: (stationId): string | undefined => catalog.tariffOf(stationId),
      onWritten: (id, state) => driver.arm(id, nextDueAt(state)),
      onStopUnrouted: (cmd) => void watch.undelivered(cmd, 'no replica holds the pile', null)
        .catch((err: unknown) => log.error({ err, commandId: cmd.commandId }, 'could not hold a pile stop command')),
    });

    // the clock setting and every station come back from MongoDB when Redis does not have them
    const restoreClock = async () => {
      const saved = await durableClock.load();
      await durableClock.save(saved ? await clock.restore(saved) : clock.state());
    };
    const restoreStations = async () => {
      for (const c of await store.all()) {
        if (!stations.has(c.stationId)) continue; // served by the replicas started after it was added
        // load() puts a station Redis lost back from its durable copy; ensure() creates one that never was
        const state = await writer.ensure(c.stationId, toEngineConfigInput(c), clock.now());
        await repo.syncDurable(c.stationId);
        driver.arm(c.stationId, nextDueAt(state));
      }
    };
    const catalog: StationCatalog = new StationCatalog({
      store, calls: stations, writer, repo, log, now: () => clock.now(),
      serve: (id) => serveStation(bus, writer, id),
      watch: (id, state) => driver.arm(id, nextDueAt(state)),
      walkUpPiles: async (stationId) => (await bus.call('device.list', { stationId }, { timeoutMs: 2000 })).items.map(walkUpPileInfo),
    });
    await restoreClock();
    const now = clock.now();
    await store.init({
      stationId: DEFAULT_STATION_ID, name: config.defaultStationName, address: config.defaultStationAddress,
      latitude: config.defaultStationLatitude, longitude: config.defaultStationLongitude, kind: 'queue',
      status: 'online', tariffId: 'default', createdAt: now, updatedAt: now,
    });
    await catalog.refresh(); // every stored station: live state, shard queue, clock driver
    ctx.onRedisLoss('scheduler: clock, outbox, stations', async () => {
      await restoreClock();
      await outbox.ensureGroup();
      await restoreStations();
    });

    const api = new SchedulerApi({ exec, load: (id) => stations.load(id), now: () => clock.now(), saveConfig: (c) => store.save(c) });
    const clockControl = new ClockControl(clock, {
      stationIds: () => stations.list(),
      stationTime: async (id) => (await stations.load(id)).nowMs,
      // device-driven piles: from completion to completion, each start answered first (README "Pile commands")
      advanceTo: (id, atMs) => watch.advance(id, atMs, Math.min(config.pileCommandAckTimeoutMs, 2000)),
      rebaseTo: async (id, atMs) => void (await exec(id, { type: 'rebase' }, randomUUID(), atMs)),
    }, Date.now, (s) => durableClock.save(s));

    // walk-up sessions: MongoDB `walkup_sessions` with its own outbox (README "Walk-up sessions")
    const walkUpStore = new WalkUpStore(walkUpModel(ctx.mongo));
    await walkUpStore.init(); // the unique orderId and live-port indexes before the first session
    const walkUpRelay = new MongoOutboxRelay({ model: walkUpStore.model, bus, log });
    const walkUp = new WalkUpSessions({
      store: walkUpStore,
      tariffs: new TariffBook(async () => (await bus.call('billing.tariffs', {})).tariffs, Date.now),
      device: {
        get: (deviceId) => bus.call('device.get', { deviceId }),
        // the bridge answers TIMEOUT itself when the pile is silent for timeoutMs: this call waits a little longer
        command: (params, correlationId) => bus.call('device.command', params, { correlationId, timeoutMs: (params.timeoutMs ?? 10_000) + 2000 }),
      },
      station: (id) => catalog.get(id),
      envelope: (type, payload, correlationId, atMs) => ({ ...bus.envelope(type, payload, { correlationId }), occurredAt: clock.iso(atMs) }),
      kick: () => walkUpRelay.kick(),
      now: () => clock.now(),
      realNow: () => Date.now(),
      log: log.child({ component: 'walk-up' }),
      timing: {
        commandTimeoutMs: config.walkUpCommandTimeoutMs,
        stopRetryMs: config.walkUpStopRetryMs,
        stopAttempts: config.walkUpStopAttempts,
        stopWaitMs: config.walkUpStopWaitMs,
      },
    });

    await registerHandlers({ bus, stations, repo, writer, api, clockControl, watch, catalog, walkUp });

    await outbox.start();
    walkUpRelay.start();
    walkUp.startSweep();
    driver.start(stations.list());
    watch.start(config.pileCommandScanMs);
    // stations created through another replica: served here by the next poll at the latest
    const refresh = setInterval(() => void catalog.refresh()
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'station refresh failed')), config.stationPollMs);
    refresh.unref();
    ctx.onShutdown(async () => {
      clearInterval(refresh);
      driver.stop();
      await watch.stop();
      await walkUp.stopSweep();
      await walkUpRelay.stop();
      await outbox.stop();
    });
    log.info({ stations: stations.list() }, 'scheduler ready');
  },
} satisfies RunServiceOptions<typeof configSchema>;

await runIfMain(import.meta.url, schedulerService);

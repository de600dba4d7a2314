// Wiring of the scheduler: stations from MongoDB, live state in Redis (+ outbox relay), one writer per station
// (an RPC shard queue with a single active consumer), the public RPC methods, device events, the clock driver.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { deviceNames, type StationCommand } from '@voltq/contracts';
import { DomainError, isDomainError, RedisOutbox, serviceConfigSchema, type ServiceContext } from '@voltq/kit';
import { nextDueAt, type StationEvent, type StationState } from '@voltq/scheduling';
import { SchedulerApi } from './api.js';
import { ClockControl } from './clock-control.js';
import { ClockDriver } from './clock-driver.js';
import { DurableClock, DurableStations } from './durable.js';
import { DEVICE_EVENT_TYPES, deviceCommand, pileOfDevice } from './device-events.js';
import { PileCommandWatch } from './pile-commands.js';
import { toEngineConfigInput } from './mapping.js';
import { StationRepository } from './station-repository.js';
import { StationWriter, unknownStation } from './station-writer.js';
import { StationStore } from './stations.js';

export const configSchema = serviceConfigSchema('scheduler', {
  // safety net: how often every replica re-reads each station's next completion (takes over a dead writer's timer)
  stationPollMs: Type.Integer({ minimum: 50, default: 5000 }),
  // after a Redis loss, how long a call waits for the rebuild before it is refused with REBUILDING (503)
  rebuildWaitMs: Type.Integer({ minimum: 0, default: 1000 }),
  // pile commands (README "Pile commands"): real ms a pile has to acknowledge one, in all to become reachable,
  // and how often each replica looks at the commands under way
  pileCommandAckTimeoutMs: Type.Integer({ minimum: 10, default: 10_000 }),
  pileCommandWaitMs: Type.Integer({ minimum: 10, default: 60_000 }),
  pileCommandScanMs: Type.Integer({ minimum: 10, default: 1000 }),
});
export type SchedulerConfig = Static<typeof configSchema>;

const DEVICE_EVENT_REBUILD_WAIT_MS = 20_000; // below the 25 s shutdown timeout

export async function startScheduler(ctx: ServiceContext<SchedulerConfig>): Promise<void> {
  const { config, bus, redis, clock, log } = ctx;
  const ns = config.voltqNs;
  if (!ctx.mongo) throw new Error('the scheduler needs MongoDB (stations)');

  const outbox = new RedisOutbox({ redis, ns, name: 'scheduler', bus, log });
  const durable = new DurableStations(ctx.mongo);
  const durableClock = new DurableClock(ctx.mongo);
  const repo = new StationRepository(redis, ns, outbox.streamKey, durable, log);
  const store = new StationStore(ctx.mongo);
  const stationIds = new Set<string>();

  // ---- after Redis lost its data: calls wait for the rebuild a little, then are refused with REBUILDING ----
  const generation = ctx.redisGeneration;
  const ready = async (waitMs = config.rebuildWaitMs) => {
    if (!generation || generation.rebuilt()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([generation.settled(), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    if (!generation.rebuilt()) {
      throw new DomainError('REBUILDING', 'the scheduler is rebuilding its live state after a cache loss; retry in a few seconds');
    }
  };

  // ---- one write path per station: `${ns}.rpc.scheduler.station.<stationId>`, single active consumer ----
  const exec = async (stationId: string, command: StationCommand, correlationId: string, atMs?: number) => {
    await ready();
    if (!stationIds.has(stationId)) throw unknownStation(stationId);
    const r = await bus.call('scheduler.station', { stationId, command, ...(atMs !== undefined ? { atMs } : {}) },
      { shard: stationId, correlationId });
    return { state: r.state as StationState, events: r.events as StationEvent[] };
  };
  const load = async (stationId: string): Promise<StationState> => {
    await ready();
    const state = stationIds.has(stationId) ? await repo.load(stationId) : null;
    if (!state) throw unknownStation(stationId);
    return state;
  };

  // pile commands: acknowledged by the pile, or held until it reconnects, or failed visibly (README "Pile commands")
  const watch = new PileCommandWatch({
    redis, ns, log,
    timing: { ackTimeoutMs: config.pileCommandAckTimeoutMs, waitMs: config.pileCommandWaitMs },
    realNow: () => Date.now(),
    stationIds: () => [...stationIds],
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
    pileOwner: (stationId, pileNo) => redis.get(deviceNames.pileOwnerKey(ns, deviceNames.pileId(stationId, pileNo))),
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
      if (!stationIds.has(c.stationId)) continue; // served by the replicas started after it was added
      // load() puts a station Redis lost back from its durable copy; ensure() creates one that never was
      const state = await writer.ensure(c.stationId, toEngineConfigInput(c), clock.now());
      await repo.syncDurable(c.stationId);
      driver.arm(c.stationId, nextDueAt(state));
    }
  };
  await restoreClock();
  for (const c of await store.init()) {
    await writer.ensure(c.stationId, toEngineConfigInput(c), clock.now());
    await repo.syncDurable(c.stationId);
    stationIds.add(c.stationId);
  }
  ctx.onRedisLoss('scheduler: clock, outbox, stations', async () => {
    await restoreClock();
    await outbox.ensureGroup();
    await restoreStations();
  });
  for (const id of stationIds) {
    await bus.serve('scheduler.station', async (p, c) => {
      if (p.stationId !== id) throw new DomainError('VALIDATION', `station ${p.stationId} sent to the queue of ${id}`);
      const r = await writer.exec(id, p.command, { atMs: p.atMs, correlationId: c.correlationId });
      return { version: r.state.version, changed: r.changed, state: r.state, events: r.events };
    }, { shard: id, singleActiveConsumer: true, prefetch: 50 });
  }

  // ---- public RPC ----
  const api = new SchedulerApi({ exec, load, now: () => clock.now(), saveConfig: (c) => store.save(c) });
  await bus.serve('scheduler.submit', (p, c) => api.submit(p, c));
  await bus.serve('scheduler.modify', (p, c) => api.modify(p, c));
  await bus.serve('scheduler.cancel', (p, c) => api.cancel(p, c));
  await bus.serve('scheduler.configure', (p, c) => api.configure(p, c));
  await bus.serve('scheduler.pileStatus', (p, c) => api.pileStatus(p, c));
  await bus.serve('scheduler.position', (p) => api.position(p));
  await bus.serve('scheduler.board', (p) => api.board(p));

  const clockControl = new ClockControl(clock, {
    stationIds: () => [...stationIds],
    stationTime: async (id) => (await load(id)).nowMs,
    // device-driven piles: from completion to completion, each start answered first (README "Pile commands")
    advanceTo: (id, atMs) => watch.advance(id, atMs, Math.min(config.pileCommandAckTimeoutMs, 2000)),
    rebaseTo: async (id, atMs) => void (await exec(id, { type: 'rebase' }, randomUUID(), atMs)),
  }, Date.now, (s) => durableClock.save(s));
  // clock changes go through one replica at a time
  await bus.serve('scheduler.clockSet', async (p) => (await ready(), clockControl.set(p)), { singleActiveConsumer: true });
  await bus.serve('scheduler.clockAdvance', async (p) => (await ready(), clockControl.advance(p)), { singleActiveConsumer: true });
  await bus.serve('scheduler.clockGet', async () => (await ready(), clockControl.view()));

  // ---- pile commands: acknowledged by the pile, or held until it reconnects, or failed visibly ----
  bus.onReturned((r) => watch.returned(r));
  await bus.consume({
    queue: 'pile-answers',
    types: ['device.command-acked', 'device.command-failed'],
    handler: (msg, { correlationId }) => watch.answer(msg, correlationId),
  });

  // ---- pile connectivity from the device-bridge ----
  await bus.consume({
    queue: 'device-events',
    types: [...DEVICE_EVENT_TYPES],
    async handler(msg, { log: mlog, correlationId }) {
      // a pile's report is not refused for a rebuild (redeliveries would dead-letter it): it waits for the station
      await ready(DEVICE_EVENT_REBUILD_WAIT_MS);
      const pile = pileOfDevice(msg.payload);
      const state = pile && stationIds.has(pile.stationId) ? await repo.load(pile.stationId) : null;
      if (msg.type === 'device.pile-online' && pile && state) {
        // a pile that logs in is driven by its device from now on: its sessions start from its own report
        if (state.piles.some((p) => p.pileNo === pile.pileNo && p.driven !== true)) {
          await exec(pile.stationId, { type: 'pileDriven', pileNo: pile.pileNo }, correlationId);
        }
        await watch.pileOnline(msg.payload.pileId);
      }
      const decision = deviceCommand(msg.type, msg.payload, state?.piles.find((p) => p.pileNo === pile?.pileNo)?.state);
      if ('skip' in decision) {
        // mlog carries the message type already (kit's consumer binds it)
        mlog.info({ pileId: msg.payload.pileId }, `device event ignored: ${decision.skip}`);
        return;
      }
      try {
        await exec(decision.stationId, decision.command, correlationId);
      } catch (err) {
        // raced with an admin or a repeated report: the pile is already where the event would put it
        if (isDomainError(err) && (err.code === 'PILE_STATE' || err.code === 'NOT_FOUND')) {
          mlog.info({ pileId: msg.payload.pileId, err: err.message }, 'device event ignored');
          return;
        }
        throw err;
      }
    },
  });

  await outbox.start();
  driver.start([...stationIds]);
  watch.start(config.pileCommandScanMs);
  ctx.onShutdown(async () => {
    driver.stop();
    await watch.stop();
    await outbox.stop();
  });
  log.info({ stations: [...stationIds] }, 'scheduler ready');
}

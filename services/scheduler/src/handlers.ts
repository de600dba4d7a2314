// Every message the scheduler answers or consumes, each mapped to one call: the station writers' shard queues, the
// public RPC methods (stations among them), the clock, the pile answers and the device-bridge's pile reports.
import type { MessagePayload } from '@voltq/contracts';
import { DomainError, type Bus } from '@voltq/kit';
import type { SchedulerApi } from './api.js';
import type { ClockControl } from './clock-control.js';
import { applyDeviceEvent, type DeviceReportDeps } from './device-reports.js';
import { DEVICE_EVENT_TYPES } from './domain/device-events.js';
import type { PileCommandWatch } from './pile-commands.js';
import type { StationCatalog } from './station-catalog.js';
import type { StationWriter } from './station-writer.js';
import type { StationCalls } from './station-calls.js';
import { WALK_UP_PORT_EVENTS } from './domain/walk-up.js';
import type { WalkUpSessions } from './walk-up-sessions.js';

export interface HandlerDeps extends DeviceReportDeps {
  bus: Bus;
  stations: StationCalls;
  writer: StationWriter;
  api: SchedulerApi;
  clockControl: ClockControl;
  watch: PileCommandWatch;
  catalog: StationCatalog;
  walkUp: WalkUpSessions;
}

/** The one write path of a station on this replica: `${ns}.rpc.scheduler.station.<stationId>`, single active consumer. */
export async function serveStation(bus: Bus, writer: StationWriter, id: string): Promise<void> {
  await bus.serve('scheduler.station', async (p, c) => {
    if (p.stationId !== id) throw new DomainError('VALIDATION', `station ${p.stationId} sent to the queue of ${id}`);
    const r = await writer.exec(id, p.command, { atMs: p.atMs, correlationId: c.correlationId });
    return { version: r.state.version, changed: r.changed, state: r.state, events: r.events };
  }, { shard: id, singleActiveConsumer: true, prefetch: 50 });
}

export async function registerHandlers(deps: HandlerDeps): Promise<void> {
  const { bus, stations, api, clockControl, watch, catalog, walkUp } = deps;
  // the stations' own write paths (serveStation) are served by the catalog as it adopts each station

  // ---- public RPC ----
  await bus.serve('scheduler.submit', (p, c) => api.submit(p, c));
  await bus.serve('scheduler.modify', (p, c) => api.modify(p, c));
  await bus.serve('scheduler.cancel', (p, c) => api.cancel(p, c));
  await bus.serve('scheduler.configure', (p, c) => api.configure(p, c));
  await bus.serve('scheduler.pileStatus', (p, c) => api.pileStatus(p, c));
  await bus.serve('scheduler.position', (p) => api.position(p));
  await bus.serve('scheduler.board', (p) => api.board(p));
  await bus.serve('scheduler.stations', (p) => catalog.list(p));
  await bus.serve('scheduler.getStation', (p) => catalog.get(p.stationId));
  await bus.serve('scheduler.createStation', (p) => catalog.create(p));
  await bus.serve('scheduler.updateStation', (p) => catalog.update(p));

  // ---- walk-up sessions: the user picks a pile and port ----
  await bus.serve('scheduler.startWalkUp', (p, c) => walkUp.start(p, c.correlationId));
  await bus.serve('scheduler.stopWalkUp', (p, c) => walkUp.stop(p, c.correlationId));
  await bus.serve('scheduler.walkUpSession', (p) => walkUp.session(p));
  await bus.serve('scheduler.portTotals', async (p) => ({ items: await walkUp.portTotals(p) }));

  // clock changes go through one replica at a time, over every station (also one created a moment ago elsewhere)
  await bus.serve('scheduler.clockSet', async (p) => (await stations.ready(), await catalog.refresh(), clockControl.set(p)), { singleActiveConsumer: true });
  await bus.serve('scheduler.clockAdvance', async (p) => (await stations.ready(), await catalog.refresh(), clockControl.advance(p)), { singleActiveConsumer: true });
  await bus.serve('scheduler.clockGet', async () => (await stations.ready(), clockControl.view()));

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
    handler: (msg, ctx) => applyDeviceEvent(deps, msg, ctx),
  });

  // ---- the ports of walk-up piles: readings, card starts, stops, faults (a queue of their own) ----
  await bus.consume({
    queue: 'walk-up-ports',
    types: [...WALK_UP_PORT_EVENTS],
    async handler(msg, { correlationId }) {
      switch (msg.type) {
        case 'device.meter': return walkUp.onMeter(msg.payload as MessagePayload<'device.meter'>, correlationId);
        case 'device.session-started': return walkUp.onCardStarted(msg.payload as MessagePayload<'device.session-started'>, correlationId);
        case 'device.session-stopped': return walkUp.onStopped(msg.payload as MessagePayload<'device.session-stopped'>, correlationId);
        default: return walkUp.onPileFault(msg.payload as MessagePayload<'device.pile-fault'>, correlationId);
      }
    },
  });
}

// What a pile's connectivity report from the device-bridge does to its station (ARCH "Charge flow"): a pile that
// logs in becomes device-driven, its held commands go out, and a fault, a lost pile or a recovery becomes the
// station command domain/device-events.ts decides on.
import { isDomainError, type HandlerContext } from '@voltq/kit';
import type { Envelope } from '@voltq/contracts';
import { deviceCommand, pileOfDevice, type DeviceEventType } from './domain/device-events.js';
import type { PileCommandWatch } from './pile-commands.js';
import type { StationCalls } from './station-calls.js';
import type { StationRepository } from './store/station-repository.js';

// a pile's report waits this long for a rebuild: below the 25 s shutdown timeout
const DEVICE_EVENT_REBUILD_WAIT_MS = 20_000;

export interface DeviceReportDeps {
  stations: StationCalls;
  repo: StationRepository;
  watch: PileCommandWatch;
}

export async function applyDeviceEvent(
  deps: DeviceReportDeps,
  msg: Envelope<DeviceEventType>,
  { log: mlog, correlationId }: Pick<HandlerContext, 'log' | 'correlationId'>,
): Promise<void> {
  const { stations, repo, watch } = deps;
  // a pile's report is not refused for a rebuild (redeliveries would dead-letter it): it waits for the station
  await stations.ready(DEVICE_EVENT_REBUILD_WAIT_MS);
  const pile = pileOfDevice(msg.payload);
  const state = pile && stations.has(pile.stationId) ? await repo.load(pile.stationId) : null;
  if (msg.type === 'device.pile-online' && pile && state) {
    // a pile that logs in is driven by its device from now on: its sessions start from its own report
    if (state.piles.some((p) => p.pileNo === pile.pileNo && p.driven !== true)) {
      await stations.exec(pile.stationId, { type: 'pileDriven', pileNo: pile.pileNo }, correlationId);
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
    await stations.exec(decision.stationId, decision.command, correlationId);
  } catch (err) {
    // raced with an admin or a repeated report: the pile is already where the event would put it
    if (isDomainError(err) && (err.code === 'PILE_STATE' || err.code === 'NOT_FOUND')) {
      mlog.info({ pileId: msg.payload.pileId, err: err.message }, 'device event ignored');
      return;
    }
    throw err;
  }
}

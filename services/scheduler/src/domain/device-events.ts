// Pile connectivity events from the device-bridge -> station commands (ARCH: a fault report or a lost
// heartbeat stops the pile as rule 5 says; a recovery or a pile back online recovers it).
import type { MessagePayload, StationCommand } from '@voltq/contracts';

export const DEVICE_EVENT_TYPES = [
  'device.pile-fault',
  'device.pile-offline',
  'device.pile-recovered',
  'device.pile-online',
] as const;
export type DeviceEventType = (typeof DEVICE_EVENT_TYPES)[number];

/** Which station pile a device is: explicit fields, else its id `<stationId>-<pileNo>` (split at the last '-'). */
export function pileOfDevice(p: { pileId: string; stationId?: string; pileNo?: string }): { stationId: string; pileNo: string } | null {
  if (p.stationId && p.pileNo) return { stationId: p.stationId, pileNo: p.pileNo };
  const cut = p.pileId.lastIndexOf('-');
  if (cut <= 0 || cut === p.pileId.length - 1) return null;
  return { stationId: p.stationId ?? p.pileId.slice(0, cut), pileNo: p.pileNo ?? p.pileId.slice(cut + 1) };
}

/**
 * The command for a device event, given the pile's current state; null when the pile is already where the
 * event would put it (a repeated report, or an admin-switched-off pile coming online stays off).
 */
export function deviceCommand(
  type: DeviceEventType,
  payload: MessagePayload<DeviceEventType>,
  pileState: 'working' | 'fault' | 'off' | undefined,
): { stationId: string; command: StationCommand } | { skip: string } {
  const pile = pileOfDevice(payload);
  if (pile === null) return { skip: `cannot tell the station pile of device ${payload.pileId}` };
  if (pileState === undefined) return { skip: `station ${pile.stationId} has no pile ${pile.pileNo}` };
  // A pile that logs in while still reporting a fault is online but not recovered.
  const stillFaulted = type === 'device.pile-online' && 'faulted' in payload && payload.faulted === true;
  const down = type === 'device.pile-fault' || type === 'device.pile-offline' || stillFaulted;
  if (down) {
    if (pileState !== 'working') return { skip: `pile ${pile.pileNo} is already ${pileState}` };
    return { stationId: pile.stationId, command: { type: 'pileFault', pileNo: pile.pileNo } };
  }
  if (pileState !== 'fault') return { skip: `pile ${pile.pileNo} is ${pileState}; nothing to recover` };
  return { stationId: pile.stationId, command: { type: 'pileRecover', pileNo: pile.pileNo } };
}

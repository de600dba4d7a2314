// The observer side of a device-bridge service test: the namespaced harness with every queue the bridge makes
// (its device.* RPCs, the per-replica shards), and the stand-ins of what the scheduler and auth answer (their own
// services are not under test here): the walk-up station `park` and the card `CARD-7` of `user-7`.
import type { StationView } from '@voltq/contracts';
import { createLocalClock, DomainError } from '@voltq/kit';
import { startServiceHarness } from '../../../../test/support/service-harness.js';

export const PARK: StationView = {
  stationId: 'park', name: 'Park', address: 'somewhere', latitude: 31, longitude: 121, kind: 'walk-up', status: 'online', tariffId: 'default',
  freePorts: 0, totalPorts: 0, piles: [], createdAt: 0, updatedAt: 0,
};

export async function startBridgeHarness(label: string, replicaIds: string[]) {
  const h = await startServiceHarness({
    label,
    busName: 'observer',
    clock: createLocalClock(),
    queues: [
      'device-bridge.transient',
      ...['register', 'list', 'get', 'remove', 'command'].map((m) => `rpc.device.${m}`),
      'rpc.scheduler.getStation',
      'rpc.auth.cardOwner',
      ...replicaIds.flatMap((r) => [`rpc.device.command.${r}`, `rpc.device.disconnect.${r}`]),
    ],
    rpcTimeoutMs: 15_000,
  });
  await h.bus.serve('scheduler.getStation', async ({ stationId }) => {
    if (stationId !== PARK.stationId) throw new DomainError('NOT_FOUND', 'station not found', { resource: 'station' });
    return PARK;
  });
  return h;
}

/** auth's answer for cards: CARD-7 is user-7's, no other card is anyone's. */
export async function serveCardOwner(h: Awaited<ReturnType<typeof startBridgeHarness>>): Promise<void> {
  await h.bus.serve('auth.cardOwner', async ({ cardId }) => {
    if (cardId !== 'CARD-7') throw new DomainError('NOT_FOUND', 'card not found', { resource: 'card' });
    return { cardId, userId: 'user-7' };
  });
}

// The scheduler in-process on a fresh namespace (test/support/service-harness.ts), a test bus that records every
// event it publishes, a Redis connection of the test's own, and more replicas on demand.
import { Redis } from 'ioredis';
import { DomainError, runService, type MessageType, type ServiceHandle } from '@voltq/kit';
import { REDIS_URL } from '../../../../test/support/env.js';
import { startServiceHarness, type ServiceHarness } from '../../../../test/support/service-harness.js';
import type { SchedulerConfig } from '../../src/config.js';
import { schedulerService } from '../../src/main.js';

export const WATCHED: MessageType[] = [
  'order.queued', 'order.dispatched', 'order.modified', 'order.cancelled', 'order.requeued', 'order.finished',
  'session.started', 'session.ended', 'pile.status-changed', 'pile.faulted', 'pile.recovered',
];

/** What the run declares (deleted even where the broker cannot be listed). */
const QUEUES = [
  'scheduler.device-events', 'scheduler.pile-answers', 'scheduler.walk-up-ports', 'scheduler.transient',
  // what walk-up tests serve in place of the device-bridge and billing
  'rpc.device.get', 'rpc.device.command', 'rpc.billing.tariffs',
  ...[
    'scheduler.station.default', 'scheduler.submit', 'scheduler.modify', 'scheduler.cancel', 'scheduler.configure',
    'scheduler.pileStatus', 'scheduler.position', 'scheduler.board', 'scheduler.clockSet', 'scheduler.clockAdvance',
    'scheduler.clockGet', 'scheduler.stations', 'scheduler.getStation', 'scheduler.createStation',
    'scheduler.startWalkUp', 'scheduler.stopWalkUp', 'scheduler.walkUpSession', 'scheduler.portTotals',
  ].map((m) => `rpc.${m}`),
];

export interface Harness extends ServiceHarness {
  service: ServiceHandle<SchedulerConfig>;
  redis: Redis;
  /** another scheduler replica on the same namespace (shut down by close() unless the test did) */
  startReplica(): Promise<ServiceHandle<SchedulerConfig>>;
}

/** `env`: more settings for every replica (e.g. shorter pile-command timings); `stations`: ids the test creates. */
export async function startHarness(env: Record<string, string> = {}, stations: string[] = []): Promise<Harness> {
  const queues = [...QUEUES, ...stations.map((id) => `rpc.scheduler.station.${id}`)];
  const h = await startServiceHarness({ label: 'sched', busName: 'scheduler-test', rpcTimeoutMs: 10_000, queues });
  const startReplica = async () =>
    h.add(await runService({ ...schedulerService, env: h.env({ STATION_POLL_MS: '300', ...env }), exit: false }));
  const service = await startReplica();
  const redis = new Redis(REDIS_URL);
  await h.record(WATCHED);
  const close = async () => {
    redis.disconnect();
    await h.close();
  };
  return { ...h, service, redis, startReplica, close };
}

/** The DomainError a call is refused with (any other outcome fails the test). */
export async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

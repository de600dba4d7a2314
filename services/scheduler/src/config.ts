// Scheduler configuration: kit's base variables plus the station poll, the rebuild wait and the pile-command timing.
import { Type, type Static } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

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

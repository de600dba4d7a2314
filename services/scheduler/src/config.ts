// Scheduler configuration: kit's base variables plus the station poll, the rebuild wait, the pile-command timing
// and where the default station is.
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
  // walk-up sessions (README "Walk-up sessions"): how long a pile has to answer a start or stop, how often (real ms)
  // and how many times in all a stop it did not acknowledge is sent, how long a user's stop waits for the end
  walkUpCommandTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  walkUpStopRetryMs: Type.Integer({ minimum: 10, default: 3000 }),
  walkUpStopAttempts: Type.Integer({ minimum: 1, default: 5 }),
  walkUpStopWaitMs: Type.Integer({ minimum: 0, default: 3000 }),
  // the station `default` on the map, written when its document is created (or first given a name)
  defaultStationName: Type.String({ minLength: 1, maxLength: 100, default: 'VoltQ 北邮充电站' }),
  defaultStationAddress: Type.String({ minLength: 1, maxLength: 300, default: '北京市海淀区西土城路10号' }),
  defaultStationLatitude: Type.Number({ minimum: -90, maximum: 90, default: 39.9612 }),
  defaultStationLongitude: Type.Number({ minimum: -180, maximum: 180, default: 116.3566 }),
});
export type SchedulerConfig = Static<typeof configSchema>;

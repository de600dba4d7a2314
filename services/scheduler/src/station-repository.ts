// Live station state in Redis. A write checks the fencing version, stores the new state and appends every
// event envelope to the outbox stream in one Lua script, so a crash can never separate a change from its events.
import type { Redis } from 'ioredis';
import type { Envelope } from '@voltq/contracts';
import { OUTBOX_LUA, outboxLuaArgs, type OutboxRoute } from '@voltq/kit';
import type { StationState } from '@voltq/scheduling';

/** Another writer changed the station since it was read: the write was refused and nothing was stored. */
export class StaleVersionError extends Error {
  override readonly name = 'StaleVersionError';
  constructor(
    readonly stationId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`station ${stationId} is at version ${actual}, the write expected ${expected}`);
  }
}

/** One outbox entry: an envelope and where the relay publishes it (default: the events exchange). */
export interface OutboxEntry {
  env: Envelope;
  route?: OutboxRoute;
}

// KEYS[1] station hash {version, state}, KEYS[2] outbox stream.
// ARGV[1] expected version ('0': the station must not exist yet), ARGV[2] new version, ARGV[3] state JSON,
// ARGV[4..] the envelopes as the kit's outboxLuaArgs encodes them.
const SAVE_SCRIPT = `${OUTBOX_LUA}
local current = redis.call('HGET', KEYS[1], 'version')
if not current then current = '0' end
if current ~= ARGV[1] then return {0, current} end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
voltq_outbox_add(KEYS[2], ARGV, 4)
return {1, ARGV[2]}
`;

type SaveReply = [number, string];

interface RedisWithSave extends Redis {
  schedulerSaveStation(stateKey: string, streamKey: string, ...args: string[]): Promise<SaveReply>;
}

export class StationRepository {
  private readonly redis: RedisWithSave;

  constructor(
    redis: Redis,
    private readonly ns: string,
    /** the outbox stream the kit's RedisOutbox relays (`${ns}:outbox:scheduler`) */
    private readonly outboxStreamKey: string,
  ) {
    if (!('schedulerSaveStation' in redis)) {
      redis.defineCommand('schedulerSaveStation', { numberOfKeys: 2, lua: SAVE_SCRIPT });
    }
    this.redis = redis as RedisWithSave;
  }

  key(stationId: string): string {
    return `${this.ns}:scheduler:station:${stationId}`;
  }

  async load(stationId: string): Promise<StationState | null> {
    const json = await this.redis.hget(this.key(stationId), 'state');
    return json === null ? null : (JSON.parse(json) as StationState);
  }

  /**
   * Stores `state` (whose version is the new fencing version) if the station is still at `expectedVersion`
   * (0: not created yet), together with the outbox entries; otherwise throws StaleVersionError.
   */
  async save(stationId: string, expectedVersion: number, state: StationState, outbox: OutboxEntry[]): Promise<void> {
    if (state.version <= expectedVersion) {
      throw new Error(`internal: new version ${state.version} must be above ${expectedVersion}`);
    }
    const args = [String(expectedVersion), String(state.version), JSON.stringify(state), ...outboxLuaArgs(outbox)];
    const [ok, version] = await this.redis.schedulerSaveStation(this.key(stationId), this.outboxStreamKey, ...args);
    if (ok !== 1) throw new StaleVersionError(stationId, expectedVersion, Number(version));
  }
}

// Live station state in Redis. A write checks the fencing version, stores the new state and appends every
// event envelope to the outbox stream in one Lua script, so a crash can never separate a change from its events.
// With a durable copy (MongoDB `station_states`, see durable.ts) every accepted write is also stored there before
// save() returns, and a station missing from Redis (Redis lost its data) is put back from it on the next load().
import type { Redis } from 'ioredis';
import type { Envelope } from '@voltq/contracts';
import { DomainError, OUTBOX_LUA, outboxLuaArgs, type Logger, type OutboxRoute } from '@voltq/kit';
import type { StationState } from '@voltq/scheduling';
import type { DurableStations } from './durable.js';

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
    /** the durable copy in MongoDB (without it Redis is the only copy: unit tests of the Redis part) */
    private readonly durable?: DurableStations,
    private readonly log?: Logger,
  ) {
    if (!('schedulerSaveStation' in redis)) {
      redis.defineCommand('schedulerSaveStation', { numberOfKeys: 2, lua: SAVE_SCRIPT });
    }
    this.redis = redis as RedisWithSave;
  }

  key(stationId: string): string {
    return `${this.ns}:scheduler:station:${stationId}`;
  }

  /** The live state; a station Redis lost is put back from its durable copy first (null: the station never was). */
  async load(stationId: string): Promise<StationState | null> {
    const json = await this.redis.hget(this.key(stationId), 'state');
    if (json !== null) return JSON.parse(json) as StationState;
    return this.durable ? this.restore(stationId) : null;
  }

  /**
   * Puts the durable snapshot back into Redis (only if the station is still missing there, so racing replicas
   * restore it once) with the events of its last writes appended to the outbox again: an event Redis lost before
   * the relay published it is published now, one already published is dropped by its consumers (idempotent by
   * envelope id and by domain keys). Pile commands are not replayed: the pile-command protocol retries by itself.
   */
  async restore(stationId: string): Promise<StationState | null> {
    const snap = await this.durable!.load(stationId);
    if (!snap) return null;
    const replay = snap.recent.filter((e) => (e.route?.exchange ?? 'events') === 'events');
    const args = ['0', String(snap.state.version), JSON.stringify(snap.state), ...outboxLuaArgs(replay)];
    const [ok] = await this.redis.schedulerSaveStation(this.key(stationId), this.outboxStreamKey, ...args);
    if (ok === 1) {
      this.log?.warn({ stationId, version: snap.state.version, replayed: replay.length }, 'station restored from its durable copy');
      return snap.state;
    }
    const json = await this.redis.hget(this.key(stationId), 'state'); // another replica restored it first
    return json === null ? null : (JSON.parse(json) as StationState);
  }

  /** Makes the durable copy catch up with Redis (a crash between the two writes, or a copy from before it existed). */
  async syncDurable(stationId: string): Promise<void> {
    if (!this.durable) return;
    const json = await this.redis.hget(this.key(stationId), 'state');
    if (json === null) return;
    const state = JSON.parse(json) as StationState;
    if ((await this.durable.version(stationId)) < state.version) await this.durable.save(stationId, state, []);
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
    if (this.durable) await this.saveDurable(stationId, state, outbox);
  }

  private async saveDurable(stationId: string, state: StationState, outbox: OutboxEntry[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.durable!.save(stationId, state, outbox);
      } catch (err) {
        if (attempt >= 3) {
          // the change stands in Redis (and its events are on their way); the next write or syncDurable stores it
          this.log?.error({ stationId, version: state.version, err }, 'durable copy of the station not written');
          throw new DomainError('UNAVAILABLE', 'the station state could not be stored durably, please retry');
        }
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }
}

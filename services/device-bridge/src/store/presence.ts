// Live pile state in Redis, shared by every replica: the owner registry (`pile-owner:<pileId>` -> replicaId, TTL
// refreshed by the pile's messages), the set of online piles and the telemetry hash. Each state change that
// announces something (online, offline, fault, recovery) appends its event to the outbox stream in the same Lua
// script, so the change and its event cannot be separated by a crash (DESIGN "Messaging"); kit's RedisOutbox relays it.
import type { Redis } from 'ioredis';
import { deviceNames, type Envelope } from '@voltq/contracts';
import type { Meter, PileState } from '@voltq/pile-sim/protocol';

/** What presence needs from kit's RedisOutbox. */
export interface OutboxStream {
  streamKey: string;
  fields(env: Envelope): string[];
}

const CLAIM = `
local prev = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'online', '1', 'replicaId', ARGV[2], 'door', ARGV[4], 'loginAt', ARGV[5], 'lastHeartbeatMs', ARGV[5])
redis.call('XADD', KEYS[4], '*', unpack(ARGV, 6))
return prev`;

// 1 = refreshed; 0 = another replica holds the pile now; -1 = the registration expired (the pile counts as offline)
const TOUCH = `
local o = redis.call('GET', KEYS[1])
if not o then return -1 end
if o ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[2], 'lastHeartbeatMs', ARGV[3]) end
return 1`;

// ARGV[2] = replica that releases ('' = sweep: only when nobody holds the pile any more).
// 1 = went offline (event appended); 0 = already offline; -1 = another replica holds it.
const OFFLINE = `
local o = redis.call('GET', KEYS[1])
if ARGV[2] == '' then
  if o then return -1 end
else
  if o and o ~= ARGV[2] then return -1 end
  if o then redis.call('DEL', KEYS[1]) end
end
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[3], 'online', '0', 'offlineAt', ARGV[3], 'offlineReason', ARGV[4])
redis.call('XADD', KEYS[4], '*', unpack(ARGV, 5))
return 1`;

// 1 = changed (event appended); 0 = the pile was already in that state (a repeated report)
const FAULT = `
local faulted = redis.call('HGET', KEYS[1], 'faulted') == '1'
if faulted == (ARGV[1] == '1') then return 0 end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'faulted', '1', 'faultAt', ARGV[2], 'faultReason', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'faulted', '0', 'recoveredAt', ARGV[2])
  redis.call('HDEL', KEYS[1], 'faultReason')
end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
return 1`;

type Scripts = {
  voltqPileClaim(...args: (string | number)[]): Promise<string | null>;
  voltqPileTouch(...args: (string | number)[]): Promise<number>;
  voltqPileOffline(...args: (string | number)[]): Promise<number>;
  voltqPileFault(...args: (string | number)[]): Promise<number>;
};

export type TouchResult = 'ok' | 'taken' | 'expired';

export class Presence {
  private readonly r: Redis & Scripts;

  constructor(
    redis: Redis,
    private readonly ns: string,
    private readonly replicaId: string,
    private readonly outbox: OutboxStream,
    /** registry TTL: how long a silent pile stays registered */
    private readonly ttlMs: number,
  ) {
    redis.defineCommand('voltqPileClaim', { numberOfKeys: 4, lua: CLAIM });
    redis.defineCommand('voltqPileTouch', { numberOfKeys: 2, lua: TOUCH });
    redis.defineCommand('voltqPileOffline', { numberOfKeys: 4, lua: OFFLINE });
    redis.defineCommand('voltqPileFault', { numberOfKeys: 2, lua: FAULT });
    this.r = redis as Redis & Scripts;
  }

  private keys(pileId: string) {
    return {
      owner: deviceNames.pileOwnerKey(this.ns, pileId),
      telemetry: deviceNames.pileTelemetryKey(this.ns, pileId),
      online: deviceNames.onlinePilesKey(this.ns),
    };
  }

  async isFaulted(pileId: string): Promise<boolean> {
    return (await this.r.hget(this.keys(pileId).telemetry, 'faulted')) === '1';
  }

  /** Registers the pile on this replica and appends its `device.pile-online`; returns the previous owner, if any. */
  async claim(pileId: string, door: string, atMs: number, online: Envelope<'device.pile-online'>): Promise<string | null> {
    const k = this.keys(pileId);
    return this.r.voltqPileClaim(
      k.owner, k.online, k.telemetry, this.outbox.streamKey,
      pileId, this.replicaId, this.ttlMs, door, atMs, ...this.outbox.fields(online),
    );
  }

  /** The pile showed a sign of life: keep the registration. */
  async touch(pileId: string, atMs: number, heartbeat: boolean): Promise<TouchResult> {
    const k = this.keys(pileId);
    const res = await this.r.voltqPileTouch(k.owner, k.telemetry, this.replicaId, this.ttlMs, atMs, heartbeat ? '1' : '0');
    return res === 1 ? 'ok' : res === 0 ? 'taken' : 'expired';
  }

  /**
   * Marks the pile offline and appends the event, unless another replica holds it or it already is offline.
   * `releasedBy` undefined = sweep (acts only when no replica holds the pile any more).
   */
  async offline(pileId: string, releasedBy: string | undefined, atMs: number, reason: string, event: Envelope<'device.pile-offline'>): Promise<boolean> {
    const k = this.keys(pileId);
    const res = await this.r.voltqPileOffline(
      k.owner, k.online, k.telemetry, this.outbox.streamKey,
      pileId, releasedBy ?? '', atMs, reason, ...this.outbox.fields(event),
    );
    return res === 1;
  }

  /** Records a fault (or recovery) and appends its event; false when the pile already was in that state. */
  async setFault(pileId: string, faulted: boolean, atMs: number, reason: string, event: Envelope): Promise<boolean> {
    const k = this.keys(pileId);
    const res = await this.r.voltqPileFault(k.telemetry, this.outbox.streamKey, faulted ? '1' : '0', atMs, reason, ...this.outbox.fields(event));
    return res === 1;
  }

  /** Appends an event that changes no pile state (e.g. a command's acknowledgement) to the outbox. */
  async announce(event: Envelope): Promise<void> {
    await this.r.xadd(this.outbox.streamKey, '*', ...this.outbox.fields(event));
  }

  async recordStatus(pileId: string, state: PileState, atMs: number, meter?: Meter): Promise<void> {
    await this.r.hset(this.keys(pileId).telemetry, { state, statusAt: atMs, ...(meter ? meterFields(meter, atMs) : {}) });
  }

  async recordMeter(pileId: string, meter: Meter, atMs: number): Promise<void> {
    await this.r.hset(this.keys(pileId).telemetry, meterFields(meter, atMs));
  }

  async telemetry(pileId: string): Promise<Record<string, string>> {
    return this.r.hgetall(this.keys(pileId).telemetry);
  }

  async ownerOf(pileId: string): Promise<string | null> {
    return this.r.get(this.keys(pileId).owner);
  }

  /** Online piles whose registration expired: their replica died or lost them without saying so. */
  async orphans(): Promise<{ pileId: string; lastReplicaId: string }[]> {
    const online = await this.r.smembers(deviceNames.onlinePilesKey(this.ns));
    if (online.length === 0) return [];
    const pipe = this.r.pipeline();
    for (const pileId of online) {
      const k = this.keys(pileId);
      pipe.exists(k.owner);
      pipe.hget(k.telemetry, 'replicaId');
    }
    const res = (await pipe.exec()) ?? [];
    const out: { pileId: string; lastReplicaId: string }[] = [];
    online.forEach((pileId, i) => {
      const exists = res[2 * i]?.[1];
      const replica = res[2 * i + 1]?.[1];
      if (exists === 0) out.push({ pileId, lastReplicaId: typeof replica === 'string' && replica ? replica : 'unknown' });
    });
    return out;
  }
}

function meterFields(meter: Meter, atMs: number): Record<string, string | number> {
  const fields: Record<string, string | number> = { energyWms: meter.energyWms, meterAt: atMs };
  if (meter.powerW !== undefined) fields.powerW = meter.powerW;
  if (meter.sessionId !== undefined) fields.sessionId = meter.sessionId;
  return fields;
}

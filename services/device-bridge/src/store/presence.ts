// Live pile state in Redis, shared by every replica: the owner registry (`pile-owner:<pileId>` -> replicaId, TTL
// refreshed by the pile's messages), the set of online piles and the telemetry hash. Each state change that
// announces something (online, offline, fault, recovery) appends its event to the outbox stream in the same Lua
// script, so the change and its event cannot be separated by a crash (DESIGN "Messaging"); kit's RedisOutbox relays it.
import type { Redis } from 'ioredis';
import { deviceNames, type Envelope } from '@voltq/contracts';
import type { Meter, PileState, PortState } from '@voltq/pile-sim/protocol';
import { portField, type LiveState } from '../domain/devices.js';
import type { PortReading } from '../domain/session.js';

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
redis.call('HSET', KEYS[2], 'lastSeenAt', ARGV[3])
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

// A port's session ended (ARGV: the port's field prefix, sessionId, meterWms, atMs, then the event's fields). 1 = ended (event appended);
// 0 = this stop was reported before (a retry after a lost answer): nothing again.
const SESSION_STOP = `
local p = ARGV[1]
if redis.call('HGET', KEYS[1], p .. 'stoppedSessionId') == ARGV[2] then return 0 end
if redis.call('HGET', KEYS[1], p .. 'sessionId') == ARGV[2] then
  redis.call('HDEL', KEYS[1], p .. 'sessionId', p .. 'orderId', p .. 'cardId', p .. 'startWms')
end
redis.call('HSET', KEYS[1], p .. 'stoppedSessionId', ARGV[2], p .. 'meterWms', ARGV[3], p .. 'meterAt', ARGV[4])
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 5))
return 1`;

/** The session the bridge knows on a port (from a start's answer or a card start). */
export interface PortSession {
  sessionId?: string;
  orderId?: string;
  cardId?: string;
  startWms?: number;
}

type Scripts = {
  voltqPortSessionStop(...args: (string | number)[]): Promise<number>;
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
    redis.defineCommand('voltqPortSessionStop', { numberOfKeys: 2, lua: SESSION_STOP });
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

  // ---- ports (walk-up piles): fields `p<portNo>.<name>` of the telemetry hash (domain/devices.ts portField) ----

  async recordPortStatus(pileId: string, portNo: number, state: PortState, atMs: number, meter?: Meter): Promise<void> {
    const f = (n: Parameters<typeof portField>[1]) => portField(portNo, n);
    const fields: Record<string, string | number> = { [f('state')]: state, [f('statusAt')]: atMs };
    if (meter) {
      fields[f('meterWms')] = meter.energyWms;
      fields[f('meterAt')] = atMs;
      if (meter.powerW !== undefined) fields[f('powerW')] = meter.powerW;
    }
    await this.r.hset(this.keys(pileId).telemetry, fields);
  }

  async portSession(pileId: string, portNo: number): Promise<PortSession> {
    const names = ['sessionId', 'orderId', 'cardId', 'startWms'] as const;
    const vals = await this.r.hmget(this.keys(pileId).telemetry, ...names.map((n) => portField(portNo, n)));
    const out: PortSession = {};
    if (vals[0]) out.sessionId = vals[0];
    if (vals[1]) out.orderId = vals[1];
    if (vals[2]) out.cardId = vals[2];
    if (vals[3]) out.startWms = Number(vals[3]);
    return out;
  }

  /** The port's latest reading, and its `device.meter` in the same transaction. */
  async recordPortMeter(pileId: string, portNo: number, reading: PortReading, atMs: number, event: Envelope<'device.meter'>): Promise<void> {
    const f = (n: Parameters<typeof portField>[1]) => portField(portNo, n);
    const fields: Record<string, string | number> = { [f('meterWms')]: reading.energyWms, [f('meterAt')]: atMs };
    for (const k of ['powerW', 'voltageV', 'currentA', 'temperatureC'] as const) if (reading[k] !== undefined) fields[f(k)] = reading[k];
    await this.r.multi().hset(this.keys(pileId).telemetry, fields).xadd(this.outbox.streamKey, '*', ...this.outbox.fields(event)).exec();
  }

  /** A session began on the port (a start's answer, a card start), with its event when it has one. */
  async startPortSession(pileId: string, portNo: number, session: PortSession & { sessionId: string; startWms: number }, atMs: number, event?: Envelope): Promise<void> {
    const f = (n: Parameters<typeof portField>[1]) => portField(portNo, n);
    const key = this.keys(pileId).telemetry;
    const fields: Record<string, string | number> = { [f('sessionId')]: session.sessionId, [f('startWms')]: session.startWms, [f('meterWms')]: session.startWms, [f('meterAt')]: atMs };
    if (session.orderId) fields[f('orderId')] = session.orderId;
    if (session.cardId) fields[f('cardId')] = session.cardId;
    const tx = this.r.multi().hdel(key, f('orderId'), f('cardId')).hset(key, fields);
    if (event) tx.xadd(this.outbox.streamKey, '*', ...this.outbox.fields(event));
    await tx.exec();
  }

  /** The pile ended a port's session: appends `device.session-stopped`; false for a repeated report. */
  async stopPortSession(pileId: string, portNo: number, sessionId: string, meterWms: number, atMs: number, event: Envelope<'device.session-stopped'>): Promise<boolean> {
    const k = this.keys(pileId);
    const res = await this.r.voltqPortSessionStop(k.telemetry, this.outbox.streamKey, `p${portNo}.`, sessionId, meterWms, atMs, ...this.outbox.fields(event));
    return res === 1;
  }

  /** Live state of many piles in one round trip (device.list / device.get). */
  async liveStates(pileIds: string[]): Promise<LiveState[]> {
    if (pileIds.length === 0) return [];
    const pipe = this.r.pipeline();
    for (const pileId of pileIds) {
      const k = this.keys(pileId);
      pipe.get(k.owner);
      pipe.hgetall(k.telemetry);
    }
    const res = (await pipe.exec()) ?? [];
    return pileIds.map((_, i) => {
      const [ownerErr, owner] = res[2 * i] ?? [];
      const [telErr, telemetry] = res[2 * i + 1] ?? [];
      if (ownerErr || telErr) throw ownerErr ?? telErr;
      return { owner: typeof owner === 'string' ? owner : null, telemetry: (telemetry ?? {}) as Record<string, string> };
    });
  }

  /** A removed device's telemetry goes with it (a device registered again under the id starts clean). */
  async forget(pileId: string): Promise<void> {
    await this.r.del(this.keys(pileId).telemetry);
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

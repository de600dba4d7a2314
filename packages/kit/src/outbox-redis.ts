// Redis outbox: a writer appends envelopes to stream `${ns}:outbox:<name>` in the same MULTI/Lua as its state
// change; a relay in consumer group `relay` publishes each with confirms, then XACK + XDEL. Entries left pending by
// a dead relay are claimed (XAUTOCLAIM) after `claimIdleMs`. At-least-once: consumers dedupe by envelope id.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Envelope } from '@voltq/contracts';
import type { Bus } from './bus/bus.js';
import type { ExchangeKind } from './bus/names.js';
import { isDomainError } from './errors.js';
import type { Logger } from './logger.js';

export interface OutboxRoute {
  exchange?: ExchangeKind;
  routingKey?: string;
}

export function outboxStreamKey(ns: string, name: string): string {
  return `${ns}:outbox:${name}`;
}

/** XADD field list for one envelope: env <json> exchange <events|commands> routingKey <key or ''>. */
export function outboxFields(env: Envelope, route: OutboxRoute = {}): string[] {
  return ['env', JSON.stringify(env), 'exchange', route.exchange ?? 'events', 'routingKey', route.routingKey ?? ''];
}

/**
 * ARGV segment for several envelopes, to be read by OUTBOX_LUA inside a script:
 * [count, json1, exchange1, routingKey1, json2, ...].
 */
export function outboxLuaArgs(entries: { env: Envelope; route?: OutboxRoute }[]): string[] {
  const out = [String(entries.length)];
  for (const { env, route } of entries) {
    out.push(JSON.stringify(env), route?.exchange ?? 'events', route?.routingKey ?? '');
  }
  return out;
}

/**
 * Lua helper to paste at the top of a script: `voltq_outbox_add(KEYS[i], ARGV, start)` appends the envelopes
 * encoded by outboxLuaArgs starting at ARGV[start] and returns the index after them.
 */
export const OUTBOX_LUA = `
local function voltq_outbox_add(stream, args, start)
  local n = tonumber(args[start])
  for i = 0, n - 1 do
    local b = start + 1 + i * 3
    redis.call('XADD', stream, '*', 'env', args[b], 'exchange', args[b + 1], 'routingKey', args[b + 2])
  end
  return start + 1 + n * 3
end
`;

export interface RedisOutboxOptions {
  redis: Redis;
  ns: string;
  name: string;
  bus: Pick<Bus, 'publishEnvelope'>;
  log?: Logger;
  /** consumer name in the group; default host-pid-random (unique per process) */
  consumer?: string;
  /** pending entries idle this long are taken over from a dead relay; default 30000 */
  claimIdleMs?: number;
  /** XREADGROUP BLOCK; bounds how long stop() waits; default 1000 */
  blockMs?: number;
  batch?: number;
}

const GROUP = 'relay';

export class RedisOutbox {
  readonly streamKey: string;
  readonly deadKey: string;
  private readonly consumer: string;
  private reader: Redis | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;
  private scanOwnPending = true;

  constructor(private readonly opts: RedisOutboxOptions) {
    this.streamKey = outboxStreamKey(opts.ns, opts.name);
    this.deadKey = `${this.streamKey}:dead`;
    this.consumer = opts.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  static fields = outboxFields;

  /** Queue the XADD on a MULTI that also carries the state change. */
  append(multi: ChainableCommander, env: Envelope, route: OutboxRoute = {}): ChainableCommander {
    return multi.xadd(this.streamKey, '*', ...outboxFields(env, route));
  }

  /**
   * Creates the stream and its consumer group unless they exist. From 0: entries written before the group existed
   * are relayed too. Also what the relay does when Redis lost its data (NOGROUP): it carries on at once.
   */
  async ensureGroup(): Promise<void> {
    try {
      await this.opts.redis.xgroup('CREATE', this.streamKey, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureGroup();
    this.reader = this.opts.redis.duplicate();
    this.reader.on('error', () => undefined);
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.reader?.disconnect();
    this.reader = undefined;
  }

  private async run(): Promise<void> {
    const claimIdleMs = this.opts.claimIdleMs ?? 30_000;
    let failures = 0;
    while (this.running) {
      try {
        const entries = await this.next(claimIdleMs);
        if (entries.length === 0) continue;
        const ok = await this.relay(entries);
        if (!ok) {
          failures++;
          this.scanOwnPending = true;
          await sleep(Math.min(5000, 100 * 2 ** failures));
        } else failures = 0;
      } catch (err) {
        if (!this.running) break;
        if (String((err as Error).message).includes('NOGROUP')) {
          // Redis lost the stream (and its group): recreate both and read again, no backoff
          this.opts.log?.warn({ stream: this.streamKey }, 'outbox stream or group missing (redis lost its data): recreated');
          this.scanOwnPending = true;
          const made = await this.ensureGroup().then(() => true, () => false);
          if (!made) await sleep(Math.min(5000, 100 * 2 ** ++failures));
          continue;
        }
        failures++;
        this.opts.log?.warn({ err: (err as Error).message, stream: this.streamKey }, 'outbox relay error');
        await sleep(Math.min(5000, 100 * 2 ** failures));
      }
    }
  }

  private async next(claimIdleMs: number): Promise<[string, string[]][]> {
    const reader = this.reader!;
    const batch = this.opts.batch ?? 100;
    if (this.scanOwnPending) {
      const own = parseRead(await reader.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', batch, 'STREAMS', this.streamKey, '0'));
      if (own.length > 0) return own;
      this.scanOwnPending = false;
    }
    if (Date.now() - this.lastClaim >= Math.min(claimIdleMs, 5000)) {
      this.lastClaim = Date.now();
      const claimed = (await reader.xautoclaim(this.streamKey, GROUP, this.consumer, claimIdleMs, '0-0', 'COUNT', batch)) as [
        string,
        [string, string[] | null][],
      ];
      const got = (claimed[1] ?? []).filter((e): e is [string, string[]] => Array.isArray(e[1]));
      if (got.length > 0) {
        this.opts.log?.info({ count: got.length, stream: this.streamKey }, 'outbox entries taken over from a dead relay');
        return got;
      }
    }
    return parseRead(
      await reader.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', batch, 'BLOCK', this.opts.blockMs ?? 1000, 'STREAMS', this.streamKey, '>'),
    );
  }

  /** Publishes a batch (confirms pipelined, in stream order); acks+deletes the confirmed. False if any failed. */
  private async relay(entries: [string, string[]][]): Promise<boolean> {
    const redis = this.opts.redis;
    const results = await Promise.allSettled(
      entries.map(async ([id, fields]) => {
        const f = fieldMap(fields);
        let env: Envelope;
        try {
          env = JSON.parse(f.env ?? '') as Envelope;
        } catch {
          await this.bury(id, fields, 'not JSON');
          return;
        }
        const exchange: ExchangeKind = f.exchange === 'commands' ? 'commands' : 'events';
        try {
          await this.opts.bus.publishEnvelope(env, { exchange, routingKey: f.routingKey || undefined });
        } catch (err) {
          if (isDomainError(err) && err.code === 'VALIDATION') {
            await this.bury(id, fields, err.message);
            return;
          }
          throw err;
        }
        await redis.multi().xack(this.streamKey, GROUP, id).xdel(this.streamKey, id).exec();
      }),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.opts.log?.warn(
        { failed: failed.length, err: String((failed[0] as PromiseRejectedResult).reason?.message), stream: this.streamKey },
        'outbox publish failed, will retry',
      );
      return false;
    }
    return true;
  }

  /** An entry that can never be published: keep it (with the reason) in `<stream>:dead`, never drop it silently. */
  private async bury(id: string, fields: string[], reason: string): Promise<void> {
    this.opts.log?.error({ id, reason, stream: this.streamKey }, 'outbox entry cannot be published; moved to the dead stream');
    await this.opts.redis
      .multi()
      .xadd(this.deadKey, '*', ...fields, 'error', reason, 'originalId', id)
      .xack(this.streamKey, GROUP, id)
      .xdel(this.streamKey, id)
      .exec();
  }

  /** Entries not yet relayed (written or pending). */
  async backlog(): Promise<number> {
    return this.opts.redis.xlen(this.streamKey);
  }
}

function parseRead(res: unknown): [string, string[]][] {
  if (!Array.isArray(res) || res.length === 0) return [];
  const stream = res[0] as [string, [string, string[]][]];
  return stream[1] ?? [];
}

function fieldMap(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// The failed-attempt counters (domain/rate-limit.ts says what they count) in Redis, so every gateway replica shares
// them: fixed windows, a bucket's first count starts its window (PEXPIRE); one claim over several buckets is one Lua
// script, atomic, so parallel guesses cannot slip past a limit.
import type { Redis } from 'ioredis';
import { DomainError, isDomainError } from '@voltq/kit';
import type { AttemptCounter, Bucket, Claim } from '../domain/rate-limit.js';

// KEYS: the buckets; ARGV: limit and window of each, in order. Counts each bucket in turn and stops at the first
// one over its limit: {index (1-based), its remaining ms}; {0, 0} when every bucket allowed it.
const CLAIM_LUA = `
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, window)
    ttl = window
  end
  if n > limit then return {i, ttl} end
end
return {0, 0}
`;

// KEYS: buckets to give one count back to (never below 0, never re-creating an expired bucket).
const RELEASE_LUA = `
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key))
  if n and n > 0 then redis.call('DECR', key) end
end
return 0
`;

interface LimiterRedis {
  rateLimitClaim(...args: (string | number)[]): Promise<[number, number]>;
  rateLimitRelease(...args: (string | number)[]): Promise<number>;
}

/** Fixed-window counters in Redis: claim, give back, clear. */
export class AttemptLimiter implements AttemptCounter {
  private readonly redis: Redis & LimiterRedis;

  constructor(redis: Redis, private readonly timeoutMs = 2000) {
    const r = redis as Redis & Partial<LimiterRedis>;
    if (typeof r.rateLimitClaim !== 'function') redis.defineCommand('rateLimitClaim', { lua: CLAIM_LUA });
    if (typeof r.rateLimitRelease !== 'function') redis.defineCommand('rateLimitRelease', { lua: RELEASE_LUA });
    this.redis = redis as Redis & LimiterRedis;
  }

  /** One count in every enabled bucket, unless one of them is already full. */
  async claim(buckets: readonly Bucket[]): Promise<Claim> {
    const active = buckets.filter((b) => b.limit > 0);
    if (active.length === 0) return { allowed: true };
    const args = active.flatMap((b) => [b.limit, Math.max(1, Math.round(b.windowMs))]);
    const [index, ttlMs] = await this.bounded(this.redis.rateLimitClaim(active.length, ...active.map((b) => b.key), ...args));
    if (index === 0) return { allowed: true };
    return { allowed: false, retryAfterMs: Math.max(1, ttlMs), key: active[index - 1]!.key };
  }

  /** Gives one count back to each bucket (a claim that turned out not to count). */
  async release(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.bounded(this.redis.rateLimitRelease(keys.length, ...keys));
  }

  /** Starts the buckets over. */
  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.bounded(this.redis.del(...keys));
  }

  /** Redis that does not answer must not hold a login forever (ioredis queues commands while reconnecting). */
  private async bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DomainError('UNAVAILABLE', 'rate limiter unavailable')), this.timeoutMs);
        }),
      ]);
    } catch (err) {
      throw isDomainError(err) ? err : new DomainError('UNAVAILABLE', 'rate limiter unavailable');
    } finally {
      clearTimeout(timer);
    }
  }
}

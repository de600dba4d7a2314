// The failed-attempt counters on their own (store/rate-limit.ts), over the real (shared, so namespaced) Redis: fixed
// windows, atomic claims under parallel attempts, giving counts back, and a Redis that does not answer.
import t from 'tap';
import { Redis } from 'ioredis';
import { removeRedisNamespace } from '../../../../test/support/cleanup.js';
import { REDIS_URL, testNamespace } from '../../../../test/support/env.js';
import { AttemptLimiter } from '../../src/store/rate-limit.js';

const ns = testNamespace('rl');
const redis = new Redis(REDIS_URL);
t.teardown(async () => {
  await removeRedisNamespace(ns);
  redis.disconnect();
});
const limiter = new AttemptLimiter(redis);

t.test('a bucket allows `limit` claims per window, then refuses with the rest of the window', async (t) => {
  const bucket = { key: `${ns}:b1`, limit: 3, windowMs: 60_000 };
  for (let i = 0; i < 3; i++) t.same(await limiter.claim([bucket]), { allowed: true }, `claim ${i + 1}`);
  const refused = await limiter.claim([bucket]);
  t.equal(refused.allowed, false);
  if (!refused.allowed) {
    t.equal(refused.key, bucket.key);
    t.ok(refused.retryAfterMs > 50_000 && refused.retryAfterMs <= 60_000, `retry after ${refused.retryAfterMs} ms`);
  }
  const ttl = await redis.pttl(bucket.key);
  t.ok(ttl > 0 && ttl <= 60_000, 'the key expires with its window');
  await limiter.clear([bucket.key]);
  t.same(await limiter.claim([bucket]), { allowed: true }, 'cleared: starts over');
});

t.test('release gives a count back, never below zero, never re-creating an expired bucket', async (t) => {
  const bucket = { key: `${ns}:b2`, limit: 1, windowMs: 60_000 };
  t.same(await limiter.claim([bucket]), { allowed: true });
  await limiter.release([bucket.key]);
  t.same(await limiter.claim([bucket]), { allowed: true }, 'the released count is free again');
  await limiter.release([bucket.key, bucket.key, bucket.key]);
  t.equal(await redis.get(bucket.key), '0');
  await limiter.release([`${ns}:never`]);
  t.equal(await redis.exists(`${ns}:never`), 0);
});

t.test('parallel claims: exactly `limit` get through', async (t) => {
  const bucket = { key: `${ns}:b3`, limit: 5, windowMs: 60_000 };
  const claims = await Promise.all(Array.from({ length: 100 }, () => limiter.claim([bucket])));
  t.equal(claims.filter((c) => c.allowed).length, 5);
});

t.test('several buckets: the first full one refuses; limit 0 is off', async (t) => {
  const a = { key: `${ns}:b4a`, limit: 10, windowMs: 60_000 };
  const b = { key: `${ns}:b4b`, limit: 1, windowMs: 30_000 };
  t.same(await limiter.claim([a, b]), { allowed: true });
  const refused = await limiter.claim([a, b]);
  t.match(refused, { allowed: false, key: b.key });
  t.equal(await redis.get(a.key), '2', 'the earlier bucket counted the attempt');
  const off = { key: `${ns}:b4c`, limit: 0, windowMs: 60_000 };
  for (let i = 0; i < 5; i++) t.same(await limiter.claim([off]), { allowed: true });
  t.equal(await redis.exists(off.key), 0, 'a disabled bucket is not even stored');
});

t.test('Redis that does not answer: UNAVAILABLE, not a hang', async (t) => {
  const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  dead.on('error', () => {});
  t.teardown(() => dead.disconnect());
  const slow = new AttemptLimiter(dead, 200);
  await t.rejects(slow.claim([{ key: `${ns}:dead`, limit: 1, windowMs: 1000 }]), { code: 'UNAVAILABLE' });
});

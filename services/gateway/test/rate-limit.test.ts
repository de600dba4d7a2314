// The failed-attempt limiter on its own, over the real (shared, so namespaced) Redis: fixed windows, atomic claims
// under parallel attempts, what settles a claim, and the 429 it answers with.
import t from 'tap';
import { Redis } from 'ioredis';
import { DomainError } from '@voltq/kit';
import { removeRedisNamespace } from '../../../test/support/cleanup.js';
import { REDIS_URL, testNamespace } from '../../../test/support/env.js';
import { AttemptLimiter, clientAddress, countsAsFailure, loginBuckets, LoginThrottle, retryAfterSeconds, type LoginLimits } from '../src/rate-limit.js';

const ns = testNamespace('rl');
const redis = new Redis(REDIS_URL);
t.teardown(async () => {
  await removeRedisNamespace(ns);
  redis.disconnect();
});
const limiter = new AttemptLimiter(redis);

/** A stand-in for fastify's request: only the address matters here. */
const from = (ip: string, forwardedFor?: string) => ({ ip, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as never;

/** A stand-in for fastify's reply: only headers matter here. */
function fakeReply() {
  const headers: Record<string, string> = {};
  return { headers, reply: { header: (name: string, value: string) => ((headers[name] = value), undefined) } as never };
}

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

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

t.test('pure parts: what counts, the header value, the keys', async (t) => {
  t.ok(countsAsFailure('login', new DomainError('UNAUTHORIZED', 'x')));
  t.notOk(countsAsFailure('login', new DomainError('TIMEOUT', 'x')));
  t.notOk(countsAsFailure('login', new DomainError('VALIDATION', 'x')));
  t.ok(countsAsFailure('register', new DomainError('CONFLICT', 'x')));
  t.notOk(countsAsFailure('register', new DomainError('UNAUTHORIZED', 'x')));
  t.notOk(countsAsFailure('login', new Error('x')));
  t.equal(retryAfterSeconds(1), 1);
  t.equal(retryAfterSeconds(1000), 1);
  t.equal(retryAfterSeconds(1001), 2);
  t.equal(retryAfterSeconds(0), 1);
  const limits: LoginLimits = { accountMaxFailures: 5, accountWindowMs: 900_000, addressMaxFailures: 20, addressWindowMs: 60_000 };
  const [addr, acct] = loginBuckets('voltq', 'login', 'alice', '10.0.0.1', limits);
  t.same(addr, { key: 'voltq:rl:login:addr:10.0.0.1', limit: 20, windowMs: 60_000 });
  t.match(acct, { key: /^voltq:rl:login:acct:[\w-]{43}$/, limit: 5, windowMs: 900_000 });
  t.notMatch(acct.key, /alice/, 'no username in Redis');
  t.not(loginBuckets('voltq', 'register', 'alice', '10.0.0.1', limits)[1].key, acct.key, 'registration counts apart');
});

t.test('LoginThrottle: failures count, a success starts the account over, other errors are given back', async (t) => {
  const throttle = new LoginThrottle(limiter, `${ns}:t1`, { accountMaxFailures: 3, accountWindowMs: 900_000, addressMaxFailures: 100, addressWindowMs: 60_000 });
  const wrong = () => Promise.reject(new DomainError('UNAUTHORIZED', 'wrong username or password'));
  const right = () => Promise.resolve('token');
  const { reply } = fakeReply();

  for (let i = 0; i < 2; i++) t.equal((await refusal(throttle.attempt(from('1.1.1.1'), reply, 'login', 'alice', wrong))).code, 'UNAUTHORIZED');
  t.equal(await throttle.attempt(from('1.1.1.1'), reply, 'login', 'alice', right), 'token', 'the right password, under the limit');
  for (let i = 0; i < 3; i++) t.equal((await refusal(throttle.attempt(from('1.1.1.1'), reply, 'login', 'alice', wrong))).code, 'UNAUTHORIZED', `after the reset, failure ${i + 1}`);

  const limited = fakeReply();
  let ran = 0;
  const err = await refusal(throttle.attempt(from('2.2.2.2'), limited.reply, 'login', 'alice', () => (ran++, right())));
  t.equal(err.code, 'RATE_LIMITED');
  t.match(err.message, /^too many failed attempts, retry in \d+ s$/);
  t.equal(ran, 0, 'a limited attempt never reaches auth, even with the right password and from another address');
  const seconds = Number(limited.headers['retry-after']);
  t.ok(seconds > 800 && seconds <= 900, `Retry-After ${seconds}`);

  // errors that are not the caller's failure give their claim back
  for (let i = 0; i < 10; i++) await refusal(throttle.attempt(from('1.1.1.1'), reply, 'login', 'bob', () => Promise.reject(new DomainError('TIMEOUT', 'slow'))));
  t.equal(await throttle.attempt(from('1.1.1.1'), reply, 'login', 'bob', right), 'token', 'timeouts did not lock bob out');
});

t.test('LoginThrottle: an address is limited across usernames; successes do not use its budget', async (t) => {
  const throttle = new LoginThrottle(limiter, `${ns}:t2`, { accountMaxFailures: 100, accountWindowMs: 900_000, addressMaxFailures: 4, addressWindowMs: 60_000 });
  const { reply, headers } = fakeReply();
  for (let i = 0; i < 20; i++) await throttle.attempt(from('3.3.3.3'), reply, 'register', `new${i}`, () => Promise.resolve(i));
  for (let i = 0; i < 4; i++) await refusal(throttle.attempt(from('3.3.3.3'), reply, 'register', `taken${i}`, () => Promise.reject(new DomainError('CONFLICT', 'username exists'))));
  const err = await refusal(throttle.attempt(from('3.3.3.3'), reply, 'register', 'fresh', () => Promise.resolve(1)));
  t.equal(err.code, 'RATE_LIMITED');
  const seconds = Number(headers['retry-after']);
  t.ok(seconds > 50 && seconds <= 60, `Retry-After ${seconds}`);
  t.equal(await throttle.attempt(from('4.4.4.4'), reply, 'register', 'fresh', () => Promise.resolve(2)), 2, 'another address is not limited');
  t.equal(await throttle.attempt(from('3.3.3.3'), reply, 'login', 'fresh', () => Promise.resolve(3)), 3, 'nor the other door');
});

t.test('the client address: the peer, or X-Forwarded-For behind trusted proxies only', async (t) => {
  t.equal(clientAddress('10.0.0.1', '1.2.3.4', 0), '10.0.0.1', 'no trusted proxy: the header is ignored');
  t.equal(clientAddress('10.0.0.1', undefined, 1), '10.0.0.1');
  t.equal(clientAddress('10.0.0.1', '1.2.3.4', 1), '1.2.3.4');
  t.equal(clientAddress('10.0.0.1', 'forged, 1.2.3.4', 1), '1.2.3.4', 'what the client wrote itself is not believed');
  t.equal(clientAddress('10.0.0.1', 'forged, 1.2.3.4, 10.0.0.7', 2), '1.2.3.4');
  t.equal(clientAddress('10.0.0.1', ['forged', '1.2.3.4'], 1), '1.2.3.4');
  t.equal(clientAddress('10.0.0.1', '1.2.3.4', 3), '1.2.3.4', 'a shorter chain: its first entry');
  t.equal(clientAddress('10.0.0.1', ' , ', 1), '10.0.0.1');

  const throttle = new LoginThrottle(limiter, `${ns}:t3`, { accountMaxFailures: 100, accountWindowMs: 60_000, addressMaxFailures: 1, addressWindowMs: 60_000 }, 1);
  const { reply } = fakeReply();
  const wrong = () => Promise.reject(new DomainError('UNAUTHORIZED', 'wrong username or password'));
  await refusal(throttle.attempt(from('10.0.0.1', '5.5.5.5'), reply, 'login', 'a', wrong));
  t.equal((await refusal(throttle.attempt(from('10.0.0.1', 'spoofed, 5.5.5.5'), reply, 'login', 'b', wrong))).code, 'RATE_LIMITED', 'a forged left entry does not escape the limit');
  t.equal((await refusal(throttle.attempt(from('10.0.0.1', '6.6.6.6'), reply, 'login', 'c', wrong))).code, 'UNAUTHORIZED', 'another client behind the same proxy is not limited');
});

t.test('Redis that does not answer: UNAVAILABLE, not a hang', async (t) => {
  const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  dead.on('error', () => {});
  t.teardown(() => dead.disconnect());
  const slow = new AttemptLimiter(dead, 200);
  await t.rejects(slow.claim([{ key: `${ns}:dead`, limit: 1, windowMs: 1000 }]), { code: 'UNAVAILABLE' });
});

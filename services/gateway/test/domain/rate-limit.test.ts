// The login limits' rules (domain/rate-limit.ts): what counts, the keys, the client address, and how an attempt's
// claim is settled and answered with a 429, over the real counters in the (shared, so namespaced) Redis.
import t from 'tap';
import { Redis } from 'ioredis';
import { DomainError } from '@voltq/kit';
import { removeRedisNamespace } from '../../../../test/support/cleanup.js';
import { REDIS_URL, testNamespace } from '../../../../test/support/env.js';
import { clientAddress, countsAsFailure, loginBuckets, LoginThrottle, retryAfterSeconds, type LoginLimits } from '../../src/domain/rate-limit.js';
import { AttemptLimiter } from '../../src/store/rate-limit.js';

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
  for (const spelling of ['ALICE', ' Alice ', 'aLiCe']) {
    t.equal(loginBuckets('voltq', 'login', spelling, '10.0.0.1', limits)[1].key, acct.key, `"${spelling}" is the same account (auth ignores case): the same bucket`);
  }
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

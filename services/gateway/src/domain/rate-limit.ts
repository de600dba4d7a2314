// Failed logins and registrations are limited per account (username) and per client address, in Redis so every
// gateway replica shares the counts. Fixed windows: a bucket's first count starts its window (PEXPIRE), the
// bucket refuses once its count passes the limit until the window ends (that rest is the Retry-After).
//
// An attempt claims one count in each bucket *before* it runs (one Lua script, atomic), so parallel guesses
// cannot slip past the limit; the outcome then settles the claim: a failure (wrong credentials, a taken name)
// keeps it, a success gives the address's count back and clears the account's, any other error (auth timed out,
// bad input) gives both back. Counting is by username whether or not the account exists, so a limited answer
// says nothing about which names are taken.
//
// The rules live here (the buckets of an attempt, what counts, the client's address, the claim-then-settle policy);
// the counters themselves are in Redis (store/rate-limit.ts).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { usernameKey } from '@voltq/contracts';
import { DomainError, isDomainError } from '@voltq/kit';

export interface Bucket {
  key: string;
  /** counts allowed per window; 0 disables the bucket */
  limit: number;
  windowMs: number;
}

export type Claim = { allowed: true } | { allowed: false; retryAfterMs: number; key: string };

/** Fixed-window counters shared by every replica (store/rate-limit.ts keeps them in Redis). */
export interface AttemptCounter {
  /** One count in every enabled bucket, unless one of them is already full. */
  claim(buckets: readonly Bucket[]): Promise<Claim>;
  /** Gives one count back to each bucket (a claim that turned out not to count). */
  release(keys: readonly string[]): Promise<void>;
  /** Starts the buckets over. */
  clear(keys: readonly string[]): Promise<void>;
}

export interface LoginLimits {
  /** failed attempts per username per window (0: off) */
  accountMaxFailures: number;
  accountWindowMs: number;
  /** failed attempts per client address per window (0: off) */
  addressMaxFailures: number;
  addressWindowMs: number;
}

/** `login` is both doors (user and admin log in): they guess the same passwords. */
export type Door = 'login' | 'register';

/** Whether an attempt's error is a failure that counts: wrong credentials at login, a taken name at registration. */
export function countsAsFailure(door: Door, err: unknown): boolean {
  if (!isDomainError(err)) return false;
  return door === 'login' ? err.code === 'UNAUTHORIZED' : err.code === 'CONFLICT';
}

/**
 * The client's address for the per-address limit. Without trusted proxies it is the socket's peer; behind
 * `trustedHops` proxies (e.g. 1 for the ingress) it is the entry that many places from the right of
 * X-Forwarded-For (each proxy appends the address it saw), the peer when the header is shorter. Entries further
 * left are the client's own words and never trusted.
 */
export function clientAddress(peer: string, forwardedFor: string | string[] | undefined, trustedHops: number): string {
  if (trustedHops <= 0 || forwardedFor === undefined) return peer;
  const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return chain[chain.length - trustedHops] ?? chain[0] ?? peer;
}

/** Whole seconds for Retry-After, never 0. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The two buckets of an attempt, the address first (a limited address stops there), then the username's. */
export function loginBuckets(ns: string, door: Door, username: string, address: string, limits: LoginLimits): [Bucket, Bucket] {
  // the account as auth finds it (case and surrounding blanks ignored): `Alice` and ` alice` share one bucket
  const account = createHash('sha256').update(usernameKey(username), 'utf8').digest('base64url');
  return [
    { key: `${ns}:rl:${door}:addr:${address}`, limit: limits.addressMaxFailures, windowMs: limits.addressWindowMs },
    { key: `${ns}:rl:${door}:acct:${account}`, limit: limits.accountMaxFailures, windowMs: limits.accountWindowMs },
  ];
}

/** Runs login and registration attempts under the limits; a refused one answers 429 / 9006 with Retry-After. */
export class LoginThrottle {
  constructor(
    private readonly limiter: AttemptCounter,
    private readonly ns: string,
    private readonly limits: LoginLimits,
    /** proxies in front of the gateway whose X-Forwarded-For entries are believed (clientAddress) */
    private readonly trustedHops = 0,
  ) {}

  /** `req` gives the client address (its socket peer, or X-Forwarded-For behind trusted proxies). */
  async attempt<T>(req: FastifyRequest, reply: FastifyReply, door: Door, username: string, run: () => Promise<T>): Promise<T> {
    const address = clientAddress(req.ip, req.headers['x-forwarded-for'], this.trustedHops);
    const [addr, acct] = loginBuckets(this.ns, door, username, address, this.limits);
    const claim = await this.limiter.claim([addr, acct]);
    if (!claim.allowed) {
      const seconds = retryAfterSeconds(claim.retryAfterMs);
      void reply.header('retry-after', String(seconds));
      throw new DomainError('RATE_LIMITED', `too many failed attempts, retry in ${seconds} s`, { retryAfterSeconds: seconds });
    }
    let result: T;
    try {
      result = await run();
    } catch (err) {
      if (!countsAsFailure(door, err)) await this.limiter.release([addr.key, acct.key]).catch(() => {});
      throw err;
    }
    // a success does not use the address's budget, and the account starts over
    await Promise.all([this.limiter.release([addr.key]), this.limiter.clear([acct.key])]).catch(() => {});
    return result;
  }
}

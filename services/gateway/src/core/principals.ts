// A signed token is not enough: its subject must still be an account with the role the token names (a deleted
// user, an id that never was, a demoted admin are refused). Auth answers that (`auth.principal`, one indexed
// lookup); a small LRU cache with a short TTL keeps hot requests from paying an RPC each, so a deleted account is
// refused within the TTL at most.
import type { PrincipalResult } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { JwksVerifier, Principal } from './jwt.js';

export interface PrincipalCacheOptions {
  /** auth.principal */
  lookup: (userId: string) => Promise<PrincipalResult>;
  /** how long an answer is reused; 0 asks auth on every request */
  ttlMs: number;
  /** most user ids kept (least recently used go first) */
  maxEntries: number;
  /** the time the TTL counts in (epoch ms; the wiring passes Date.now) */
  now: () => number;
}

interface Entry {
  result: PrincipalResult;
  expiresAt: number;
}

export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<PrincipalResult>>();
  private readonly now: () => number;

  constructor(private readonly opts: PrincipalCacheOptions) {
    this.now = opts.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The account behind `userId` (cached answers, either way, for the TTL); a failed lookup is not cached. */
  async get(userId: string): Promise<PrincipalResult> {
    const hit = this.entries.get(userId);
    if (hit) {
      this.entries.delete(userId);
      if (hit.expiresAt > this.now()) {
        this.entries.set(userId, hit); // most recently used last
        return hit.result;
      }
    }
    let pending = this.inflight.get(userId);
    if (!pending) {
      pending = this.opts.lookup(userId).finally(() => this.inflight.delete(userId));
      this.inflight.set(userId, pending);
      void pending.then((result) => this.store(userId, result), () => {});
    }
    return pending;
  }

  /** Drops what is known about `userId` (e.g. on a user.deleted event). */
  forget(userId: string): void {
    this.entries.delete(userId);
  }

  private store(userId: string, result: PrincipalResult): void {
    if (this.opts.ttlMs <= 0) return;
    this.entries.delete(userId);
    this.entries.set(userId, { result, expiresAt: this.now() + this.opts.ttlMs });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

/** Verifies the token (signature, issuer, audience, expiry), then that its subject exists with that role now. */
export class LiveTokenVerifier {
  constructor(
    private readonly tokens: Pick<JwksVerifier, 'verify'>,
    private readonly principals: Pick<PrincipalCache, 'get'>,
  ) {}

  async verify(token: string): Promise<Principal> {
    const who = await this.tokens.verify(token);
    const account = await this.principals.get(who.userId);
    if (!account.exists || account.role !== who.role) throw new DomainError('UNAUTHORIZED', 'invalid token: its account is gone or its role changed');
    return who;
  }
}

// Local JWT verification against auth's JWKS (fetched over RPC `auth.jwks`). A token signed with a key we do not
// know yet (auth rotated or a new replica generated one) triggers one refetch, at most once per interval.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { JWT_AUDIENCE, JWT_ISSUER, type Jwks, type Role } from '@voltq/contracts';
import { DomainError, type Logger } from '@voltq/kit';

export interface Principal {
  userId: string;
  role: Role;
}

export interface JwksVerifierOptions {
  fetchJwks: () => Promise<Jwks>;
  /** minimum time between two fetches (unknown-kid refetches); default 30 s */
  minRefetchMs?: number;
  log?: Logger;
  /** real time (token expiry is wall time) */
  now?: () => number;
}

export class JwksVerifier {
  private keySet: JWTVerifyGetKey | undefined;
  private lastFetchMs = Number.NEGATIVE_INFINITY;
  private inflight: Promise<boolean> | undefined;
  private readonly minRefetchMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: JwksVerifierOptions) {
    this.minRefetchMs = opts.minRefetchMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  get loaded(): boolean {
    return this.keySet !== undefined;
  }

  /** Fetches the JWKS now (concurrent callers share one fetch). Resolves false when auth could not be reached. */
  refresh(): Promise<boolean> {
    this.inflight ??= (async () => {
      this.lastFetchMs = this.now();
      try {
        const jwks = await this.opts.fetchJwks();
        this.keySet = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
        this.opts.log?.info({ keys: jwks.keys.length }, 'JWKS loaded');
        return true;
      } catch (err) {
        this.opts.log?.warn({ err: (err as Error).message }, 'JWKS fetch failed');
        return false;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** Refetch unless one happened within the interval. */
  private async refreshIfAllowed(): Promise<boolean> {
    if (this.inflight) return this.inflight;
    if (this.now() - this.lastFetchMs < this.minRefetchMs) return false;
    return this.refresh();
  }

  /** Verifies signature, issuer, audience and expiry; UNAUTHORIZED otherwise (UNAVAILABLE without any keys). */
  async verify(token: string): Promise<Principal> {
    if (!this.keySet) {
      await this.refreshIfAllowed();
      if (!this.keySet) throw new DomainError('UNAVAILABLE', 'token keys are not available yet');
    }
    try {
      return await this.verifyWith(this.keySet, token);
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey && (await this.refreshIfAllowed())) {
        return this.verifyWith(this.keySet, token).catch((e: unknown) => {
          throw this.unauthorized(e);
        });
      }
      throw this.unauthorized(err);
    }
  }

  private async verifyWith(keySet: JWTVerifyGetKey, token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithms: ['EdDSA', 'Ed25519', 'ES256'],
      currentDate: new Date(this.now()),
    });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || payload.sub === '' || (role !== 'user' && role !== 'admin')) {
      throw new DomainError('UNAUTHORIZED', 'invalid token claims');
    }
    return { userId: payload.sub, role };
  }

  private unauthorized(err: unknown): DomainError {
    if (err instanceof DomainError) return err;
    if (err instanceof joseErrors.JWTExpired) return new DomainError('UNAUTHORIZED', 'token expired');
    return new DomainError('UNAUTHORIZED', 'invalid token');
  }
}

/** `Authorization: Bearer <token>` -> the token, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

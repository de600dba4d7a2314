// The JWT signing key: an Ed25519 key pair that every auth replica shares (store/signing-keys.ts keeps it in
// MongoDB), the tokens it signs and the JWKS the gateway verifies them with.
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { JWT_AUDIENCE, JWT_ISSUER, type Jwks, type Role } from '@voltq/contracts';

export const JWT_ALG = 'EdDSA';

/** The key pair as it is stored. */
export interface SigningKeyRecord {
  _id: string;
  kid: string;
  alg: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
}

/** A fresh key pair under `id` (the first replica to start makes it). */
export async function newSigningKey(id: string, createdAt: number): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { _id: id, kid: await calculateJwkThumbprint(publicJwk), alg: JWT_ALG, privateJwk: await exportJWK(privateKey), publicJwk, createdAt };
}

export interface TokenClaims {
  userId: string;
  username: string;
  role: Role;
}

export class SigningKeys {
  private constructor(
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly jwks: Jwks,
  ) {}

  static async from(record: SigningKeyRecord): Promise<SigningKeys> {
    const privateKey = (await importJWK(record.privateJwk, record.alg)) as CryptoKey;
    const jwks: Jwks = { keys: [{ ...record.publicJwk, kid: record.kid, alg: record.alg, use: 'sig' }] };
    return new SigningKeys(record.kid, privateKey, jwks);
  }

  get keyId(): string {
    return this.kid;
  }

  publicJwks(): Jwks {
    return structuredClone(this.jwks);
  }

  /**
   * Signs a token for `claims`. Lifetimes use real time, not the platform clock: the simulated clock can be
   * set or advanced by days, and token expiry is a security property of wall time.
   */
  async sign(claims: TokenClaims, ttlSeconds: number, nowMs = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({ role: claims.role, name: claims.username })
      .setProtectedHeader({ alg: JWT_ALG, kid: this.kid, typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresAt: exp * 1000 };
  }
}

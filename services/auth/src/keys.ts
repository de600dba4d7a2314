// The JWT signing key: an Ed25519 key pair kept in MongoDB so every auth replica signs with the same key. The first
// replica to start generates it; a concurrent one loses the insert race (duplicate _id) and reads the winner's.
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type mongoose from 'mongoose';
import { JWT_AUDIENCE, JWT_ISSUER, type Jwks, type Role } from '@voltq/contracts';
import { Schema } from 'mongoose';

export const JWT_ALG = 'EdDSA';
const ACTIVE_KEY_ID = 'jwt-signing';

interface SigningKeyDoc {
  _id: string;
  kid: string;
  alg: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
}

const signingKeySchema = new Schema<SigningKeyDoc>(
  {
    _id: { type: String, required: true },
    kid: { type: String, required: true },
    alg: { type: String, required: true },
    privateJwk: { type: Schema.Types.Mixed, required: true },
    publicJwk: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Number, required: true },
  },
  { versionKey: false, collection: 'signing_keys' },
);

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
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

  /** Loads the shared key from MongoDB, generating and storing it when there is none yet. */
  static async load(conn: mongoose.Connection): Promise<SigningKeys> {
    const Model = (conn.models.SigningKey as mongoose.Model<SigningKeyDoc> | undefined) ?? conn.model<SigningKeyDoc>('SigningKey', signingKeySchema);
    let doc = await Model.findById(ACTIVE_KEY_ID).lean<SigningKeyDoc>();
    if (!doc) {
      const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { crv: 'Ed25519', extractable: true });
      const publicJwk = await exportJWK(publicKey);
      const candidate: SigningKeyDoc = {
        _id: ACTIVE_KEY_ID,
        kid: await calculateJwkThumbprint(publicJwk),
        alg: JWT_ALG,
        privateJwk: await exportJWK(privateKey),
        publicJwk,
        createdAt: Date.now(),
      };
      try {
        await Model.create(candidate);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      doc = await Model.findById(ACTIVE_KEY_ID).lean<SigningKeyDoc>();
      if (!doc) throw new Error('signing key vanished after insert');
    }
    const privateKey = (await importJWK(doc.privateJwk, doc.alg)) as CryptoKey;
    const jwks: Jwks = { keys: [{ ...doc.publicJwk, kid: doc.kid, alg: doc.alg, use: 'sig' }] };
    return new SigningKeys(doc.kid, privateKey, jwks);
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

// Token verification on its own (jwt.ts): against auth's JWKS, refetched on an unknown key id at most once per
// interval; the bearer header.
import t from 'tap';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { JWT_AUDIENCE, JWT_ISSUER, type Jwks } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { bearerToken, JwksVerifier } from '../../src/core/jwt.js';

async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

async function token(key: { privateKey: CryptoKey; kid: string }, claims: Record<string, unknown> = { role: 'user' }, sub = '7', expSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setSubject(sub)
    .setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setIssuedAt(now).setExpirationTime(now + expSeconds).sign(key.privateKey);
}

t.test('JWT verification: refetch on an unknown kid, rate-limited', async (t) => {
  const a = await keyPair();
  const b = await keyPair();
  let published: Jwks = { keys: [a.jwk] };
  let fetches = 0;
  let now = 1_000_000;
  const verifier = new JwksVerifier({ fetchJwks: async () => (fetches++, published), minRefetchMs: 30_000, now: () => now });
  await verifier.refresh();
  t.equal(fetches, 1);
  const nowReal = Date.now();
  now = nowReal;
  t.same(await verifier.verify(await token(a)), { userId: '7', role: 'user' });
  t.equal(fetches, 1, 'a known key needs no fetch');

  published = { keys: [a.jwk, b.jwk] };
  t.same(await verifier.verify(await token(b, { role: 'admin' }, '1')), { userId: '1', role: 'admin' }, 'a new key is fetched');
  t.equal(fetches, 2);

  const c = await keyPair();
  await t.rejects(verifier.verify(await token(c)), { code: 'UNAUTHORIZED' });
  await t.rejects(verifier.verify(await token(c)), { code: 'UNAUTHORIZED' });
  t.equal(fetches, 2, 'no refetch within the interval');
  now += 30_000;
  await t.rejects(verifier.verify(await token(c)), { code: 'UNAUTHORIZED' });
  t.equal(fetches, 3, 'one refetch after it');

  await t.rejects(verifier.verify(await token(a, { role: 'user' }, '7', -10)), { code: 'UNAUTHORIZED', message: 'token expired' });
  await t.rejects(verifier.verify(await token(a, { role: 'root' })), { code: 'UNAUTHORIZED' }, 'unknown role');
  const wrongAudience = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'EdDSA', kid: a.kid }).setSubject('7')
    .setIssuer(JWT_ISSUER).setAudience('someone-else').setIssuedAt().setExpirationTime('1h').sign(a.privateKey);
  await t.rejects(verifier.verify(wrongAudience), { code: 'UNAUTHORIZED' });

  const down = new JwksVerifier({ fetchJwks: async () => { throw new DomainError('UNAVAILABLE', 'no auth'); } });
  await t.rejects(down.verify(await token(a)), { code: 'UNAVAILABLE' }, 'no keys at all is not the caller\'s fault');
  t.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  t.equal(bearerToken('bearer   x'), 'x');
  t.equal(bearerToken('Basic abc'), undefined);
  t.equal(bearerToken(undefined), undefined);
});

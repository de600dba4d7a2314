// Pile credentials. Seeded piles get secret = HMAC-SHA256(PILE_MASTER_KEY, pileId) (@voltq/pile-sim's
// derivePileSecret, so that the simulator or a factory derives the same secret); the bridge stores only a scrypt
// hash of it.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

function scrypt(secret: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

// N=2^14, r=8, p=1: the scrypt parameters OWASP lists as a minimum; ~30-50 ms per check on these machines.
const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;

/** `scrypt$N$r$p$<salt b64>$<hash b64>` */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, KEY_LEN, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const key = await scrypt(secret, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

let dummyHash: Promise<string> | undefined;
/** Spend the same time on an unknown pile as on a known one, so timing does not reveal which piles exist. */
export async function verifyAgainstDummy(secret: string): Promise<false> {
  dummyHash ??= hashSecret(randomBytes(16).toString('hex'));
  await verifySecret(secret, await dummyHash);
  return false;
}

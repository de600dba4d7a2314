// WeChat Pay API v2 signatures, sign_type HMAC-SHA256: the non-empty parameters except `sign`, sorted by name in
// ASCII order, joined as `k=v&k=v`, then `&key=<merchant key>`; HMAC-SHA256 of that string keyed with the merchant
// key, hex in upper case. The same rule signs requests (merchant → WeChat), answers and notifies (WeChat → merchant).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A v2 parameter set: names to values; undefined, null and '' are "empty" and take no part in the signature. */
export type V2Params = Readonly<Record<string, string | number | undefined | null>>;

export const SIGN_TYPE = 'HMAC-SHA256';

/** The string that is signed (without the key part): exported for tests and for logging a signature mismatch. */
export function signingString(params: V2Params): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== null && params[k] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
}

/** The v2 HMAC-SHA256 signature of `params` with the merchant key. */
export function sign(params: V2Params, key: string): string {
  if (!key) throw new Error('a WeChat Pay v2 signature needs the merchant key');
  const text = `${signingString(params)}&key=${key}`;
  return createHmac('sha256', key).update(text, 'utf8').digest('hex').toUpperCase();
}

/** `params` with their `sign` set (and `sign_type` HMAC-SHA256, which is signed too). */
export function signed<T extends V2Params>(params: T, key: string): T & { sign_type: string; sign: string } {
  const withType = { ...params, sign_type: SIGN_TYPE };
  return { ...withType, sign: sign(withType, key) };
}

/**
 * Whether `params.sign` is the v2 HMAC-SHA256 signature of the rest with `key` (constant time; a missing or
 * malformed sign, or a sign_type other than HMAC-SHA256, is false).
 */
export function verifySignature(params: V2Params, key: string): boolean {
  const given = params.sign;
  if (typeof given !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(given)) return false;
  if (params.sign_type !== undefined && params.sign_type !== null && params.sign_type !== '' && params.sign_type !== SIGN_TYPE) return false;
  const expected = Buffer.from(sign(params, key), 'utf8');
  return timingSafeEqual(expected, Buffer.from(given.toUpperCase(), 'utf8'));
}

/** A nonce_str: 32 characters of [0-9A-Za-z] (v2 allows at most 32). */
export function nonceStr(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(32)].map((b) => alphabet[b % alphabet.length]).join('');
}

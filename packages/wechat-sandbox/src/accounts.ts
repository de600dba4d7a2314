// The merchant accounts the sandbox knows: each is one WeChat Pay merchant (mch_id + API key) bound to one app id,
// which is also the mini-program whose app secret jscode2session checks.
import { createHmac } from 'node:crypto';

export interface MerchantAccount {
  /** The app id (公众账号ID / 小程序ID) bound to the merchant. */
  appid: string;
  /** 商户号. */
  mchId: string;
  /** The merchant's API key (v2 signatures). */
  key: string;
  /** The mini-program's app secret (jscode2session). */
  appSecret: string;
  /** Whether jscode2session answers a unionid too (an app bound to an open-platform account). */
  unionid?: boolean;
}

/** The development account `scripts/start` and the tests use unless told otherwise (not a real merchant). */
export const DEV_MERCHANT: Readonly<MerchantAccount> = Object.freeze({
  appid: 'wx0123456789abcdef',
  mchId: '1900000109',
  key: 'voltqSandboxMerchantKey000000001',
  appSecret: 'voltq-sandbox-app-secret-0000001',
});

/** A user's openid under an app, stable per (appid, name): the sandbox names its users (see README). */
export function sandboxOpenid(appid: string, name: string): string {
  return `o${createHmac('sha256', `openid:${appid}`).update(name).digest('base64url').slice(0, 27)}`;
}

/** The user's unionid (the same across apps), stable per name. */
export function sandboxUnionid(name: string): string {
  return `o${createHmac('sha256', 'unionid').update(name).digest('base64url').slice(0, 27)}`;
}

export function checkAccounts(merchants: readonly MerchantAccount[]): void {
  if (merchants.length === 0) throw new Error('the WeChat sandbox needs at least one merchant account');
  const seen = new Set<string>();
  for (const m of merchants) {
    for (const f of ['appid', 'mchId', 'key', 'appSecret'] as const) {
      if (typeof m[f] !== 'string' || m[f] === '') throw new Error(`merchant account ${m.mchId ?? '?'}: ${f} is required`);
    }
    if (seen.has(m.mchId)) throw new Error(`merchant ${m.mchId} is configured twice`);
    seen.add(m.mchId);
  }
}

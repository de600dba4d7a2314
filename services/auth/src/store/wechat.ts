// WeChat's jscode2session over HTTP (GET /sns/jscode2session), at WECHAT_API_BASE_URL: WeChat itself, or the local
// sandbox (packages/wechat-sandbox). A bounded wait; the answer is read by domain/wechat-login.ts.
import { DomainError } from '@voltq/kit';
import { readJscode2Session, type WechatSession } from '../domain/wechat-login.js';

export interface WechatClientOptions {
  baseUrl: string;
  appId: string;
  /** unset: the login is not configured */
  appSecret: string | undefined;
  timeoutMs?: number;
}

export class WechatClient {
  constructor(private readonly opts: WechatClientOptions) {}

  async session(code: string): Promise<WechatSession> {
    const { baseUrl, appId, appSecret } = this.opts;
    if (!appId || !appSecret) throw new DomainError('UNAVAILABLE', 'the WeChat login is not configured (WECHAT_APP_ID, WECHAT_APP_SECRET)', { resource: 'wechat' });
    const url = new URL('/sns/jscode2session', baseUrl);
    url.search = new URLSearchParams({ appid: appId, secret: appSecret, js_code: code, grant_type: 'authorization_code' }).toString();
    let answer: unknown;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000) });
      answer = await res.json();
    } catch (err) {
      // the URL holds the app secret: only the cause is said
      throw new DomainError('UNAVAILABLE', `WeChat could not be asked: ${(err as Error).name}`, { resource: 'wechat' });
    }
    return readJscode2Session(answer);
  }
}

// Calling WeChat Pay v2 at WECHAT_PAY_BASE_URL (WeChat itself, or the sandbox): POST the XML domain/wechat.ts
// builds, read the answer with domain/wechat.ts. A call that gets no v2 answer in time (network error, timeout,
// HTTP error) is `unreachable`; the caller decides whether to retry (a unified order with the same out_trade_no and
// the same fields is safe to repeat).
import { nonceStr } from '@voltq/wechat-v2';
import {
  buildOrderQuery,
  buildUnifiedOrder,
  readOrderQueryAnswer,
  readUnifiedOrderAnswer,
  type OrderQueryAnswer,
  type Refused,
  type UnifiedOrderAnswer,
  type UnifiedOrderInput,
  type WechatMerchant,
} from '../domain/wechat.js';

export interface WechatPayClientOptions {
  /** e.g. https://api.mch.weixin.qq.com, or the sandbox's url. */
  baseUrl: string;
  merchant: WechatMerchant;
  /** Per call (default 5000 ms). */
  timeoutMs?: number;
}

export type Unreachable = Refused<'unreachable'>;

export interface WechatPayClient {
  unifiedOrder(input: UnifiedOrderInput): Promise<UnifiedOrderAnswer | Unreachable>;
  orderQuery(by: { outTradeNo: string } | { transactionId: string }): Promise<OrderQueryAnswer | Unreachable>;
}

export function createWechatPayClient(opts: WechatPayClientOptions): WechatPayClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 5000;
  const call = async (path: string, xml: string): Promise<{ ok: true; text: string } | Unreachable> => {
    try {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        body: xml,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (!res.ok) return { ok: false, reason: 'unreachable', message: `${path} answered HTTP ${res.status}` };
      return { ok: true, text };
    } catch (err) {
      return { ok: false, reason: 'unreachable', message: `${path}: ${(err as Error).message}` };
    }
  };
  return {
    async unifiedOrder(input) {
      const r = await call('/pay/unifiedorder', buildUnifiedOrder(opts.merchant, input, nonceStr()));
      return r.ok ? readUnifiedOrderAnswer(opts.merchant, r.text) : r;
    },
    async orderQuery(by) {
      const r = await call('/pay/orderquery', buildOrderQuery(opts.merchant, by, nonceStr()));
      return r.ok ? readOrderQueryAnswer(opts.merchant, r.text) : r;
    },
  };
}

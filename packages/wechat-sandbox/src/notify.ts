// Delivering a pay notify to the merchant's notify_url: POST the signed XML; the merchant has taken it only when
// it answers HTTP 2xx with return_code SUCCESS. Otherwise (another answer, an error, no answer in time) the sandbox
// tries again after each of `retryDelaysMs` (WeChat itself retries over 24 h: 15 s, 15 s, 30 s, 3 min, …).
import { parseXml } from '@voltq/wechat-v2';

export interface NotifyAttempt {
  at: string;
  /** HTTP status of the merchant's answer (absent: no answer). */
  status?: number;
  /** The return_code the merchant answered (absent: no v2 answer). */
  returnCode?: string;
  error?: string;
  ok: boolean;
}

export interface NotifyDelivery {
  delivered: boolean;
  attempts: NotifyAttempt[];
}

export interface DeliveryOptions {
  retryDelaysMs: readonly number[];
  timeoutMs: number;
}

async function attempt(url: string, xml: string, timeoutMs: number): Promise<NotifyAttempt> {
  const at = new Date().toISOString();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: xml,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let returnCode: string | undefined;
    try {
      returnCode = parseXml(text).return_code;
    } catch {
      returnCode = undefined;
    }
    const ok = res.ok && returnCode === 'SUCCESS';
    return { at, status: res.status, ...(returnCode !== undefined ? { returnCode } : {}), ok };
  } catch (err) {
    return { at, error: (err as Error).message, ok: false };
  }
}

/** Sends `xml` to `url` until the merchant takes it or the retries run out. */
export async function deliverNotify(url: string, xml: string, opts: DeliveryOptions): Promise<NotifyDelivery> {
  const attempts: NotifyAttempt[] = [];
  for (let i = 0; ; i++) {
    const a = await attempt(url, xml, opts.timeoutMs);
    attempts.push(a);
    if (a.ok) return { delivered: true, attempts };
    const delay = opts.retryDelaysMs[i];
    if (delay === undefined) return { delivered: false, attempts };
    await new Promise((r) => setTimeout(r, delay));
  }
}

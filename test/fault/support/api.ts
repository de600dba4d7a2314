// The fault tests' HTTP client: JSON in and out, Bearer token, an Idempotency-Key header when given, and
// retries as a well-behaved app does them: on a 5xx, a 429 or no answer at all, again with the same key.
export interface Answer {
  /** 0: no answer (connection refused or reset, or no answer within the timeout) */
  status: number;
  body: any;
  error?: string;
  /** the Retry-After header, seconds */
  retryAfterS?: number;
}

export interface CallOptions {
  token?: string;
  idempotencyKey?: string;
  /** keep retrying a 5xx / 429 / no answer for this long (0: one try) */
  retryForMs?: number;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function retriable(a: Answer): boolean {
  return a.status === 0 || a.status >= 500 || a.status === 429;
}

export class Api {
  /** every answer that was retried, by route (for the failure messages) */
  readonly retried = new Map<string, number>();

  constructor(readonly baseUrl: string) {}

  async once(method: string, path: string, body: unknown, opts: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    try {
      const res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: kept as text for the messages
      }
      const retryAfterS = Number(res.headers.get('retry-after') ?? NaN);
      return { status: res.status, body: parsed, ...(Number.isFinite(retryAfterS) ? { retryAfterS } : {}) };
    } catch (err) {
      return { status: 0, body: null, error: (err as Error).message };
    }
  }

  /** One call, retried with backoff (200 ms doubling to 1 s, or the answer's Retry-After) while it is retriable. */
  async call(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Answer> {
    const deadline = Date.now() + (opts.retryForMs ?? 20_000);
    let delay = 200;
    for (;;) {
      const answer = await this.once(method, path, body, opts);
      if (!retriable(answer) || Date.now() + delay > deadline) return answer;
      const route = `${method} ${path.replace(/\?.*/, '')}`;
      this.retried.set(route, (this.retried.get(route) ?? 0) + 1);
      const after = answer.retryAfterS;
      await sleep(after !== undefined && after > 0 ? Math.min(after * 1000, 5000) : delay);
      delay = Math.min(delay * 2, 1000);
    }
  }

  get(path: string, opts?: CallOptions) {
    return this.call('GET', path, undefined, opts);
  }
  post(path: string, body: unknown, opts?: CallOptions) {
    return this.call('POST', path, body, opts);
  }
  put(path: string, body: unknown, opts?: CallOptions) {
    return this.call('PUT', path, body, opts);
  }
}

/** `{status} {code} {message}` of an answer, for messages. */
export function describe(a: Answer): string {
  if (a.status === 0) return `no answer (${a.error})`;
  const b = a.body;
  return typeof b === 'object' && b !== null ? `${a.status} ${b.code} ${b.message ?? b.msg ?? ''}` : `${a.status} ${String(b).slice(0, 120)}`;
}

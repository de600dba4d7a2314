// A small HTTP client for end-to-end tests: JSON in, `{status, body}` out, Bearer token when given.
export interface ApiResponse {
  status: number;
  body: any;
}

export class GatewayClient {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown, token?: string): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the assertion message
    }
    return { status: res.status, body: parsed };
  }

  get(path: string, token?: string) {
    return this.request('GET', path, undefined, token);
  }
  post(path: string, body: unknown, token?: string) {
    return this.request('POST', path, body, token);
  }
  put(path: string, body: unknown, token?: string) {
    return this.request('PUT', path, body, token);
  }
  patch(path: string, body: unknown, token?: string) {
    return this.request('PATCH', path, body, token);
  }
  delete(path: string, token?: string) {
    return this.request('DELETE', path, undefined, token);
  }
}

/** Polls `probe` until it returns a value (events travel asynchronously); fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

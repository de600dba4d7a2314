// Document 002 as its web front end calls it (header `token`, JSON bodies), for the d002 route tests.
import type { FastifyInstance } from 'fastify';
import type t from 'tap';

export interface Answer002 { status: number; body: { code: number | string; msg: string; data?: any } }

export function client002(http: Pick<FastifyInstance, 'inject'>) {
  return async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer002> => {
    const res = await http.inject({
      method,
      url,
      headers: { ...(opts.token ? { token: opts.token } : {}), ...(opts.headers ?? {}) },
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
    return { status: res.statusCode, body: res.json() };
  };
}

/** 002's refusal: HTTP 200, a non-zero code, a message. */
export function refused002(test: Pick<typeof t, 'equal' | 'not' | 'type'>, a: Answer002, what: string): void {
  test.equal(a.status, 200, `${what}: HTTP 200`);
  test.not(a.body.code, 0, `${what}: non-zero code`);
  test.type(a.body.msg, 'string', `${what}: msg`);
}

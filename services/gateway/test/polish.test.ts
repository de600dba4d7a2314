// The API's edges a client meets first: unknown paths, validation messages, what the docs say. The gateway's /api
// on a bare fastify instance with a stub bus (no services needed: none of these requests reaches a service).
import Fastify from 'fastify';
import t from 'tap';
import { registerApi } from '../src/app.js';

const http = Fastify();
const calls: string[] = [];
await registerApi(http, {
  bus: {
    call: (async (method: string) => {
      calls.push(method);
      throw new Error(`stub bus: ${method} not served here`);
    }) as never,
  },
  clock: { now: () => Date.now() },
  verifier: { verify: async () => ({ userId: '1', role: 'admin' as const }) } as never,
  timeZone: 'Asia/Shanghai',
  defaultStationId: 'default',
  billWaitMs: 100,
  clockRpcTimeoutMs: 1000,
});
t.teardown(() => http.close());

async function ask(method: 'GET' | 'POST' | 'PUT', url: string, payload?: string | object) {
  const res = await http.inject({
    method,
    url,
    headers: { authorization: 'Bearer test', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
  return { status: res.statusCode, body: res.json() as { code: number; message: string; data: unknown } };
}

t.test('every unknown path answers in the API shape with 9004, inside /api and outside', async (t) => {
  for (const [method, url] of [
    ['GET', '/u/login'],
    ['POST', '/user/login'],
    ['GET', '/'],
    ['GET', '/api/nope'],
    ['PUT', '/api/queue/requests/current?x=1'],
  ] as const) {
    const res = await ask(method, url);
    t.equal(res.status, 404, `${method} ${url}`);
    t.same(res.body, { code: 9004, message: `no route ${method} ${url.split('?')[0]}`, data: null }, `${method} ${url}`);
  }
  const badJson = await ask('POST', '/nope', '{not json');
  t.equal(badJson.status, 400);
  t.match(badJson.body, { code: 9001, message: /not valid JSON/, data: null }, 'a malformed body on an unknown path: the API shape too');
  t.same(calls, [], 'no service was asked');
});

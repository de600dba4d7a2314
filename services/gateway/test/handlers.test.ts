// The API's edges a client meets first: unknown paths, validation messages, what the docs say. The gateway's /api
// on a bare fastify instance with a stub bus (no services needed: none of these requests reaches a service).
import Fastify from 'fastify';
import t from 'tap';
import { registerHandlers } from '../src/handlers.js';
import { dialectOfUrl } from '../src/core/dialects.js';
import { validationMessage } from '../src/core/errors.js';

const http = Fastify();
const calls: string[] = [];
await registerHandlers(http, {
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
  logins: { attempt: (_req, _reply, _door, _username, run) => run() },
  // no socket is opened here
  pushes: { attach: () => () => undefined, subscribe: () => () => undefined },
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
    // paths no dialect owns (/u and /user are document 000's now: their refusals are 000's, tested in dialects/d000)
    ['GET', '/v/login'],
    ['POST', '/users/login'],
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

t.test('a value outside an enum is answered with the allowed values', async (t) => {
  const cases = [
    ['POST', '/api/admin/piles/F1/status', { status: 'broken' }, 'body/status must be one of: on, off, fault, repair'],
    ['PUT', '/api/admin/clock', { mode: 'fast' }, 'body/mode must be one of: real, scaled, manual'],
    ['PUT', '/api/admin/stations/default/config', { faultPolicy: 'fifo' }, 'body/faultPolicy must be one of: priority, time-order'],
    ['PUT', '/api/admin/stations/default/config', { dispatchMode: 'best' }, 'body/dispatchMode must be one of: default, single-min-total, batch-min-total'],
    ['POST', '/api/queue/requests', { mode: 'turbo', energyKwh: 10 }, 'body/mode must be one of: fast, slow'],
  ] as const;
  for (const [method, url, body, message] of cases) {
    const res = await ask(method, url, body);
    t.equal(res.status, 400, url);
    t.same(res.body, { code: 9001, message, data: null }, `${method} ${url} ${JSON.stringify(body)}`);
  }
  // other validation errors keep ajv's words
  const negative = await ask('POST', '/api/queue/requests', { mode: 'fast', energyKwh: -1 });
  t.same(negative.body, { code: 9001, message: 'body/energyKwh must be > 0', data: null });
  const missing = await ask('PUT', '/api/admin/clock', {});
  t.same(missing.body, { code: 9001, message: "body must have required property 'mode'", data: null });
  t.same(calls, [], 'no service was asked');
  // several errors (ajv with allErrors, or a union's members) are said once each
  t.equal(
    validationMessage(
      [
        { keyword: 'const', instancePath: '/mode', message: 'must be equal to constant' },
        { keyword: 'const', instancePath: '/mode', message: 'must be equal to constant' },
        { keyword: 'enum', instancePath: '/state', message: 'must be equal to one of the allowed values', params: { allowedValues: ['a', 'b'] } },
      ],
      'querystring',
    ),
    'querystring/mode must be equal to constant; querystring/state must be one of: a, b',
  );
});

t.test('the OpenAPI document still lists every enum', async (t) => {
  const doc = (await http.inject({ method: 'GET', url: '/docs/json' })).json();
  const body = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema.properties;
  t.match(body('/api/admin/piles/{pileNo}/status', 'post').status, { type: 'string', enum: ['on', 'off', 'fault', 'repair'] });
  t.match(body('/api/admin/clock', 'put').mode, { type: 'string', enum: ['real', 'scaled', 'manual'] });
  t.match(body('/api/admin/stations/{stationId}/config', 'put'), {
    faultPolicy: { type: 'string', enum: ['priority', 'time-order'] },
    dispatchMode: { type: 'string', enum: ['default', 'single-min-total', 'batch-min-total'] },
  });
  t.match(body('/api/queue/requests', 'post').mode, { type: 'string', enum: ['fast', 'slow'] });
});

t.test("the docs say what each chargedKwh counts: the user's whole request, the board's current session", async (t) => {
  const doc = (await http.inject({ method: 'GET', url: '/docs/json' })).json();
  const data = (path: string, method: string) => doc.paths[path][method].responses['200'].content['application/json'].schema.properties.data;
  const current = data('/api/queue/requests/current', 'get').properties;
  t.match(current.chargedKwh.description, /whole request.*all its sessions.*board.*current session only/s);
  t.match(current.feeYuan.description, /whole request/);
  const cell = data('/api/admin/stations/{stationId}/board', 'get').properties.waitingArea.items.properties;
  t.match(cell.chargedKwh.description, /current session only.*\/api\/queue\/requests\/current.*whole request/s);
  t.match(cell.feeYuan.description, /current session/);
  t.match(cell.remainingKwh.description, /whole request/);
  const pileCell = data('/api/admin/stations/{stationId}/board', 'get').properties.piles.items.properties.queue.items.properties;
  t.equal(pileCell.chargedKwh.description, cell.chargedKwh.description, 'the same on every board cell');
});

t.test('the OpenAPI document tags every operation with its document: 004 for /api', async (t) => {
  const doc = (await http.inject({ method: 'GET', url: '/docs/json' })).json() as { tags: { name: string }[]; paths: Record<string, Record<string, { tags?: string[] }>> };
  t.same(doc.tags.map((tag) => tag.name), ['000', '001', '002', '003', '004']);
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  t.ok(operations.length > 20, 'every route is described');
  // the document of a path is the dialect owning its prefix (core/dialects.ts), the tag its number
  for (const { path, method, op } of operations) t.same(op.tags, [dialectOfUrl(path).slice(1)], `${method} ${path}`);
});

// Which dialect owns a URL (core/dialects.ts), and that the answers given outside every dialect's plugin (fastify's
// refusals before routing) take the shape of the dialect owning the URL's prefix.
import t from 'tap';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_DIALECT, DIALECT_PREFIXES, dialectOfUrl, failureBody, FAILURE_BODIES } from '../../src/core/dialects.js';
import { DIALECTS, toDialectError } from '../../src/core/errors.js';
import { frameworkErrors, MAX_PARAM_LENGTH } from '../../src/edge.js';

t.test('prefixes: whole segments, the longest wins, 004 for a path no dialect owns', async (t) => {
  t.equal(dialectOfUrl('/api/orders?pageNum=1'), 'd004');
  t.equal(dialectOfUrl('/api'), 'd004');
  t.equal(dialectOfUrl('/apix/orders'), DEFAULT_DIALECT, 'a prefix is a whole path segment');
  t.equal(dialectOfUrl('/nowhere'), 'd004');
  t.equal(dialectOfUrl('/user/charge/apply'), 'd000', "000's charge calls under /user");
  t.equal(dialectOfUrl('/user/charge?token=x'), 'd001', "001's socket: an exact path inside 000's /user");
  t.equal(dialectOfUrl('/user/log?num=3'), 'd001');
  t.equal(dialectOfUrl('/user/log/get'), 'd000', 'an exact entry does not own the paths below it');
  t.equal(dialectOfUrl('/admin/charge/queue'), 'd003', 'the longest prefix wins');
  t.equal(dialectOfUrl('/admin/index/manage'), 'd002');
  const table = [...DIALECT_PREFIXES, { prefix: '/v', dialect: 'd001' as const }];
  t.equal(dialectOfUrl('/v/x', table), 'd001', 'one entry makes a dialect own its prefix');
  t.equal(dialectOfUrl('/api/user/info', table), 'd004');
});

t.test('every dialect has a failure envelope', async (t) => {
  t.same(Object.keys(FAILURE_BODIES).sort(), [...DIALECTS].sort());
  const answer = { status: 400, code: 3005, message: 'full', reason: 'WAITING_AREA_FULL' };
  t.same(failureBody('d004', answer), { code: 3005, message: 'full', data: { reason: 'WAITING_AREA_FULL' } });
  t.same(failureBody('d000', toDialectError('d000', new Error('x'))), { code: -1, msg: 'internal error' });
});

/** A reply that records what frameworkErrors sends. */
function fakeReply() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    code(status: number) { sent.status = status; return reply; },
    header(name: string, value: string) { sent.headers[name] = value; return reply; },
    send(body: unknown) { sent.body = body; return reply; },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

t.test("a framework refusal under /api gets 004's shape", async (t) => {
  const tooLong = Object.assign(new Error('too long'), { code: 'FST_ERR_MAX_PARAM_LENGTH' }) as FastifyError;
  const a = fakeReply();
  frameworkErrors(tooLong, { url: `/api/order/${'x'.repeat(3000)}` } as FastifyRequest, a.reply);
  t.same(a.sent, {
    status: 414,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: { code: 9001, message: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`, data: null },
  });
  const badUrl = Object.assign(new Error('bad url'), { code: 'FST_ERR_BAD_URL' }) as FastifyError;
  const b = fakeReply();
  frameworkErrors(badUrl, { url: '/api/order/%zz' } as FastifyRequest, b.reply);
  t.same(b.sent.body, { code: 9001, message: 'the path is not a valid URL: a malformed %-escape', data: null });
  t.equal(b.sent.status, 400);
});

// The error table on its own (core/errors.ts): domain codes -> every dialect's answer (004: HTTP status + business code). A scheduler
// rebuilding its live state after a Redis loss refuses with REBUILDING: the gateway answers a clear, retryable 503
// with its own business code (never the generic 500 9999).
import t from 'tap';
import { DomainError, type DomainErrorDetails } from '@voltq/kit';
import { ERROR_CODES } from '@voltq/contracts';
import { DIALECTS, ERROR_TABLE, PLATFORM_CODES, toApiError, toDialectError } from '../../src/core/errors.js';

t.test('REBUILDING is a 503 with code 9007 and a message that says to retry', async (t) => {
  const answer = toApiError(new DomainError('REBUILDING', 'internal words'), 'station');
  t.same(answer, {
    status: 503,
    code: PLATFORM_CODES.rebuilding,
    message: 'the station is being rebuilt after a cache loss, please retry in a few seconds',
  });
  t.equal(PLATFORM_CODES.rebuilding, 9007);
});

t.test('error table: domain codes -> HTTP status + 004 business code', async (t) => {
  const map = (code: ConstructorParameters<typeof DomainError>[0], route?: Parameters<typeof toApiError>[1], details?: DomainErrorDetails) =>
    toApiError(new DomainError(code, `msg ${code}`, details), route);
  t.same(map('CONFLICT', 'register'), { status: 400, code: 1003, message: 'msg CONFLICT' });
  t.same(map('UNAUTHORIZED', 'login'), { status: 401, code: 1002, message: 'msg UNAUTHORIZED' });
  t.same(map('UNAUTHORIZED'), { status: 401, code: 9002, message: 'msg UNAUTHORIZED' });
  t.same(map('FORBIDDEN'), { status: 403, code: 9003, message: 'msg FORBIDDEN' });
  t.equal(map('NOT_FOUND', 'order').code, 3001);
  t.equal(map('NOT_FOUND', 'user').code, 1001);
  t.equal(map('NOT_FOUND', 'pile').code, 2002);
  t.equal(map('NOT_FOUND', 'order', { resource: 'station' }).code, 2001, "the thrower's resource wins");
  t.equal(map('NOT_FOUND', 'pile', { resource: 'station' }).code, 2001, "an unknown station on a pile route is the station's 2001, not the pile's 2002");
  t.notOk('diagnostic' in map('UNAVAILABLE', 'order', { diagnostic: { error: 'channel closed' } }), 'a diagnostic never reaches the client');
  t.notOk('reason' in map('INTERNAL', 'order', { reason: 'SECRET' }), 'no reason on a 5xx');
  t.equal(map('NOT_FOUND', 'bill').status, 404);
  t.same(map('WAITING_AREA_FULL', 'order'), { status: 400, code: 3005, message: 'msg WAITING_AREA_FULL' });
  t.equal(map('NOT_MODIFIABLE', 'order').code, 3002);
  t.same(map('NOT_MODIFIABLE', 'order', { reason: 'NOT_IN_WAITING_AREA' }),
    { status: 400, code: 3002, message: 'msg NOT_MODIFIABLE', reason: 'NOT_IN_WAITING_AREA' }, "the station's refusal reason is kept");
  t.notOk('reason' in map('INTERNAL', undefined, { reason: 'SECRET' }), 'never on a 5xx');
  t.equal(map('PILE_STATE', 'pile').code, 5001);
  t.same(map('INTERNAL'), { status: 500, code: 9999, message: 'internal error' }, 'no internal detail leaks');
  t.equal(map('TIMEOUT').status, 500);
  t.equal(map('VALIDATION').status, 400);
  t.same(toApiError(new Error('db password is hunter2')), { status: 500, code: 9999, message: 'internal error' });
  t.same(toApiError(Object.assign(new Error('body/energyKwh must be number'), { statusCode: 400, validation: [] })), {
    status: 400,
    code: 9001,
    message: 'body/energyKwh must be number',
  });
  t.same(toApiError(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })), {
    status: 415,
    code: 9001,
    message: 'unsupported media type: send the body as application/json',
  }, "a framework refusal keeps its own 4xx status");
  t.same(toApiError(Object.assign(new Error('Request body is too large'), { statusCode: 413 })), { status: 413, code: 9001, message: 'Request body is too large' });
});

t.test('the table has every dialect\'s column for every domain code (the type makes a missing one a compile error)', async (t) => {
  for (const code of ERROR_CODES) {
    const row = ERROR_TABLE[code];
    t.ok(row, `${code} has a row`);
    t.same(Object.keys(row).sort(), [...DIALECTS].sort(), `${code}: one column per dialect`);
    for (const dialect of DIALECTS) {
      const rule = row[dialect];
      t.ok(Number.isInteger(rule.status), `${code} ${dialect}: an HTTP status`);
      t.ok(typeof rule.code === 'number' || rule.code.default !== undefined || dialect === 'd004', `${code} ${dialect}: a code`);
    }
  }
  t.same(Object.keys(ERROR_TABLE).sort(), [...ERROR_CODES].sort(), 'no row for a code the contracts do not have');
});

t.test('000, 001 and 003 refuse with -1; 002 with a non-zero code; all with HTTP 200 and no internal detail', async (t) => {
  for (const code of ERROR_CODES) {
    const err = new DomainError(code, `msg ${code}`);
    for (const dialect of ['d000', 'd001', 'd003'] as const) t.match(toDialectError(dialect, err), { status: 200, code: -1 }, `${dialect} ${code}`);
    const d002 = toDialectError('d002', err);
    t.equal(d002.status, 200);
    t.not(d002.code, 0, `d002 ${code}: non-zero`);
  }
  t.equal(toDialectError('d002', new DomainError('CONFLICT', 'taken'), 'register').code, -1, "002's refused registration is -1");
  t.same(toDialectError('d000', new Error('db password is hunter2')), { status: 200, code: -1, message: 'internal error' });
  t.same(toDialectError('d001', Object.assign(new Error('x'), { statusCode: 413, message: 'Request body is too large' })),
    { status: 200, code: -1, message: 'Request body is too large' }, 'a framework refusal in the dialect\'s shape');
});

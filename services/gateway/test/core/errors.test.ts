// The error table on its own (errors.ts): domain codes -> HTTP status + document 004's business code. A scheduler
// rebuilding its live state after a Redis loss refuses with REBUILDING: the gateway answers a clear, retryable 503
// with its own business code (never the generic 500 9999).
import t from 'tap';
import { DomainError, type DomainErrorDetails } from '@voltq/kit';
import { PLATFORM_CODES, toApiError } from '../../src/core/errors.js';

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

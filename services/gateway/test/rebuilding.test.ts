// A scheduler rebuilding its live state after a Redis loss refuses with REBUILDING: the gateway answers a clear,
// retryable 503 with its own business code (never the generic 500 9999).
import t from 'tap';
import { DomainError } from '@voltq/kit';
import { PLATFORM_CODES, toApiError } from '../src/errors.js';

t.test('REBUILDING is a 503 with code 9007 and a message that says to retry', async (t) => {
  const answer = toApiError(new DomainError('REBUILDING', 'internal words'), 'station');
  t.same(answer, {
    status: 503,
    code: PLATFORM_CODES.rebuilding,
    message: 'the station is being rebuilt after a cache loss, please retry in a few seconds',
  });
  t.equal(PLATFORM_CODES.rebuilding, 9007);
});

// The token subjects' existence check on its own: the bounded LRU cache with its TTL, and the verifier that
// refuses a signed token whose account is gone or has another role.
import t from 'tap';
import type { PrincipalResult } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { Principal } from '../../src/core/jwt.js';
import { LiveTokenVerifier, PrincipalCache } from '../../src/core/principals.js';

function setup(ttlMs = 30_000, maxEntries = 3) {
  let now = 1_000_000;
  const accounts = new Map<string, PrincipalResult>([
    ['1', { userId: '1', exists: true, role: 'admin' }],
    ['2', { userId: '2', exists: true, role: 'user' }],
  ]);
  const asked: string[] = [];
  let failing = false;
  const cache = new PrincipalCache({
    lookup: async (userId) => {
      asked.push(userId);
      if (failing) throw new DomainError('TIMEOUT', 'auth.principal timed out');
      return accounts.get(userId) ?? { userId, exists: false };
    },
    ttlMs,
    maxEntries,
    now: () => now,
  });
  return { cache, accounts, asked, tick: (ms: number) => (now += ms), fail: (on: boolean) => (failing = on) };
}

t.test('answers are reused for the TTL, then asked again', async (t) => {
  const { cache, accounts, asked, tick } = setup();
  t.same(await cache.get('2'), { userId: '2', exists: true, role: 'user' });
  await cache.get('2');
  tick(29_999);
  await cache.get('2');
  t.same(asked, ['2'], 'one lookup within the TTL');
  accounts.delete('2');
  tick(1);
  t.same(await cache.get('2'), { userId: '2', exists: false }, 'a deleted user is seen once the TTL is over');
  t.same(asked, ['2', '2']);
});

t.test('concurrent requests share one lookup; a failed lookup is not kept', async (t) => {
  const { cache, asked, fail } = setup();
  await Promise.all([cache.get('1'), cache.get('1'), cache.get('1')]);
  t.same(asked, ['1']);
  fail(true);
  await t.rejects(cache.get('9'), { code: 'TIMEOUT' });
  fail(false);
  t.same(await cache.get('9'), { userId: '9', exists: false });
  t.same(asked, ['1', '9', '9'], 'asked again after the failure');
});

t.test('bounded: the least recently used id goes first', async (t) => {
  const { cache, asked } = setup(30_000, 2);
  await cache.get('1');
  await cache.get('2');
  await cache.get('1'); // 1 is now the most recent
  await cache.get('3'); // evicts 2
  t.equal(cache.size, 2);
  await cache.get('1');
  await cache.get('2');
  t.same(asked, ['1', '2', '3', '2']);
});

t.test('TTL 0 asks every time; forget drops an id at once', async (t) => {
  const none = setup(0);
  await none.cache.get('1');
  await none.cache.get('1');
  t.same(none.asked, ['1', '1']);
  t.equal(none.cache.size, 0);
  const some = setup();
  await some.cache.get('2');
  some.cache.forget('2');
  await some.cache.get('2');
  t.same(some.asked, ['2', '2']);
});

t.test('LiveTokenVerifier: a signed token counts only while its account exists with that role', async (t) => {
  const { cache, accounts } = setup(0);
  const claims = new Map<string, Principal>([
    ['user-2', { userId: '2', role: 'user' }],
    ['admin-1', { userId: '1', role: 'admin' }],
    ['ghost', { userId: '999999', role: 'user' }],
    ['ghost-admin', { userId: '999998', role: 'admin' }],
    ['user-2-as-admin', { userId: '2', role: 'admin' }],
  ]);
  const tokens = {
    verify: async (token: string) => {
      const who = claims.get(token);
      if (!who) throw new DomainError('UNAUTHORIZED', 'invalid token');
      return who;
    },
  };
  const verifier = new LiveTokenVerifier(tokens, cache);
  t.same(await verifier.verify('user-2'), { userId: '2', role: 'user' });
  t.same(await verifier.verify('admin-1'), { userId: '1', role: 'admin' });
  for (const token of ['ghost', 'ghost-admin', 'user-2-as-admin', 'garbage']) {
    await t.rejects(verifier.verify(token), { code: 'UNAUTHORIZED' }, token);
  }
  accounts.set('1', { userId: '1', exists: true, role: 'user' });
  await t.rejects(verifier.verify('admin-1'), { code: 'UNAUTHORIZED' }, 'a demoted admin');
  accounts.delete('2');
  await t.rejects(verifier.verify('user-2'), { code: 'UNAUTHORIZED' }, 'a deleted user');
});

// The profile allow-list without servers (issue 8, defect 1): only document 004's fields, each with its type.
import t from 'tap';
import { profileUpdate } from '../../src/domain/profile.js';

t.test('profileUpdate picks exactly the document 004 fields', async (t) => {
  t.same(profileUpdate({ userId: '1', nickname: 'n', avatar: 'a', gender: 1, country: 'c', province: 'p', city: 'x', language: 'zh', role: 'admin', username: 'u' }), {
    nickname: 'n', avatar: 'a', gender: 1, country: 'c', province: 'p', city: 'x', language: 'zh',
  });
  t.same(profileUpdate({ userId: '1' }), {});
  t.throws(() => profileUpdate({ gender: 7 }), { code: 'VALIDATION' });
  t.throws(() => profileUpdate({ city: 5 }), { code: 'VALIDATION' });
});

t.test('profileUpdate takes an e-mail only in e-mail form', async (t) => {
  t.same(profileUpdate({ email: 'a.b@example.org', username: 'x' }), { email: 'a.b@example.org' });
  for (const email of ['no-at', 'a@b', 'a b@c.de', 5, { $ne: '' }]) {
    t.throws(() => profileUpdate({ email }), { code: 'VALIDATION' }, JSON.stringify(email));
  }
});

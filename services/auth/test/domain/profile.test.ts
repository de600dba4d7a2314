// The profile and car allow-lists without servers (issue 8, defect 1; issue 10): only PROFILE_FIELDS (004's seven
// and email) and a car's plate and capacity, each with its type.
import t from 'tap';
import { carUpdate, profileUpdate } from '../../src/domain/profile.js';

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

t.test('carUpdate picks plate and capacityWms only, each with its type', async (t) => {
  t.same(carUpdate({ userId: '1', carId: 'c', plate: 'ZJ-1', capacityWms: 5, createdAt: 1 }), { plate: 'ZJ-1', capacityWms: 5 });
  t.same(carUpdate({}), {});
  t.throws(() => carUpdate({ plate: '' }), { code: 'VALIDATION' });
  t.throws(() => carUpdate({ capacityWms: -1 }), { code: 'VALIDATION' });
  t.throws(() => carUpdate({ capacityWms: '5' }), { code: 'VALIDATION' });
});

// Form bodies (core/form.ts): fields as text, a repeated field refused (400 through the dialect's envelope).
import t from 'tap';
import { parseForm } from '../../src/core/form.js';

t.test('form text -> fields; a field given twice is refused', async (t) => {
  t.same(parseForm('username=ann&password=p%20w%3D1&quantity=10.5'), { username: 'ann', password: 'p w=1', quantity: '10.5' });
  t.same(parseForm(''), {});
  t.throws(() => parseForm('a=1&a=2'), { statusCode: 400, message: 'form field "a" given twice' });
});

// Pile secret derivation: stable per (master key, pile id), different for every other pair.
import t from 'tap';
import { derivePileSecret } from '../src/secrets.js';

t.test('secrets: derivation is stable', async (t) => {
  const s1 = derivePileSecret('master', 'default-F1');
  t.equal(s1, derivePileSecret('master', 'default-F1'));
  t.not(s1, derivePileSecret('master', 'default-F2'));
  t.not(s1, derivePileSecret('other', 'default-F1'));
  t.match(s1, /^[0-9a-f]{64}$/);
});

// Stored pile credentials: a scrypt hash verifies only the secret it was made from.
import t from 'tap';
import { derivePileSecret } from '@voltq/pile-sim';
import { hashSecret, verifySecret } from '../src/secrets.js';

t.test('secrets: hashes verify only the right secret', async (t) => {
  const s1 = derivePileSecret('master', 'default-F1');
  const hash = await hashSecret(s1);
  t.notMatch(hash, s1, 'the hash does not contain the secret');
  t.equal(await verifySecret(s1, hash), true);
  t.equal(await verifySecret(s1 + 'x', hash), false);
  t.equal(await verifySecret(s1, 'plain-text'), false);
});

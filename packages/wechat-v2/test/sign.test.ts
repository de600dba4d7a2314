// The v2 signature rule, checked against a signature computed here by hand from the documented rule.
import { createHmac } from 'node:crypto';
import t from 'tap';
import { nonceStr, sign, signed, signingString, verifySignature } from '../src/sign.js';

const key = '192006250b4c09247ec02edce69f6a2d';
const params = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };

t.test('known answer: sorted non-empty params, &key=, HMAC-SHA256 with the key, upper-case hex', async (t) => {
  // written out by hand in ASCII order of the names
  const text = 'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA';
  const expected = createHmac('sha256', key).update(`${text}&key=${key}`).digest('hex').toUpperCase();
  t.equal(signingString(params), text);
  t.equal(sign(params, key), expected);
  // the value the v2 documentation gives for this example
  t.equal(sign(params, key), '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
});

t.test('empty values and an existing sign take no part; numbers sign as their decimal text', async (t) => {
  const base = sign({ ...params, total_fee: 1 }, key);
  t.equal(sign({ ...params, total_fee: '1', attach: '', detail: undefined, sign: 'WHATEVER' }, key), base);
  t.not(sign({ ...params, total_fee: 2 }, key), base);
  t.not(sign(params, 'another-key'), sign(params, key));
});

t.test('names sort by ASCII: upper case before lower case, _ between', async (t) => {
  t.equal(signingString({ b: '1', B: '2', a_b: '3', ab: '4', a: '5' }), 'B=2&a=5&a_b=3&ab=4&b=1');
});

t.test('verify: a signed set verifies; any tampering does not', async (t) => {
  const s = signed({ ...params, total_fee: 100 }, key);
  t.equal(s.sign_type, 'HMAC-SHA256');
  t.ok(verifySignature(s, key));
  t.ok(verifySignature({ ...s, sign: s.sign.toLowerCase() }, key), 'hex case does not matter');
  t.notOk(verifySignature({ ...s, total_fee: 101 }, key), 'amount changed');
  t.notOk(verifySignature({ ...s, attach: 'x' }, key), 'parameter added');
  t.notOk(verifySignature(s, 'wrong-key'), 'other key');
  t.notOk(verifySignature({ ...s, sign: undefined }, key), 'no sign');
  t.notOk(verifySignature({ ...s, sign: 'ABC' }, key), 'malformed sign');
  t.notOk(verifySignature({ ...s, sign_type: 'MD5', sign: sign({ ...s, sign_type: 'MD5' }, key) }, key), 'not HMAC-SHA256');
});

t.test('nonce_str: 32 alphanumerics, different each time', async (t) => {
  const a = nonceStr();
  t.match(a, /^[A-Za-z0-9]{32}$/);
  t.not(a, nonceStr());
});

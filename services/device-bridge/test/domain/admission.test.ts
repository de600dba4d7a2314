// The admission bucket: a burst of perSecond connections, then perSecond a second; refused ones take nothing.
import t from 'tap';
import { AdmissionBucket } from '../../src/domain/admission.js';

t.test('a burst of perSecond, the next refused in the same second, one more per 1/perSecond s', async (t) => {
  const b = new AdmissionBucket(2, 0);
  t.same([b.take(0), b.take(1), b.take(2)], [true, true, false], 'the third in the same second is refused');
  t.notOk(b.take(400), 'a token is 500 ms');
  t.ok(b.take(501));
  t.notOk(b.take(502));
});

t.test('idle time refills at most a burst; a clock going back refills nothing', async (t) => {
  const b = new AdmissionBucket(3, 0);
  const takes = (nowMs: number, n: number) => Array.from({ length: n }, () => b.take(nowMs)).filter(Boolean).length;
  t.equal(takes(0, 5), 3);
  t.equal(takes(60_000, 10), 3, 'a minute idle is still one burst');
  t.equal(takes(10_000, 5), 0, 'time going back');
  t.throws(() => new AdmissionBucket(0, 0), RangeError);
});

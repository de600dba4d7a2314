// JSON-lines framing over TCP.
import t from 'tap';
import { LineSplitter } from '../src/framing.js';

t.test('framing: lines, CRLF, split chunks, multi-byte characters, over-long lines', async (t) => {
  const f = new LineSplitter(32);
  t.same(f.push('{"a":1}\r\n{"b"'), [{ line: '{"a":1}' }]);
  t.same(f.push(':2}\n\n'), [{ line: '{"b":2}' }]);
  const euro = Buffer.from('"€"\n');
  t.same([...f.push(euro.subarray(0, 2)), ...f.push(euro.subarray(2))], [{ line: '"€"' }], 'a character split across chunks');
  t.same(f.push('x'.repeat(40) + '\n{"ok":1}\n'), [{ tooLong: true }, { line: '{"ok":1}' }]);
  t.same(f.push('y'.repeat(40)), [{ tooLong: true }], 'an unterminated long line is reported at once');
  t.same(f.push('y'.repeat(40)), [], '... once');
  t.same(f.push('yy\n{"next":1}\n'), [{ line: '{"next":1}' }], 'and dropped up to its end');
});

// The edge's pure part on its own (edge.ts): how deep a JSON body nests, counted before it is parsed.
import t from 'tap';
import { jsonDepth } from '../src/edge.js';

t.test('jsonDepth counts nesting outside strings only', async (t) => {
  t.equal(jsonDepth('1'), 0);
  t.equal(jsonDepth('{}'), 1);
  t.equal(jsonDepth('{"a":[1,{"b":[]}],"c":{}}'), 4);
  t.equal(jsonDepth('{"a":"[[[[{{{{"}'), 1, 'brackets in a string do not count');
  t.equal(jsonDepth('{"a":"\\"[[[[","b":"\\\\"}'), 1, 'escaped quotes do not end the string, an escaped backslash does not escape');
  t.equal(jsonDepth('[[]][[[]]]'), 3, 'the deepest point, not the sum');
  t.equal(jsonDepth('['.repeat(1000), 64), 65, 'stops counting once over the limit');
});

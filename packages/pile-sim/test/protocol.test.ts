// Parsing the pile's messages: malformed, unknown and invalid ones get clear errors.
import t from 'tap';
import { parsePileMessage } from '../src/protocol.js';

t.test('parsing: malformed, unknown and invalid messages get clear errors', async (t) => {
  const notJson = parsePileMessage('{"type":"login",');
  t.match(notJson, { ok: false, code: 'MALFORMED', message: /not valid JSON/ });
  t.match(parsePileMessage('[1,2]'), { ok: false, code: 'MALFORMED', message: /JSON object/ });
  t.match(parsePileMessage('{"pileId":"x"}'), { ok: false, code: 'INVALID', message: /missing "type"/ });
  t.match(parsePileMessage('{"type":"reboot","id":"7"}'), { ok: false, code: 'UNKNOWN_TYPE', id: '7', message: /reboot.*heartbeat/ });
  const bad = parsePileMessage('{"type":"meter","id":"m1","energyWms":-5}');
  t.match(bad, { ok: false, code: 'INVALID', id: 'm1', message: /invalid meter message: \/energyWms/ });
  const badState = parsePileMessage('{"type":"status","state":"exploded"}');
  t.match(badState, { ok: false, code: 'INVALID', message: /\/state/ });
  const noSecret = parsePileMessage('{"type":"login","pileId":"default-F1"}');
  t.match(noSecret, { ok: false, code: 'INVALID', message: /\/secret/ });
  t.match(parsePileMessage('{"type":"fault","reason":"overheat","errorCode":"E12"}'), { ok: true, msg: { type: 'fault', reason: 'overheat' } });
});

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

t.test('parsing: the messages of piles with ports', async (t) => {
  t.match(parsePileMessage('{"type":"login","deviceId":"860000000000001","secret":"s"}'), { ok: true, msg: { deviceId: '860000000000001' } });
  t.match(parsePileMessage('{"type":"status","portNo":2,"state":"finishing"}'), { ok: true, msg: { portNo: 2, state: 'finishing' } });
  t.match(parsePileMessage('{"type":"status","portNo":0,"state":"idle"}'), { ok: false, code: 'INVALID', message: /\/portNo/ }, 'ports count from 1');
  t.match(
    parsePileMessage('{"type":"meter","portNo":1,"energyWms":36000000,"powerW":7000,"voltageV":220.5,"currentA":31.8,"temperatureC":41.2}'),
    { ok: true, msg: { portNo: 1, voltageV: 220.5, currentA: 31.8, temperatureC: 41.2 } },
  );
  t.match(parsePileMessage('{"type":"meter","portNo":1,"energyWms":1.5}'), { ok: false, code: 'INVALID', message: /\/energyWms/ }, 'the register is whole Wms');
  t.match(parsePileMessage('{"type":"card.start","id":"c","portNo":1,"cardId":"CARD-7","energyWms":0}'), { ok: true, msg: { type: 'card.start', cardId: 'CARD-7' } });
  t.match(parsePileMessage('{"type":"card.start","portNo":1,"cardId":"a card with spaces","energyWms":0}'), { ok: false, code: 'INVALID', message: /\/cardId/ });
  t.match(parsePileMessage('{"type":"session.stopped","portNo":1,"sessionId":"s1","energyWms":9,"reason":"full"}'), { ok: true, msg: { reason: 'full' } });
  t.match(parsePileMessage('{"type":"session.stopped","portNo":1,"sessionId":"s1","energyWms":9,"reason":"bored"}'), { ok: false, code: 'INVALID', message: /\/reason/ });
  t.match(
    parsePileMessage('{"type":"command.ack","commandId":"c1","accepted":true,"meterWms":720,"data":{"status":"Accepted","configurationKey":[]}}'),
    { ok: true, msg: { meterWms: 720, data: { status: 'Accepted' } } },
  );
  t.match(parsePileMessage('{"type":"command.ack","commandId":"c1","accepted":true,"data":[1]}'), { ok: false, code: 'INVALID', message: /\/data/ });
});

// Pure parts: protocol parsing, the session state machine, TCP framing, pile secrets, simulator arguments.
import t from 'tap';
import { LineSplitter } from '../src/framing.js';
import { parsePileMessage } from '../src/protocol.js';
import { derivePileSecret, hashSecret, verifySecret } from '../src/secrets.js';
import { PileSession, type Effect } from '../src/session.js';
import { parseDuration, parseSimArgs } from '../src/sim/args.js';
import { parseSeedList } from '../src/devices.js';

const opts = { heartbeatIntervalMs: 1000, heartbeatMisses: 3, loginTimeoutMs: 5000 };
const identity = { pileId: 'default-F1', stationId: 'default', pileNo: 'F1' };
const sent = (effects: Effect[]) => effects.filter((e) => e.kind === 'send').map((e) => (e as Extract<Effect, { kind: 'send' }>).msg);
const kinds = (effects: Effect[]) => effects.map((e) => e.kind);

function online(): PileSession {
  const s = new PileSession('ws', opts, 0);
  s.receive(JSON.stringify({ type: 'login', pileId: 'default-F1', secret: 'x' }), 0);
  s.loginAccepted(identity, 0);
  return s;
}

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

t.test('session: nothing but login before login; login then online', async (t) => {
  const s = new PileSession('tcp', opts, 0);
  const early = s.receive('{"type":"heartbeat","id":"h1"}', 10);
  t.same(sent(early), [{ type: 'error', code: 'NOT_LOGGED_IN', message: 'log in first: "heartbeat" refused before login', id: 'h1' }]);
  t.equal(s.phase, 'connected', 'a refused message changes nothing');
  t.match(sent(s.receive('nonsense', 10)), [{ code: 'MALFORMED' }]);

  const login = s.receive(JSON.stringify({ type: 'login', id: 'l', pileId: 'default-F1', secret: 's3cret' }), 20);
  t.same(login, [{ kind: 'authenticate', pileId: 'default-F1', secret: 's3cret', id: 'l' }]);
  t.equal(s.phase, 'authenticating');
  t.match(sent(s.receive(JSON.stringify({ type: 'login', pileId: 'default-F1', secret: 's' }), 30)), [{ code: 'ALREADY_LOGGED_IN' }]);

  s.loginAccepted(identity, 40);
  t.equal(s.phase, 'online');
  t.same(s.receive('{"type":"heartbeat","id":"h2"}', 50), [{ kind: 'heartbeat', id: 'h2' }]);
  t.same(s.receive('{"type":"fault","reason":"overheat"}', 60), [{ kind: 'fault', reason: 'overheat' }]);
  t.same(s.receive('{"type":"recovered"}', 70), [{ kind: 'recovered' }]);
  t.same(s.receive('{"type":"meter","energyWms":3600000,"powerW":7000}', 80), [{ kind: 'meter', meter: { energyWms: 3600000, powerW: 7000 } }]);
  t.match(sent(s.receive(JSON.stringify({ type: 'login', pileId: 'default-F1', secret: 's' }), 90)), [{ code: 'ALREADY_LOGGED_IN' }]);
  t.same(kinds(s.receive('{"type":"logout"}', 100)), ['logout', 'close']);
  t.equal(s.phase, 'closed');
  t.same(s.receive('{"type":"heartbeat"}', 110), [], 'nothing after close');
});

t.test('session: refused login answers AUTH_FAILED and closes', async (t) => {
  const s = new PileSession('ws', opts, 0);
  s.receive(JSON.stringify({ type: 'login', id: 'l1', pileId: 'default-F9', secret: 'nope' }), 0);
  const effects = s.loginRefused('l1');
  t.same(sent(effects), [{ type: 'error', code: 'AUTH_FAILED', message: 'unknown pile or wrong secret', id: 'l1' }]);
  t.same(effects.at(-1), { kind: 'close', reason: 'auth-failed' });
  t.equal(s.phase, 'closed');
});

t.test('session: heartbeat loss after misses x interval; any message keeps the pile alive', async (t) => {
  const s = online();
  t.same(s.tick(2900), [], 'within 3 intervals');
  s.receive('{"type":"status","state":"idle"}', 2900);
  t.same(s.tick(5800), [], 'the status message counted as a sign of life');
  s.receive('not json', 5800);
  const lost = s.tick(5901);
  t.match(sent(lost), [{ code: 'HEARTBEAT_TIMEOUT' }], 'a malformed message is not a sign of life');
  t.same(lost.at(-1), { kind: 'close', reason: 'heartbeat-timeout' });
  t.same(s.tick(9999), [], 'reported once');

  const idle = new PileSession('ws', opts, 0);
  t.same(idle.tick(5000), []);
  t.same(idle.tick(5001).at(-1), { kind: 'close', reason: 'login-timeout' });
});

t.test('session: commands reach only an online pile', async (t) => {
  const cmd = { commandId: 'c1', pileId: 'default-F1', action: 'start' as const, sessionId: 'o1#1', powerW: 30000 };
  t.equal(new PileSession('ws', opts, 0).command(cmd), undefined);
  const s = online();
  t.same(sent(s.command(cmd)!), [{ type: 'start', commandId: 'c1', sessionId: 'o1#1', powerW: 30000 }]);
  t.same(sent(s.replaced()), [{ type: 'error', code: 'REPLACED', message: 'this pile logged in on another connection' }]);
  t.equal(s.command(cmd), undefined);
});

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

t.test('secrets: derivation is stable, hashes verify only the right secret', async (t) => {
  const s1 = derivePileSecret('master', 'default-F1');
  t.equal(s1, derivePileSecret('master', 'default-F1'));
  t.not(s1, derivePileSecret('master', 'default-F2'));
  t.not(s1, derivePileSecret('other', 'default-F1'));
  t.match(s1, /^[0-9a-f]{64}$/);
  const hash = await hashSecret(s1);
  t.notMatch(hash, s1, 'the hash does not contain the secret');
  t.equal(await verifySecret(s1, hash), true);
  t.equal(await verifySecret(s1 + 'x', hash), false);
  t.equal(await verifySecret(s1, 'plain-text'), false);
});

t.test('seed list and simulator arguments', async (t) => {
  t.same(parseSeedList('default-F1, north-yard-T2,'), [
    { pileId: 'default-F1', stationId: 'default', pileNo: 'F1' },
    { pileId: 'north-yard-T2', stationId: 'north-yard', pileNo: 'T2' },
  ]);
  t.throws(() => parseSeedList('F1'), /not <stationId>-<pileNo>/);

  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('5'), 5000);
  t.throws(() => parseDuration('soon'));

  const plan = parseSimArgs([], { PILE_TCP_PORT: '9200' });
  t.same(plan.piles.map((p) => `${p.pileId}/${p.door}`), ['default-F1/ws', 'default-F2/tcp', 'default-T1/ws', 'default-T2/tcp', 'default-T3/ws']);
  t.same(plan.tcp, { host: '127.0.0.1', port: 9200 });
  t.equal(plan.wsUrl, 'ws://127.0.0.1:8085/piles');

  const custom = parseSimArgs(['--station', 's2', '--piles', 'F1,T1', '--door', 'tcp', '--tcp', '10.0.0.5:9100', '--fault', 'F1@30s', '--recover', 'F1@2m'], {
    DEVICE_BRIDGE_URL: 'ws://bridge:8085/piles',
  });
  t.same(custom.piles, [
    { pileNo: 'F1', pileId: 's2-F1', door: 'tcp' },
    { pileNo: 'T1', pileId: 's2-T1', door: 'tcp' },
  ]);
  t.equal(custom.wsUrl, 'ws://bridge:8085/piles');
  t.same(custom.faults, [{ pileNo: 'F1', atMs: 30_000 }]);
  t.same(custom.recoveries, [{ pileNo: 'F1', atMs: 120_000 }]);
  t.throws(() => parseSimArgs(['--door', 'udp']), /--door udp/);
  t.throws(() => parseSimArgs(['--fault', 'F9@1s']), /F9 is not simulated/);
  t.throws(() => parseSimArgs(['--bogus']));
});

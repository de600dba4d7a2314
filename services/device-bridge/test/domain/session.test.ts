// The pile connection's state machine (pure: time passed in, effects out).
import t from 'tap';
import { PileSession, type Effect } from '../../src/domain/session.js';

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

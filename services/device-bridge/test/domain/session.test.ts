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

function onlineWithPorts(ports: number): PileSession {
  const s = new PileSession('tcp', opts, 0);
  s.receive(JSON.stringify({ type: 'login', deviceId: 'IMEI-1', secret: 'x' }), 0);
  s.loginAccepted({ pileId: 'park-P1', stationId: 'park', pileNo: 'P1' }, 0, { deviceId: 'IMEI-1', ports });
  return s;
}

t.test('session: a device logs in with its device id; port messages become port effects', async (t) => {
  const s = new PileSession('ws', opts, 0);
  t.same(s.receive(JSON.stringify({ type: 'login', deviceId: 'IMEI-1', secret: 'x', id: 'l' }), 0), [{ kind: 'authenticate', pileId: 'IMEI-1', secret: 'x', id: 'l' }]);
  t.match(sent(new PileSession('ws', opts, 0).receive('{"type":"login","secret":"x"}', 0)), [{ code: 'INVALID', message: /deviceId/ }]);

  const p = onlineWithPorts(2);
  t.same(p.receive('{"type":"status","portNo":2,"state":"preparing"}', 1), [{ kind: 'port-status', portNo: 2, state: 'preparing' }]);
  t.match(sent(p.receive('{"type":"status","state":"finishing","id":"s"}', 1)), [{ code: 'INVALID', id: 's', message: /port state/ }], 'port words need a port');
  t.same(p.receive('{"type":"status","state":"idle"}', 1), [{ kind: 'status', state: 'idle' }], 'pile-level status as before');
  t.same(p.receive('{"type":"meter","portNo":1,"energyWms":10,"powerW":7000,"voltageV":220,"currentA":31.8,"temperatureC":40}', 2), [
    { kind: 'port-meter', portNo: 1, reading: { energyWms: 10, powerW: 7000, voltageV: 220, currentA: 31.8, temperatureC: 40 } },
  ]);
  t.match(sent(p.receive('{"type":"meter","portNo":3,"energyWms":10,"id":"m"}', 2)), [{ code: 'INVALID', id: 'm', message: 'port 3 does not exist: this pile has 2 ports' }]);
  t.same(p.receive('{"type":"card.start","portNo":1,"cardId":"CARD-7","energyWms":10,"id":"c"}', 3), [{ kind: 'card-start', portNo: 1, cardId: 'CARD-7', energyWms: 10, id: 'c' }]);
  t.same(p.receive('{"type":"session.stopped","portNo":1,"sessionId":"s1","energyWms":99,"reason":"full"}', 4), [
    { kind: 'session-stopped', portNo: 1, sessionId: 's1', energyWms: 99, reason: 'full' },
  ]);
  t.same(p.receive('{"type":"command.ack","commandId":"c1","accepted":true,"meterWms":10,"data":{"status":"Accepted"}}', 5), [
    { kind: 'command-ack', commandId: 'c1', accepted: true, meterWms: 10, data: { status: 'Accepted' } },
  ]);
});

t.test('session: commands to a pile with ports', async (t) => {
  const p = onlineWithPorts(2);
  t.same(sent(p.command({ commandId: 'c1', pileId: 'park-P1', action: 'start', portNo: 2, sessionId: 's1', targetEnergyWms: 900 })!), [
    { type: 'start', commandId: 'c1', portNo: 2, sessionId: 's1', targetEnergyWms: 900 },
  ]);
  t.same(sent(p.control('c2', { command: 'start', portNo: 1, sessionId: 's2', orderId: 'o2', targetEnergyWms: 5 })!), [
    { type: 'start', commandId: 'c2', portNo: 1, sessionId: 's2', orderId: 'o2', targetEnergyWms: 5 },
  ]);
  t.same(sent(p.control('c3', { command: 'stop', portNo: 1, sessionId: 's2' })!), [{ type: 'stop', commandId: 'c3', portNo: 1, sessionId: 's2' }]);
  t.same(sent(p.control('c4', { command: 'config', config: [1, 2, 255] })!), [{ type: 'config', commandId: 'c4', config: [1, 2, 255] }]);
  t.same(sent(p.control('c5', { command: 'reset', type: 'Hard' })!), [{ type: 'command', commandId: 'c5', command: 'reset', kind: 'Hard' }], 'the reset type travels as kind');
  t.same(sent(p.control('c6', { command: 'change-configuration', key: 'HeartbeatInterval', value: '60' })!), [
    { type: 'command', commandId: 'c6', command: 'change-configuration', key: 'HeartbeatInterval', value: '60' },
  ]);
  t.same(kinds(p.removed()), ['send', 'close']);
  t.match(sent(onlineWithPorts(1).removed()), [{ code: 'REMOVED' }]);
  t.equal(p.control('c7', { command: 'reset', type: 'Soft' }), undefined, 'nothing reaches a closed session');
});

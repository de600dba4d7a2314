// Walk-up sessions end to end over the bus: the scheduler in-process (harness), and this test in place of the
// device-bridge (it serves device.get / device.command and publishes the ports' reports) and of billing (it serves
// billing.tariffs with a flat tariff: 1.00 yuan/kWh + 0.50 service, so 1 kWh costs 150 fen).
import t from 'tap';
import { WMS_PER_KWH, type DeviceView, type MessagePayload, type RpcParams, type TariffDocument } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { refusal, startHarness, type Harness } from '../support/harness.js';

const MIN = 60_000;
const START_METER = 10_000;
const FLAT: TariffDocument = {
  tariffId: 'flat', name: 'flat', description: '', updatedAt: 0,
  versions: [{
    effectiveDate: '2000-01-01', effectiveFrom: 0, timeZone: 'Asia/Shanghai',
    rules: [1, 2].map((pileType) => ({
      pileType: pileType as 1 | 2, windows: [{ tier: 'flat' as const, from: '00:00', to: '24:00', price: 10_000 }], servicePrice: 5000,
    })),
  }],
};

type PortOver = Partial<DeviceView['portStates'][number]>;
function device(deviceId: string, stationId: string, over: Partial<DeviceView> = {}, ports: Record<number, PortOver> = {}): DeviceView {
  return {
    deviceId, pileId: `${stationId}-${deviceId}`, stationId, pileNo: deviceId, protocol: 'json', pileType: 2, powerW: 7000,
    ports: 2, connected: true, faulted: false, status: 1, createdAt: 0,
    portStates: [1, 2].map((portNo) => ({
      portNo, portId: `${stationId}-${deviceId}-${portNo}`, status: 1 as const, isDisabled: false, faultType: 0, voltageV: 0,
      currentA: 0, powerW: 0, temperatureC: 20, sessionEnergyWms: 0, ...(ports[portNo] ?? {}),
    })),
    ...over,
  };
}

const devices = new Map<string, DeviceView>();
for (const d of [
  device('ok', 'w1'), device('two', 'w1'), device('amount', 'w1'), device('stop', 'w1'), device('card', 'w1'), device('fault', 'w1'),
  device('q', 'default'),
  device('off', 'w1', { connected: false, status: 0 }, { 1: { status: 0 }, 2: { status: 0 } }),
  device('busy', 'w1', { status: 2 }, { 1: { status: 2, sessionId: 'elsewhere' } }),
  device('broken', 'w1', { status: 3 }, { 1: { status: 3, faultType: 1 } }),
  device('disabled', 'w1', {}, { 1: { isDisabled: true } }),
  device('refuses', 'w1'), device('silent', 'w1'), device('deaf', 'w1'),
]) devices.set(d.deviceId, d);

type Control = RpcParams<'device.command'>['control'];
const commands: { deviceId: string; control: Control }[] = [];
/** what the fake pile does after it accepts a stop: report the end with this register */
const onStop = new Map<string, (control: Control & { command: 'stop' }) => void>();

let h: Harness;
const at0 = Date.now();

t.before(async () => {
  h = await startHarness({ WALK_UP_STOP_RETRY_MS: '200', WALK_UP_COMMAND_TIMEOUT_MS: '1000', WALK_UP_STOP_ATTEMPTS: '3' }, ['w1']);
  await h.bus.serve('billing.tariffs', async () => ({ tariffs: [{ ...FLAT, inForce: '2000-01-01' }] }));
  await h.bus.serve('device.get', async (p) => {
    const d = p.deviceId ? devices.get(p.deviceId) : undefined;
    if (!d) throw new DomainError('NOT_FOUND', `unknown device ${p.deviceId}`, { resource: 'pile' });
    return d;
  });
  await h.bus.serve('device.command', async (p) => {
    commands.push({ deviceId: p.deviceId, control: p.control });
    // 'deaf' starts but never answers a stop
    if (p.deviceId === 'silent' || (p.deviceId === 'deaf' && p.control.command === 'stop')) throw new DomainError('TIMEOUT', 'the pile did not answer', { reason: 'PILE_TIMEOUT' });
    const accepted = p.deviceId !== 'refuses';
    const c = p.control;
    if (c.command === 'stop' && accepted) setTimeout(() => onStop.get(c.sessionId)?.(c), 50);
    return {
      deviceId: p.deviceId, commandId: `c${commands.length}`, accepted, data: { status: accepted ? 'Accepted' : 'Rejected' },
      ...(c.command === 'start' ? { meterWms: START_METER } : {}), at: at0,
    };
  });
  await h.bus.call('scheduler.createStation', {
    stationId: 'w1', name: 'walk-up one', address: 'somewhere', latitude: 39.9, longitude: 116.3, kind: 'walk-up', tariffId: 'flat',
  });
});
t.teardown(async () => {
  await h?.close();
});

const start = (orderId: string, deviceId: string, over: Partial<RpcParams<'scheduler.startWalkUp'>> = {}) =>
  h.bus.call('scheduler.startWalkUp', { orderId, userId: 'u1', deviceId, portNo: 1, chargingMode: 1, paymentMethod: 3, ...over });

const meter = (deviceId: string, sessionId: string | undefined, meterWms: number, at: number, portNo = 1) =>
  h.bus.publish('device.meter', { pileId: deviceId, portNo, ...(sessionId ? { sessionId } : {}), meterWms, powerW: 7000, voltageV: 220, currentA: 31.8, at });

const stopped = (deviceId: string, sessionId: string, meterStopWms: number, at: number, reason: MessagePayload<'device.session-stopped'>['reason'], portNo = 1) =>
  h.bus.publish('device.session-stopped', { pileId: deviceId, portNo, sessionId, meterStopWms, reason, at });

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const stopSent = (sessionId: string) => until(`a stop for ${sessionId}`, () =>
  commands.find((c) => c.control.command === 'stop' && c.control.sessionId === sessionId));

t.test('a start is refused by what the port is, with the reason the user is shown', async (t) => {
  t.match(await refusal(start('r-1', 'nope')), { code: 'NOT_FOUND', details: { resource: 'pile' } });
  t.match(await refusal(start('r-2', 'q')), { code: 'VALIDATION', message: /queue station/ });
  t.match(await refusal(start('r-3', 'ok', { portNo: 5 })), { code: 'NOT_FOUND', details: { resource: 'port' } });
  t.match(await refusal(start('r-4', 'off')), { code: 'PILE_STATE', details: { reason: 'PILE_OFFLINE' } });
  t.match(await refusal(start('r-5', 'busy')), { code: 'PILE_STATE', details: { reason: 'PORT_OCCUPIED' } });
  t.match(await refusal(start('r-6', 'broken')), { code: 'PILE_STATE', details: { reason: 'PORT_FAULT' } });
  t.match(await refusal(start('r-7', 'disabled')), { code: 'PILE_STATE', details: { reason: 'PORT_DISABLED' } });
  t.match(await refusal(start('r-8', 'ok', { chargingMode: 4 })), { code: 'VALIDATION', message: /limitEnergyWms/ });
  t.match(await refusal(start('r-9', 'ok', { chargingMode: 1, limitFeeFen: 100 })), { code: 'VALIDATION' });
  t.match(await refusal(start('r-10', 'refuses')), { code: 'PILE_STATE', details: { reason: 'START_REFUSED' } });
  t.match(await refusal(start('r-11', 'silent')), { code: 'TIMEOUT', details: { reason: 'PILE_TIMEOUT' } });
  t.notOk(commands.some((c) => ['nope', 'q', 'off', 'busy', 'broken', 'disabled'].includes(c.deviceId)), 'no command to a port that cannot start');
  // nothing was recorded for a refused start: the same order may try again, and is refused the same way
  t.match(await refusal(start('r-10', 'refuses')), { code: 'PILE_STATE', details: { reason: 'START_REFUSED' } });
  t.match(await refusal(h.bus.call('scheduler.walkUpSession', { orderId: 'r-10' })), { code: 'NOT_FOUND', details: { resource: 'order' } });
});

t.test('an energy-limited session: started once for a repeated order, stopped by the reading that reaches 2 kWh', async (t) => {
  const [a, b] = await Promise.all([
    start('e-1', 'ok', { chargingMode: 4, limitEnergyWms: 2 * WMS_PER_KWH }),
    start('e-1', 'ok', { chargingMode: 4, limitEnergyWms: 2 * WMS_PER_KWH }),
  ]);
  const again = await start('e-1', 'ok', { chargingMode: 4, limitEnergyWms: 2 * WMS_PER_KWH });
  t.equal(a.sessionId, b.sessionId);
  t.equal(again.sessionId, a.sessionId, 'the same order again answers its session');
  const starts = commands.filter((c) => c.deviceId === 'ok' && c.control.command === 'start');
  t.equal(starts.length, 1, 'one start command');
  t.match(starts[0]?.control, { command: 'start', portNo: 1, sessionId: a.sessionId, orderId: 'e-1', targetEnergyWms: 2 * WMS_PER_KWH });
  t.match(a, { state: 'charging', startedAt: at0, energyWms: 0, tariffId: 'flat', pileId: 'w1-ok', chargingMode: 4 });
  const started = await h.waitFor('session.started', (e) => e.payload.sessionId === a.sessionId);
  t.match(started.payload, {
    orderId: 'e-1', kind: 'walk-up', deviceId: 'ok', portNo: 1, origin: 'app', mode: 'slow', powerW: 7000, queueNo: '',
    targetEnergyWms: 2 * WMS_PER_KWH, tariffId: 'flat', startedAt: at0, limitEnergyWms: 2 * WMS_PER_KWH,
  });
  t.match(await refusal(start('e-2', 'ok')), { code: 'PILE_STATE', details: { reason: 'PORT_OCCUPIED' } }, 'the port has its session');

  await meter('ok', a.sessionId, START_METER + WMS_PER_KWH, at0 + 10 * MIN);
  const mid = await until('the first reading', async () => {
    const v = await h.bus.call('scheduler.walkUpSession', { orderId: 'e-1', userId: 'u1' });
    return v.energyWms > 0 ? v : undefined;
  });
  t.match(mid, { energyWms: WMS_PER_KWH, totalFeeFen: 150, durationMs: 10 * MIN, powerW: 7000, voltageV: 220, state: 'charging' });
  await meter('ok', a.sessionId, START_METER + WMS_PER_KWH, at0 + 10 * MIN); // the same reading again: nothing
  t.notOk(commands.some((c) => c.control.command === 'stop' && c.control.sessionId === a.sessionId), 'not stopped below the limit');

  await meter('ok', a.sessionId, START_METER + 2 * WMS_PER_KWH, at0 + 20 * MIN);
  await stopSent(a.sessionId);
  t.match(await h.bus.call('scheduler.walkUpSession', { orderId: 'e-1' }), { state: 'stopping', stopReason: 4 });
  await stopped('ok', a.sessionId, START_METER + 2 * WMS_PER_KWH + 1000, at0 + 20 * MIN + 30_000, 'remote');
  const end = await h.waitFor('session.ended', (e) => e.payload.sessionId === a.sessionId);
  t.match(end.payload, {
    orderId: 'e-1', stopReason: 4, reason: 'completed', energyWms: 2 * WMS_PER_KWH + 1000, startedAt: at0, endedAt: at0 + 20 * MIN + 30_000,
    kind: 'walk-up', deviceId: 'ok', portNo: 1, chargingMode: 4,
  });
  t.same(end.payload.intervals, [
    { fromMs: at0, toMs: at0 + 10 * MIN, energyWms: WMS_PER_KWH },
    { fromMs: at0 + 10 * MIN, toMs: at0 + 20 * MIN, energyWms: WMS_PER_KWH },
    { fromMs: at0 + 20 * MIN, toMs: at0 + 20 * MIN + 30_000, energyWms: 1000 },
  ]);
  // the pile's report again: nothing changes, no second session.ended
  await stopped('ok', a.sessionId, START_METER + 3 * WMS_PER_KWH, at0 + 30 * MIN, 'other');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(h.events.filter((e) => e.type === 'session.ended' && (e.payload as { sessionId: string }).sessionId === a.sessionId).length, 1);
  t.match(await h.bus.call('scheduler.walkUpSession', { orderId: 'e-1' }), { state: 'ended', stopReason: 4, energyWms: 2 * WMS_PER_KWH + 1000 });
});

t.test('an amount-limited session stops at the fee', async (t) => {
  const s = await start('a-1', 'amount', { chargingMode: 2, limitFeeFen: 300 });
  await meter('amount', s.sessionId, START_METER + WMS_PER_KWH, at0 + 10 * MIN); // 150 fen
  await meter('amount', s.sessionId, START_METER + 2 * WMS_PER_KWH - 36_000_000, at0 + 20 * MIN); // 1.99 kWh: 299 fen
  await until('both readings', async () => ((await h.bus.call('scheduler.walkUpSession', { orderId: 'a-1' })).totalFeeFen === 299 ? true : undefined));
  t.notOk(commands.some((c) => c.control.command === 'stop' && c.control.sessionId === s.sessionId), '299 fen: below 300');
  await meter('amount', s.sessionId, START_METER + 2 * WMS_PER_KWH, at0 + 21 * MIN); // 300 fen: reached
  await stopSent(s.sessionId);
  await stopped('amount', s.sessionId, START_METER + 2 * WMS_PER_KWH, at0 + 21 * MIN + 5000, 'remote');
  const end = await h.waitFor('session.ended', (e) => e.payload.sessionId === s.sessionId);
  t.match(end.payload, { stopReason: 5, reason: 'completed', energyWms: 2 * WMS_PER_KWH, limitFeeFen: 300 });
});

t.test("a user's stop: sent, acknowledged, answered when the pile reports the end", async (t) => {
  const s = await start('u-1', 'stop');
  onStop.set(s.sessionId, (c) => void stopped('stop', c.sessionId, START_METER + 500_000, at0 + 5 * MIN, 'remote'));
  t.match(await refusal(h.bus.call('scheduler.stopWalkUp', { orderId: 'u-1', userId: 'someone-else', stopReason: 1 })),
    { code: 'NOT_FOUND', details: { resource: 'order' } }, "another user's order is not found");
  const v = await h.bus.call('scheduler.stopWalkUp', { orderId: 'u-1', userId: 'u1', stopReason: 1 });
  t.match(v, { state: 'ended', stopReason: 1, energyWms: 500_000, endedAt: at0 + 5 * MIN });
  const end = await h.waitFor('session.ended', (e) => e.payload.sessionId === s.sessionId);
  t.match(end.payload, { stopReason: 1, reason: 'stopped' });
  t.match(await h.bus.call('scheduler.stopWalkUp', { orderId: 'u-1', stopReason: 1 }), { state: 'ended', stopReason: 1 }, 'ended already: as it is');
  t.equal(commands.filter((c) => c.control.command === 'stop' && c.control.sessionId === s.sessionId).length, 1, 'one stop command');
});

t.test('a card session at the pile', async (t) => {
  await h.bus.publish('device.session-started', { pileId: 'card', portNo: 2, sessionId: 'card-s1', cardId: 'CARD01', userId: 'u7', meterStartWms: 42, at: at0 });
  const started = await h.waitFor('session.started', (e) => e.payload.sessionId === 'card-s1');
  t.match(started.payload, { orderId: 'card-card-s1', userId: 'u7', cardId: 'CARD01', origin: 'card', paymentMethod: 3, chargingMode: 1, portNo: 2, kind: 'walk-up' });
  await meter('card', undefined, 42 + WMS_PER_KWH, at0 + 30 * MIN, 2); // no session id: the port's live session
  await until('the reading', async () => ((await h.bus.call('scheduler.walkUpSession', { orderId: 'card-card-s1', userId: 'u7' })).energyWms > 0 ? true : undefined));
  await stopped('card', 'card-s1', 42 + WMS_PER_KWH, at0 + 31 * MIN, 'local', 2);
  const end = await h.waitFor('session.ended', (e) => e.payload.sessionId === 'card-s1');
  t.match(end.payload, { stopReason: 1, energyWms: WMS_PER_KWH, cardId: 'CARD01', origin: 'card' });
});

t.test('a pile fault ends its sessions at their last reading, and a reading of an unknown session stops it', async (t) => {
  const p1 = await start('f-1', 'fault', { portNo: 1 });
  const p2 = await start('f-2', 'fault', { portNo: 2, userId: 'u2' });
  await meter('fault', p1.sessionId, START_METER + 1000, at0 + MIN, 1);
  await until('the reading', async () => ((await h.bus.call('scheduler.walkUpSession', { orderId: 'f-1' })).energyWms > 0 ? true : undefined));
  await h.bus.publish('device.pile-fault', { pileId: 'fault', errorCode: 'GroundFailure', at: at0 + 2 * MIN });
  const e1 = await h.waitFor('session.ended', (e) => e.payload.sessionId === p1.sessionId);
  const e2 = await h.waitFor('session.ended', (e) => e.payload.sessionId === p2.sessionId);
  t.match(e1.payload, { stopReason: 6, reason: 'fault', energyWms: 1000, endedAt: at0 + MIN });
  t.match(e2.payload, { stopReason: 6, reason: 'fault', energyWms: 0, endedAt: at0 });
  await stopSent(p1.sessionId);
  await stopSent(p2.sessionId);

  await meter('ok', 'never-started', 123, at0 + MIN, 2);
  t.match((await stopSent('never-started')).control, { command: 'stop', portNo: 2, sessionId: 'never-started' });
});

t.test('port totals: ended sessions, their duration and energy, the current and last order', async (t) => {
  const live = await start('t-1', 'two', { portNo: 2 });
  const { items } = await h.bus.call('scheduler.portTotals', { deviceIds: ['ok', 'fault', 'two'] });
  t.same(items.find((i) => i.deviceId === 'ok' && i.portNo === 1), {
    deviceId: 'ok', portNo: 1, sessions: 1, durationMs: 20 * MIN + 30_000, energyWms: 2 * WMS_PER_KWH + 1000, lastOrderId: 'e-1',
  });
  t.same(items.find((i) => i.deviceId === 'fault' && i.portNo === 1), { deviceId: 'fault', portNo: 1, sessions: 1, durationMs: MIN, energyWms: 1000, lastOrderId: 'f-1' });
  t.same(items.find((i) => i.deviceId === 'two' && i.portNo === 2), { deviceId: 'two', portNo: 2, sessions: 0, durationMs: 0, energyWms: 0, currentOrderId: 't-1' });
  t.notOk(items.some((i) => !['ok', 'fault', 'two'].includes(i.deviceId)), 'only the devices asked about');
  onStop.set(live.sessionId, (c) => void stopped('two', c.sessionId, START_METER, at0 + MIN, 'remote', 2));
  await h.bus.call('scheduler.stopWalkUp', { orderId: 't-1', stopReason: 1 });
});

t.test('a stop the pile does not acknowledge is sent again by the sweep, a bounded number of times', async (t) => {
  const s = await start('d-1', 'deaf', { chargingMode: 4, limitEnergyWms: WMS_PER_KWH });
  await meter('deaf', s.sessionId, START_METER + WMS_PER_KWH, at0 + 10 * MIN);
  const stops = () => commands.filter((c) => c.control.command === 'stop' && c.control.sessionId === s.sessionId).length;
  await until('three stops', () => (stops() >= 3 ? true : undefined));
  await new Promise((r) => setTimeout(r, 800)); // four more sweeps
  t.equal(stops(), 3, 'given up after WALK_UP_STOP_ATTEMPTS (then logged as an error)');
  t.match(await h.bus.call('scheduler.walkUpSession', { orderId: 'd-1' }), { state: 'stopping', stopReason: 4 });
  // a user's stop the pile does not answer: TIMEOUT, and the session is as it was
  const u = await start('d-2', 'deaf', { portNo: 2 });
  t.match(await refusal(h.bus.call('scheduler.stopWalkUp', { orderId: 'd-2', stopReason: 1 })), { code: 'TIMEOUT', details: { reason: 'PILE_TIMEOUT' } });
  t.match(await h.bus.call('scheduler.walkUpSession', { orderId: 'd-2' }), { state: 'charging' });
  t.equal(u.state, 'charging');
});

// Configuration, the state as plain JSON, and the queries the services read: board, position, pile totals.
import t from 'tap';
import { applyCommand, board, createStation, nextDueAt, pileTotals, position, readStoredConfig } from '../src/index.js';
import { at, KWH, MIN, Station } from './helpers.js';

t.test('configuration: DESIGN defaults, legacy setting names, clear refusals', async (t) => {
  const st = createStation({}, at('06:00'));
  t.match(st.config, {
    stationId: 'default', fastPiles: 2, slowPiles: 3, fastPowerW: 30_000, slowPowerW: 10_000, waitingAreaSize: 10,
    pileQueueLength: 3, faultPolicy: 'priority', dispatchMode: 'default', timeZone: 'Asia/Shanghai',
  });
  t.equal(st.config.tariff.serviceFeeYuanPerKwh, '0.8', 'the default tariff is stored concrete');
  t.same(st.piles.map((p) => [p.pileNo, p.powerW]), [['F1', 30000], ['F2', 30000], ['T1', 10000], ['T2', 10000], ['T3', 10000]]);

  const old = createStation({ FastChargingPileNum: 1, TrickleChargingPileNum: 2, WaitingAreaSize: 6, ChargingQueueLen: 2, slowPowerW: 7000 }, 0);
  t.match(old.config, { fastPiles: 1, slowPiles: 2, waitingAreaSize: 6, pileQueueLength: 2 });
  t.same(old.piles.map((p) => [p.pileNo, p.powerW]), [['F1', 30000], ['T1', 7000], ['T2', 7000]]);

  t.throws(() => createStation({ fastPiles: 0, slowPiles: 0 }, 0), { name: 'StationConfigError', code: 'BAD_CONFIG' });
  t.throws(() => createStation({ fastPowerW: -1 }, 0), /fastPowerW/);
  t.throws(() => createStation({ faultPolicy: 'random' as 'priority' }, 0), /faultPolicy/);
  t.throws(() => createStation({ timeZone: 'Mars/Olympus' }, 0), /time zone/);
  t.throws(() => createStation({ FastChargingPileNum: 1, fastPiles: 2 }, 0), /disagree/);
  t.throws(() => createStation({ colour: 'red' } as never, 0), /unknown setting/);
  t.throws(() => createStation({ tariff: { serviceFeeYuanPerKwh: 1, tiers: [] } }, 0), /tariff/);
});

t.test('a state stored before power was kept in W (fastPowerKw/slowPowerKw) is read in W', async (t) => {
  const { fastPowerW: _f, slowPowerW: _s, ...rest } = createStation({ slowPowerW: 7000 }, at('06:00')).config;
  const stored = JSON.parse(JSON.stringify({ ...createStation({ slowPowerW: 7000 }, at('06:00')), config: { ...rest, fastPowerKw: 30, slowPowerKw: 7 } }));
  t.match(readStoredConfig(stored.config), { fastPowerW: 30_000, slowPowerW: 7000 });
  t.notOk('fastPowerKw' in readStoredConfig(stored.config));
  const current = createStation({}, 0).config;
  t.equal(readStoredConfig(current), current, 'a current config is handed back as it is');
  const r = applyCommand(stored, { type: 'configure', config: { fastPiles: 1 } }, at('06:01'));
  t.ok(r.ok);
  t.match(r.state.config, { fastPiles: 1, fastPowerW: 30_000, slowPowerW: 7000 }, 'a reconfigure keeps the stored powers');
  t.notOk('slowPowerKw' in r.state.config);
  t.same(r.state.piles.map((p) => [p.pileNo, p.powerW]), [['F1', 30000], ['T1', 7000], ['T2', 7000], ['T3', 7000]]);
});

t.test('configure: only an empty station can be reconfigured; piles keep their state and totals', async (t) => {
  const s = new Station();
  s.submit('V1', 'fast', 1, at('06:00'));
  const error = s.refuse({ type: 'configure', config: { fastPiles: 3 } }, at('06:01'));
  t.equal(error.code, 'STATION_NOT_EMPTY');
  t.equal(s.refuse({ type: 'configure', config: { stationId: 'other' } }, at('06:03')).code, 'BAD_CONFIG');
  t.equal(s.refuse({ type: 'configure', config: null as never }, at('06:03')).code, 'BAD_CONFIG');
  s.do({ type: 'pileFault', pileNo: 'T3' }, at('06:03'));
  const events = s.do({ type: 'configure', config: { fastPiles: 3, slowPiles: 3, faultPolicy: 'time-order' } }, at('06:03'));
  t.match(events, [{ type: 'configured', config: { fastPiles: 3, faultPolicy: 'time-order' } }]);
  const moved = new Station();
  moved.do({ type: 'configure', config: { timeZone: 'Europe/Berlin' } }, at('06:00'));
  t.equal(moved.state.config.tariff.timeZone, 'Europe/Berlin', 'a tariff that followed the station zone moves with it');
  // 06:00 in Shanghai is 23:00 of the day before in Berlin: a new numbering day, ending at Berlin's midnight.
  t.same(moved.state.numbering, { day: '2025-12-31', dayEndsAt: at('07:00'), nextFast: 1, nextSlow: 1 });
  t.same(s.state.piles.map((p) => [p.pileNo, p.state, p.totals.sessions]), [
    ['F1', 'working', 1], ['F2', 'working', 0], ['F3', 'working', 0], ['T1', 'working', 0], ['T2', 'working', 0], ['T3', 'fault', 0],
  ]);
});

t.test('the state is plain JSON: a round trip through JSON continues identically', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 2 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:05'));
  const copy = JSON.parse(JSON.stringify(s.state));
  t.same(copy, s.state);
  const a = applyCommand(s.state, { type: 'pileRecover', pileNo: 'F1' }, at('06:10'));
  const b = applyCommand(copy, { type: 'pileRecover', pileNo: 'F1' }, at('06:10'));
  t.same(b, a);
  const json = JSON.stringify(s.state);
  t.notMatch(json, /undefined/);
  t.equal(s.state.version, 5, 'created at 1, +1 per accepted command');
});

t.test('nextDueAt: the next completion instant for the service\'s timer', async (t) => {
  const s = new Station();
  t.equal(nextDueAt(s.state), null);
  s.submit('V1', 'slow', 1, at('06:00'));
  s.submit('V2', 'fast', 2, at('06:01'));
  t.equal(nextDueAt(s.state), at('06:05'));
  s.advance(at('06:05'));
  t.equal(nextDueAt(s.state), at('06:06'));
});

t.test('board: piles with queues (charged kWh and fee so far), waiting area and fault queue, in exact units', async (t) => {
  const s = new Station({ fastPiles: 2, slowPiles: 1, pileQueueLength: 2 });
  s.submit('V1', 'fast', 30, at('06:00'));
  s.submit('V2', 'fast', 10, at('06:00'));
  s.submit('V3', 'fast', 10, at('06:00'));
  s.submit('V4', 'fast', 10, at('06:00'));
  s.submit('V5', 'fast', 10, at('06:05'));
  s.submit('V6', 'slow', 10, at('06:05'));
  s.do({ type: 'pileFault', pileNo: 'F2' }, at('06:10'));
  const b = board(s.state, at('06:30'));
  t.equal(b.time, at('06:30'));
  t.equal(b.stationId, 'default');
  // V3 went to F2 (40 min there against 80 on F1), V4 to F1 (F2 full); F2's fault cut V2 at 5 kWh.
  t.same(b.piles.map((p) => [p.pileNo, p.state, p.powerW, p.queue.map((c) => c.carId)]), [
    ['F1', 'working', 30000, ['V1', 'V4']], ['F2', 'fault', 30000, []], ['T1', 'working', 10000, ['V6']],
  ]);
  t.match(b.piles[0]!.queue[0], {
    carId: 'V1', queueNo: 'F1', state: 'charging', requestedWms: 30 * KWH, sessionChargedWms: 15 * KWH, sessionFeeFen: 1800,
    requestChargedWms: 15 * KWH, remainingWms: 15 * KWH, waitingMs: 0, sessionId: 'V1#1', startedAt: at('06:00'), expectedEndAt: at('07:00'),
  });
  t.match(b.piles[0]!.queue[1], { carId: 'V4', state: 'dispatched', sessionChargedWms: 0, sessionFeeFen: 0, waitingMs: 30 * MIN, sessionId: null });
  t.match(b.piles[2]!.queue[0], { carId: 'V6', sessionChargedWms: 10_000 * 25 * MIN, sessionFeeFen: 500, waitingMs: 0 });
  t.same(b.faultQueue.map((c) => [c.carId, c.state, c.remainingWms, c.requestChargedWms, c.requestFeeFen, c.waitingMs]), [
    ['V2', 'fault-queued', 5 * KWH, 5 * KWH, 600, 20 * MIN], ['V3', 'fault-queued', 10 * KWH, 0, 0, 30 * MIN],
  ]);
  t.same(b.waitingArea.map((c) => [c.carId, c.state, c.requestedWms, c.waitingMs]), [['V5', 'waiting', 10 * KWH, 25 * MIN]]);
  t.equal(s.state.nowMs, at('06:10'), 'a query does not change the state');
});

t.test('board and position play due completions first', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 1 });
  s.submit('V1', 'fast', 1, at('06:00'));
  s.submit('V2', 'fast', 1, at('06:00'));
  const b = board(s.state, at('06:03'));
  t.same(b.piles[0]!.queue.map((c) => [c.carId, c.sessionChargedWms]), [['V2', KWH / 2]]);
  t.equal(position(s.state, 'V1', at('06:03')), null, 'a finished request has no position');
  t.match(position(s.state, 'V2', at('06:03')), { state: 'charging', carsAhead: 0, pileNo: 'F1' });
});

t.test('position: the request\'s state and the cars ahead of it in its mode', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1, pileQueueLength: 2 });
  for (const [car, mode] of [['V1', 'fast'], ['V2', 'fast'], ['V3', 'slow'], ['V4', 'fast'], ['V5', 'slow'], ['V6', 'fast'], ['V7', 'slow'], ['V8', 'slow']] as const) {
    s.submit(car, mode, 10, at('06:00'));
  }
  t.same(s.layout(), { F1: ['V1', 'V2'], T1: ['V3', 'V5'], waiting: ['V4', 'V6', 'V7', 'V8'], fault: [] });
  t.match(position(s.state, 'V1', at('06:10')), {
    queueNo: 'F1', mode: 'fast', state: 'charging', carsAhead: 0, pileNo: 'F1', pilePosition: 1,
    requestChargedWms: 5 * KWH, requestFeeFen: 600, sessionChargedWms: 5 * KWH, remainingWms: 5 * KWH, createdAt: at('06:00'),
  });
  t.match(position(s.state, 'V2', at('06:10')), { state: 'dispatched', carsAhead: 1, pileNo: 'F1', pilePosition: 2, requestChargedWms: 0 });
  t.match(position(s.state, 'V6', at('06:10')), { queueNo: 'F4', state: 'waiting', carsAhead: 1, pileNo: null });
  t.match(position(s.state, 'V8', at('06:10')), { queueNo: 'T4', state: 'waiting', carsAhead: 1 });
  s.do({ type: 'pileFault', pileNo: 'F1' }, at('06:10'));
  t.match(position(s.state, 'V2', at('06:10')), { state: 'fault-queued', carsAhead: 1 });
  t.match(position(s.state, 'V6', at('06:10')), { state: 'waiting', carsAhead: 3, waitingMs: 10 * MIN });
  t.match(position(s.state, 'V1', at('06:10')), { state: 'fault-queued', carsAhead: 0, requestChargedWms: 5 * KWH, requestFeeFen: 600, sessionChargedWms: 0 });
  t.equal(position(s.state, 'nope', at('06:10')), null);
});

t.test('pile totals since start: sessions, duration, energy (and fee)', async (t) => {
  const s = new Station({ fastPiles: 1, slowPiles: 1 });
  s.submit('V1', 'fast', 10, at('06:00'));
  s.submit('V2', 'fast', 5, at('06:00'));
  s.do({ type: 'cancel', orderId: 'V2' }, at('06:25'));
  s.submit('V3', 'slow', 1, at('07:00'));
  s.advance(at('08:00'));
  t.same(pileTotals(s.state), [
    { pileNo: 'F1', mode: 'fast', state: 'working', powerW: 30000, sessions: 2, durationMs: 25 * MIN, energyWms: 12.5 * KWH, feeFen: 1500 },
    // 07:00–07:06 is flat: 0.7 + 0.8
    { pileNo: 'T1', mode: 'slow', state: 'working', powerW: 10000, sessions: 1, durationMs: 6 * MIN, energyWms: KWH, feeFen: 150 },
  ]);
});

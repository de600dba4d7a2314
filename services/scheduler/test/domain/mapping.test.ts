// Pure translations: engine events and views -> contracts, refusals -> domain codes.
import t from 'tap';
import { messageSchemas, PileState, QueueState, rpcSchemas, WMS_PER_KWH } from '@voltq/contracts';
import { applyCommand, board, createStation, position, type StationCommand, type StationState } from '@voltq/scheduling';
import { Value } from '@sinclair/typebox/value';
import {
  boardView,
  contractCarId,
  engineCarId,
  answerOrderSeq,
  carStatesOf,
  enginePileState,
  errorCodeFor,
  pileStatus,
  QUEUE_STATE_OF_CAR,
  orderSeqOf,
  positionView,
  toContractConfig,
  toContractEvents,
  toEngineConfigInput,
} from '../../src/domain/mapping.js';

const T0 = Date.parse('2025-01-06T08:00:00+08:00');
const MIN = 60_000;

function run(state: StationState, cmd: StationCommand, at: number) {
  const r = applyCommand(state, cmd, at);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r;
}

function submit(orderId: string, mode: 'fast' | 'slow', kwh: number, carId?: string): StationCommand {
  return { type: 'submit', orderId, userId: `u-${orderId}`, carId: engineCarId(`u-${orderId}`, carId), mode, energyWms: kwh * WMS_PER_KWH };
}

t.test('a submit that charges at once maps to queued, dispatched, session.started with valid payloads', async (t) => {
  const s0 = createStation({}, T0);
  const r = run(s0, submit('o1', 'fast', 30, 'car-1'), T0);
  const out = toContractEvents('default', r.events, r.state);
  t.same(out.map((e) => e.type), ['order.queued', 'order.dispatched', 'session.started']);
  for (const e of out) t.ok(Value.Check(messageSchemas[e.type], e.payload), `${e.type} payload fits its contract`);
  const queued = out[0]!.payload as { seq: number; queueNo: string; carId?: string; energyWms: number };
  t.equal(queued.queueNo, 'F1');
  t.equal(queued.seq, 1, 'the issue sequence comes from the state');
  t.equal(queued.carId, 'car-1');
  t.equal(queued.energyWms, 30 * WMS_PER_KWH);
  const dispatched = out[1]!.payload as { place: number; pileNo: string };
  t.same([dispatched.pileNo, dispatched.place], ['F1', 0], 'place 0 is the head of the pile');
  const started = out[2]!.payload as { powerW: number; targetEnergyWms: number; startedAt: number };
  t.same(started, { ...started, powerW: 30_000, targetEnergyWms: 30 * WMS_PER_KWH, startedAt: T0 });
  t.ok(out.every((e) => e.atMs === T0));
});

t.test('every order event carries an orderSeq that grows over the order\'s writes (two changes at one instant too)', async (t) => {
  const w1 = run(createStation({ fastPiles: 1, pileQueueLength: 1 }, T0), submit('o0', 'fast', 30), T0);
  const w2 = run(w1.state, submit('o1', 'fast', 30), T0); // waits: the only fast place is taken
  const w3 = run(w2.state, { type: 'modify', orderId: 'o1', energyWms: 10 * WMS_PER_KWH }, T0 + MIN);
  const w4 = run(w3.state, { type: 'modify', orderId: 'o1', energyWms: 20 * WMS_PER_KWH }, T0 + MIN); // same ms
  const w5 = run(w4.state, { type: 'advance' }, T0 + 120 * MIN); // o0 completes, o1 dispatched and started
  const seqs: number[] = [];
  for (const w of [w2, w3, w4, w5]) {
    const out = toContractEvents('default', w.events, w.state).filter((e) => (e.payload as { orderId?: string }).orderId === 'o1');
    for (const e of out) {
      t.ok(Value.Check(messageSchemas[e.type], e.payload), `${e.type} payload fits its contract`);
      seqs.push((e.payload as { orderSeq: number }).orderSeq);
    }
    t.ok(out.every((e) => (e.payload as { orderSeq: number }).orderSeq < answerOrderSeq(w.state.version)), 'an answer of the write is newer than its events');
  }
  t.ok(seqs.length >= 5, 'queued, two modified, dispatched, started');
  t.ok(seqs.every((x, i) => i === 0 || x > seqs[i - 1]!), `strictly growing: ${seqs.join(', ')}`);
  t.ok(orderSeqOf(w4.state.version, 0) > answerOrderSeq(w3.state.version), 'a later write is newer than an earlier answer');
});

t.test('completion maps to session.ended + order.finished at the completion instant', async (t) => {
  const s1 = run(createStation({}, T0), submit('o1', 'fast', 15), T0).state;
  const r = run(s1, { type: 'advance' }, T0 + 60 * MIN);
  const out = toContractEvents('default', r.events, r.state);
  t.same(out.map((e) => e.type), ['session.ended', 'order.finished']);
  const ended = out[0]!.payload as Record<string, unknown>;
  t.equal(ended.energyWms, 15 * WMS_PER_KWH);
  t.equal(ended.endedAt, T0 + 30 * MIN, '15 kWh at 30 kW end after 30 minutes, not at the advance instant');
  t.equal(ended.reason, 'completed');
  t.notOk('carId' in ended, 'a request without a car has no carId in the contract');
  t.equal(out[0]!.atMs, T0 + 30 * MIN);
  t.equal((out[1]!.payload as { energyWms: number }).energyWms, 15 * WMS_PER_KWH);
  for (const e of out) t.ok(Value.Check(messageSchemas[e.type], e.payload), `${e.type} payload fits its contract`);
});

t.test('cancel while charging carries the stopped session; fault re-queues with pile events', async (t) => {
  let s = run(createStation({}, T0), submit('o1', 'fast', 30), T0).state;
  s = run(s, submit('o2', 'fast', 30), T0).state;
  s = run(s, submit('o3', 'fast', 30), T0).state; // behind o1 on F1
  const cancel = run(s, { type: 'cancel', orderId: 'o1' }, T0 + 6 * MIN);
  const out = toContractEvents('default', cancel.events, cancel.state);
  const ended = out.find((e) => e.type === 'session.ended')!.payload as { reason: string; energyWms: number; sessionId: string };
  t.equal(ended.reason, 'cancelled');
  t.equal(ended.energyWms, 3 * WMS_PER_KWH, '6 minutes at 30 kW');
  const cancelled = out.find((e) => e.type === 'order.cancelled')!.payload as { sessionId?: string };
  t.equal(cancelled.sessionId, ended.sessionId);

  const fault = run(cancel.state, { type: 'pileFault', pileNo: 'F2' }, T0 + 12 * MIN);
  const fo = toContractEvents('default', fault.events, fault.state);
  t.same(fo.slice(0, 2).map((e) => e.type), ['pile.status-changed', 'pile.faulted']);
  t.match(fo[0]!.payload, { pileNo: 'F2', status: 'fault', previous: 'idle' });
  const requeued = fo.find((e) => e.type === 'order.requeued')!.payload as { reason: string; remainingEnergyWms: number };
  t.equal(requeued.reason, 'fault');
  t.equal(requeued.remainingEnergyWms, 24 * WMS_PER_KWH);
  t.equal((fo.find((e) => e.type === 'session.ended')!.payload as { reason: string }).reason, 'fault');
  for (const e of [...out, ...fo]) t.ok(Value.Check(messageSchemas[e.type], e.payload), `${e.type} payload fits its contract`);

  const recover = run(fault.state, { type: 'pileRecover', pileNo: 'F2' }, T0 + 13 * MIN);
  const ro = toContractEvents('default', recover.events, recover.state);
  t.ok(ro.some((e) => e.type === 'pile.recovered'));
  t.ok(ro.some((e) => e.type === 'pile.status-changed' && (e.payload as { status: string }).status === 'charging'),
    'the recovered pile takes the fault-queued car and charges');
});

t.test('views fit the RPC result contracts', async (t) => {
  let s = run(createStation({}, T0), submit('o1', 'slow', 10, 'c1'), T0).state;
  for (let i = 2; i <= 5; i++) s = run(s, submit(`o${i}`, 'slow', 10), T0).state;
  const pos = position(s, 'o1', T0 + 30 * MIN)!;
  const v = positionView(pos);
  t.ok(Value.Check(rpcSchemas['scheduler.position'].result, v));
  t.match(v, { state: 'charging', pileNo: 'T1', sessionChargedWms: 5 * WMS_PER_KWH, carsAhead: 0, carId: 'c1' });
  t.ok(v.sessionFeeFen > 0, 'the fee so far is shown');
  const waiting = positionView(position(s, 'o5', T0)!);
  t.match(waiting, { state: 'dispatched', pileNo: 'T2', carsAhead: 1 });
  const b = boardView(board(s, T0 + 30 * MIN), s);
  t.ok(Value.Check(rpcSchemas['scheduler.board'].result, b));
  t.equal(b.piles.length, 5);
  t.match(b.piles[2], { pileNo: 'T1', state: 'charging' });
  t.match(b.piles[0], { pileNo: 'F1', state: 'idle', powerW: 30_000 });
});

t.test('configuration: contract and engine both in watts; a config stored in kW reads as watts', async (t) => {
  const c = toContractConfig(createStation({}, T0).config);
  t.same(c, {
    stationId: 'default', fastPiles: 2, slowPiles: 3, fastPowerW: 30_000, slowPowerW: 10_000, waitingAreaSize: 10,
    pileQueueLength: 3, faultPolicy: 'priority', dispatchMode: 'default', timeZone: 'Asia/Shanghai',
  });
  t.same(toEngineConfigInput({ slowPowerW: 7000, waitingAreaSize: 6 }), { slowPowerW: 7000, waitingAreaSize: 6 });
  const { fastPowerW: _f, slowPowerW: _s, ...rest } = createStation({}, T0).config;
  const stored = { ...rest, fastPowerKw: 60, slowPowerKw: 7 } as unknown as Parameters<typeof toContractConfig>[0];
  t.match(toContractConfig(stored), { fastPowerW: 60_000, slowPowerW: 7000 });
});

t.test('pile states: every engine state to the contracts and every contract state back', async (t) => {
  t.same(
    (['working', 'off', 'fault'] as const).map((s) => [s, pileStatus(s, false), pileStatus(s, true)]),
    [['working', 'idle', 'charging'], ['off', 'off', 'off'], ['fault', 'fault', 'fault']],
  );
  const contractStates = PileState.anyOf.map((l) => l.const);
  t.same(contractStates.map((s) => [s, enginePileState(s)]), [
    ['idle', 'working'], ['charging', 'working'], ['off', 'off'], ['fault', 'fault'], ['offline', null],
  ]);
  for (const s of contractStates) {
    const engine = enginePileState(s);
    if (engine !== null) t.ok([pileStatus(engine, false), pileStatus(engine, true)].includes(s), `${s} round-trips`);
  }
});

t.test('car states: every engine state to the contracts and every contract state back', async (t) => {
  t.same(QUEUE_STATE_OF_CAR, {
    waiting: 'waiting', dispatched: 'dispatched', starting: 'dispatched', charging: 'charging', 'fault-queued': 'fault-queued',
  });
  t.same(QueueState.anyOf.map((l) => [l.const, carStatesOf(l.const)]), [
    ['waiting', ['waiting']], ['dispatched', ['dispatched', 'starting']], ['charging', ['charging']],
    ['fault-queued', ['fault-queued']], ['finished', []], ['cancelled', []],
  ]);
});

t.test('engine refusals map to stable domain codes', async (t) => {
  t.equal(errorCodeFor('WAITING_AREA_FULL', 'submit'), 'WAITING_AREA_FULL');
  t.equal(errorCodeFor('CAR_HAS_ACTIVE_REQUEST', 'submit'), 'ALREADY_QUEUED');
  t.equal(errorCodeFor('NOT_IN_WAITING_AREA', 'modify'), 'NOT_MODIFIABLE');
  t.equal(errorCodeFor('ORDER_NOT_FOUND', 'cancel'), 'NOT_FOUND');
  t.equal(errorCodeFor('PILE_NOT_WORKING', 'pileFault'), 'PILE_STATE');
  t.equal(errorCodeFor('STATION_NOT_EMPTY', 'configure'), 'STATION_BUSY');
  t.equal(errorCodeFor('BAD_ENERGY', 'submit'), 'VALIDATION');
  t.equal(errorCodeFor('NOT_SUPPORTED_IN_DISPATCH_MODE', 'modify'), 'NOT_MODIFIABLE');
  t.same(contractCarId(engineCarId('7', undefined)), {});
  t.same(contractCarId(engineCarId('7', 'car-9')), { carId: 'car-9' });
});

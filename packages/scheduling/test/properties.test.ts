// Property tests over random command sequences (fast-check). Each event of a command is replayed on a shadow
// copy of the station, so every dispatch is checked against the station exactly as it was at that moment.
import t from 'tap';
import fc from 'fast-check';
import { DEFAULT_TARIFF, feeForConstantPower } from '@voltq/tariff';
import { applyCommand, createStation, nextDueAt } from '../src/index.js';
import type { DispatchMode, FaultPolicy, Mode, StationCommand, StationEvent, StationState } from '../src/index.js';
import { at, KWH, MIN } from './helpers.js';

interface ShadowCar { orderId: string; mode: Mode; remainingWms: number; endsAt: number | null }
interface ShadowPile { pileNo: string; mode: Mode; powerW: number; working: boolean; queue: ShadowCar[] }

/** The station rebuilt from events alone. */
class Shadow {
  piles: ShadowPile[];
  waiting: ShadowCar[];
  fault: ShadowCar[];
  /** Cars a re-dispatch has taken off their piles and not yet placed. */
  pulled: ShadowCar[] = [];

  constructor(s: StationState) {
    const car = (c: StationState['waiting'][number]): ShadowCar => ({
      orderId: c.orderId, mode: c.mode, remainingWms: c.requestedWms - c.deliveredWms, endsAt: c.session?.endsAt ?? null,
    });
    this.piles = s.piles.map((p) => ({ pileNo: p.pileNo, mode: p.mode, powerW: p.powerW, working: p.state === 'working', queue: p.queue.map(car) }));
    this.waiting = s.waiting.map(car);
    this.fault = s.faultQueue.map(car);
  }

  pile(pileNo: string): ShadowPile {
    const p = this.piles.find((x) => x.pileNo === pileNo);
    if (!p) throw new Error(`no pile ${pileNo}`);
    return p;
  }

  take(orderId: string, from: ShadowCar[]): ShadowCar {
    const i = from.findIndex((c) => c.orderId === orderId);
    if (i < 0) throw new Error(`${orderId} is not where the event says`);
    return from.splice(i, 1)[0]!;
  }

  find(orderId: string): { car: ShadowCar; list: ShadowCar[] } {
    for (const list of [...this.piles.map((p) => p.queue), this.waiting, this.fault, this.pulled]) {
      const car = list.find((c) => c.orderId === orderId);
      if (car) return { car, list };
    }
    throw new Error(`${orderId} is nowhere`);
  }

  /** Rule 2's completion time of `car` on `pile` at `atMs`. */
  completion(pile: ShadowPile, car: ShadowCar, atMs: number): number {
    let ms = 0;
    for (const c of pile.queue) ms += c.endsAt !== null ? c.endsAt - atMs : Math.ceil(c.remainingWms / pile.powerW);
    return ms + Math.ceil(car.remainingWms / pile.powerW);
  }
}

const pileNos = ['F1', 'F2', 'F3', 'T1', 'T2', 'T3'];
const arbStep = fc.record({
  dtMs: fc.oneof(fc.integer({ min: 0, max: 40 * MIN }), fc.constant(-1) /* the next due instant exactly */),
  command: fc.oneof(
    { weight: 6, arbitrary: fc.record({ type: fc.constant('submit'), car: fc.nat(11), mode: fc.constantFrom<Mode>('fast', 'slow'), kwh: fc.integer({ min: 1, max: 600 }) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('modify'), car: fc.nat(11), mode: fc.option(fc.constantFrom<Mode>('fast', 'slow')), kwh: fc.option(fc.integer({ min: 1, max: 600 })) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('cancel'), car: fc.nat(11) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('pileFault', 'pileRecover', 'pileOff', 'pileOn'), pile: fc.constantFrom(...pileNos) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('advance') }) },
  ),
});
const arbRun = fc.record({
  config: fc.record({
    fastPiles: fc.integer({ min: 1, max: 3 }),
    slowPiles: fc.integer({ min: 1, max: 3 }),
    pileQueueLength: fc.integer({ min: 1, max: 3 }),
    waitingAreaSize: fc.integer({ min: 1, max: 5 }),
    slowPowerW: fc.constantFrom(7000, 10_000),
    faultPolicy: fc.constantFrom<FaultPolicy>('priority', 'time-order'),
    dispatchMode: fc.oneof(
      { weight: 4, arbitrary: fc.constant<DispatchMode>('default') },
      { weight: 1, arbitrary: fc.constantFrom<DispatchMode>('single-min-total', 'batch-min-total') },
    ),
  }),
  steps: fc.array(arbStep, { minLength: 20, maxLength: 80, size: 'max' }),
});

const stats = { events: 0 };
type Run = typeof arbRun extends fc.Arbitrary<infer R> ? R : never;

/** Plays a run and throws on the first broken property. */
function check(run: Run): void {
  let state = createStation(run.config, at('06:00'));
  const { pileQueueLength: M, waitingAreaSize: N, dispatchMode, faultPolicy } = state.config;
  const orders = new Map<number, number>();
  const started = new Set<string>();
  const ended = new Set<string>();
  let now = state.nowMs;

  const apply = (command: StationCommand, atMs: number): boolean => {
    const before = JSON.stringify(state);
    const r = applyCommand(state, command, atMs);
    if (!r.ok) {
      if (JSON.stringify(state) !== before) throw new Error('a refusal changed the state');
      return false;
    }
    const shadow = checkEvents(state, r.events);
    state = r.state;
    compare(shadow, state);
    checkState(state);
    stats.events += r.events.length;
    return true;
  };

  const checkEvents = (before: StationState, events: StationEvent[]) => {
    const shadow = new Shadow(before);
    // A re-dispatch (time-order fault, recovery) first takes every not-charging car of the mode's working piles;
    // each of them then gets one event, `dispatched` from 'pile' or `requeued` for lack of a place.
    const redispatch = events.some((e) => (e.type === 'dispatched' && e.from === 'pile') ||
      (e.type === 'requeued' && e.cause === 'redispatch') ||
      (e.type === 'pileStateChanged' && (e.state === 'working' || faultPolicy === 'time-order')));
    let pendingPull: Mode | null = null;
    const pulled = shadow.pulled;
    const pull = (mode: Mode) => {
      for (const p of shadow.piles) if (p.mode === mode && p.working) pulled.push(...p.queue.splice(1));
    };
    const pullIfPending = () => {
      if (pendingPull !== null) pull(pendingPull);
      pendingPull = null;
    };
    events.forEach((e, i) => {
      switch (e.type) {
        case 'queued':
          shadow.waiting.push({ orderId: e.orderId, mode: e.mode, remainingWms: e.energyWms, endsAt: null });
          break;
        case 'modified': {
          const index = shadow.waiting.findIndex((c) => c.orderId === e.orderId);
          const car = shadow.take(e.orderId, shadow.waiting);
          car.remainingWms = e.energyWms;
          if (e.mode !== car.mode) {
            car.mode = e.mode;
            shadow.waiting.push(car); // a new number, at the tail
          } else {
            shadow.waiting.splice(index, 0, car);
          }
          break;
        }
        case 'dispatched': {
          pullIfPending();
          const source = e.from === 'waiting' ? shadow.waiting : e.from === 'faultQueue' ? shadow.fault : pulled;
          const car = shadow.find(e.orderId).car;
          if (e.from === 'waiting' && dispatchMode !== 'batch-min-total') {
            // Number order: the earliest waiting car of its mode (single-min-total calls a group of the k earliest
            // together), and only when its mode's fault queue is empty.
            const group = dispatchMode === 'default' ? 1 : events.slice(i).filter((x) =>
              x.type === 'dispatched' && x.from === 'waiting' && x.mode === car.mode && x.at === e.at).length;
            if (!shadow.waiting.filter((c) => c.mode === car.mode).slice(0, group).includes(car)) {
              throw new Error(`${e.orderId} called out of number order`);
            }
            if (shadow.fault.some((c) => c.mode === car.mode)) throw new Error(`${e.orderId} called while its mode has fault-queue cars`);
          }
          if (e.from === 'faultQueue' && !redispatch && shadow.fault.find((c) => c.mode === car.mode) !== car) {
            throw new Error(`${e.orderId} taken out of fault-queue order`);
          }
          shadow.take(e.orderId, source);
          const target = shadow.pile(e.pileNo);
          if (dispatchMode === 'default') {
            const candidates = shadow.piles.filter((p) => p.mode === car.mode && p.working && p.queue.length < M);
            const best = Math.min(...candidates.map((p) => shadow.completion(p, car, e.at)));
            const first = candidates.find((p) => shadow.completion(p, car, e.at) === best);
            if (first !== target) throw new Error(`${e.orderId} sent to ${e.pileNo}, rule 2 says ${first?.pileNo}`);
          }
          if (dispatchMode !== 'batch-min-total' && target.mode !== car.mode) throw new Error('wrong mode');
          target.queue.push(car);
          if (target.queue.length !== e.position) throw new Error(`${e.orderId}: position ${e.position} is not ${target.queue.length}`);
          break;
        }
        case 'sessionStarted': {
          if (started.has(e.sessionId)) throw new Error(`session ${e.sessionId} started twice`);
          started.add(e.sessionId);
          const pile = shadow.pile(e.pileNo);
          const head = pile.queue[0];
          if (head?.orderId !== e.orderId) throw new Error(`${e.sessionId} started on a car that is not the head`);
          if (e.targetWms !== head.remainingWms) throw new Error(`${e.sessionId} targets ${e.targetWms}, lacks ${head.remainingWms}`);
          head.endsAt = e.expectedEndAt;
          break;
        }
        case 'sessionEnded': {
          if (!started.has(e.sessionId) || ended.has(e.sessionId)) throw new Error(`session ${e.sessionId} ended twice or never started`);
          ended.add(e.sessionId);
          const car = shadow.find(e.orderId).car;
          const maxWms = Math.min(car.remainingWms, e.powerW * e.durationMs);
          if (e.energyWms !== maxWms) throw new Error(`${e.sessionId}: ${e.energyWms} Wms is not min(lacking, P × t) = ${maxWms}`);
          if (e.reason === 'completed' && e.energyWms !== car.remainingWms) throw new Error('completed without all its energy');
          car.remainingWms -= e.energyWms;
          car.endsAt = null;
          if (e.remainingWms !== car.remainingWms) throw new Error(`${e.sessionId}: remaining ${e.remainingWms} != ${car.remainingWms}`);
          const fee = feeForConstantPower(DEFAULT_TARIFF, { startMs: e.startedAt, endMs: e.endedAt, powerW: e.powerW, maxEnergyWms: e.energyWms });
          if (fee.totalFen !== e.feeFen || fee.energyWms !== e.energyWms || e.energyFeeFen + e.serviceFeeFen !== e.feeFen) {
            throw new Error(`${e.sessionId}: fee ${e.feeFen} fen, the tariff says ${fee.totalFen}`);
          }
          break;
        }
        case 'orderFinished': {
          const { car, list } = shadow.find(e.orderId);
          if (car.endsAt !== null) throw new Error(`${e.orderId} finished while charging`);
          if (e.deliveredWms > e.requestedWms) throw new Error(`${e.orderId} got more than it asked`);
          if (e.reason === 'completed' && (e.deliveredWms !== e.requestedWms || car.remainingWms !== 0)) throw new Error('short completion');
          list.splice(list.indexOf(car), 1);
          break;
        }
        case 'requeued':
          if (e.cause === 'redispatch') pullIfPending();
          shadow.fault.push(shadow.take(e.orderId, e.cause === 'redispatch' ? pulled : shadow.pile(e.fromPileNo).queue));
          break;
        case 'pileStateChanged': {
          const pile = shadow.pile(e.pileNo);
          pile.working = e.state === 'working';
          if (dispatchMode !== 'default') break;
          if (e.state === 'working') {
            if (shadow.piles.some((p) => p !== pile && p.mode === pile.mode && p.working && p.queue.length > 1)) pull(pile.mode);
          } else if (faultPolicy === 'time-order' && pile.queue.length > 0) {
            pendingPull = pile.mode; // after the faulty pile's own cars have joined the fault queue
          }
          break;
        }
        case 'configured':
          break;
      }
    });
    if (pulled.length > 0) throw new Error('a re-dispatched car got no event');
    return shadow;
  };

  /** The events replayed on the state before give the state after (fault-queue order aside: a re-dispatch
   * leaves it in number order, which the events do not spell out). */
  const compare = (shadow: Shadow, s: StationState) => {
    const ids = (cars: Array<{ orderId: string }>) => cars.map((c) => c.orderId);
    const mine = JSON.stringify([shadow.piles.map((p) => [p.working, ids(p.queue)]), ids(shadow.waiting), ids(shadow.fault).sort()]);
    const theirs = JSON.stringify([s.piles.map((p) => [p.state === 'working', ids(p.queue)]), ids(s.waiting), ids(s.faultQueue).sort()]);
    if (mine !== theirs) throw new Error(`events replay to ${mine}, the station is ${theirs}`);
  };

  const checkState = (s: StationState) => {
    const ids = [...s.piles.flatMap((p) => p.queue), ...s.waiting, ...s.faultQueue];
    if (new Set(ids.map((c) => c.orderId)).size !== ids.length) throw new Error('a car is in two places');
    if (new Set(ids.map((c) => c.carId)).size !== ids.length) throw new Error('a car has two active requests');
    if (s.waiting.length > N) throw new Error('waiting area over N');
    for (const p of s.piles) {
      if (p.queue.length > M) throw new Error(`${p.pileNo} over M`);
      if (p.state !== 'working' && p.queue.length > 0) throw new Error(`${p.pileNo} is down but holds cars`);
      p.queue.forEach((c, i) => {
        if ((i === 0) !== (c.session !== null)) throw new Error(`${p.pileNo}: only the head charges, and it always does`);
      });
    }
    for (const c of ids) {
      if (c.deliveredWms >= c.requestedWms || c.deliveredWms < 0) throw new Error(`${c.orderId} delivered ${c.deliveredWms} of ${c.requestedWms}`);
    }
  };

  for (const step of run.steps) {
    const due = nextDueAt(state);
    now = step.dtMs === -1 ? (due ?? now) : now + step.dtMs;
    const c = step.command;
    const carId = 'car' in c ? `V${c.car}` : '';
    const current = `${carId}.${orders.get('car' in c ? c.car : -1) ?? 0}`;
    switch (c.type) {
      case 'submit': {
        const n = (orders.get(c.car) ?? 0) + 1;
        if (apply({ type: 'submit', orderId: `${carId}.${n}`, userId: carId, carId, mode: c.mode, energyWms: (c.kwh * KWH) / 10 }, now)) {
          orders.set(c.car, n);
        }
        break;
      }
      case 'modify':
        apply({ type: 'modify', orderId: current, mode: c.mode, energyWms: c.kwh === null ? null : (c.kwh * KWH) / 10 }, now);
        break;
      case 'cancel':
        apply({ type: 'cancel', orderId: current }, now);
        break;
      case 'advance':
        apply({ type: 'advance' }, now);
        break;
      default:
        apply({ type: c.type as 'pileFault', pileNo: c.pile }, now);
    }
  }
  // Bring every pile back and let the clock run out: every session that started has ended exactly once.
  for (const p of state.piles) if (p.state !== 'working') apply({ type: 'pileOn', pileNo: p.pileNo }, now);
  for (let due = nextDueAt(state); due !== null; due = nextDueAt(state)) apply({ type: 'advance' }, due);
  if (started.size !== ended.size) throw new Error(`${started.size} sessions started, ${ended.size} ended`);
  if (state.piles.some((p) => p.queue.length > 0) || state.faultQueue.length > 0) throw new Error('cars left in the charging area');
  if (dispatchMode !== 'batch-min-total' && state.waiting.length > 0) throw new Error('cars left waiting');
}

t.test('properties over random command sequences', async (t) => {
  const details = fc.check(fc.property(arbRun, (run) => {
    check(run);
    return true;
  }), { numRuns: 400 });
  if (details.failed) {
    t.fail(`${String((details.errorInstance as Error | null)?.message)}\ncounterexample: ${JSON.stringify(details.counterexample)}`);
  }
  t.ok(stats.events > 20_000, `${stats.events} events checked`);
  t.pass('each car in one place; queues within M and N; number order; rule 2 on every call; energy within the ' +
    'request; every session ends once; fees are the tariff\'s');
});

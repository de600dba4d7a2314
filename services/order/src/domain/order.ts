// The order aggregate as pure functions: how each scheduler/billing event and each scheduler RPC answer moves a
// stored order. No I/O here; the repository persists what these return.
//
// Delivery is at-least-once and events of one order may be handled out of order (concurrent consumers,
// redelivery, the RPC answer racing its own events). So:
// - an event id already applied changes nothing;
// - the state moves only forward in (clock time, flow rank) order: an older event arriving late fills in facts but
//   does not move the state back; finished and cancelled are final;
// - sessions and bills are kept by id and every total is derived from them, so nothing can be counted twice;
// - the scheduler's events carry `orderSeq`, which grows with every event of the order: it orders what (time,
//   rank) cannot (two changes at one instant), so an older event applied after a newer one never overwrites what
//   the newer one set. Such a stale event only fills in facts no applied event carried (e.g. the requested energy
//   of a late order.queued); when it adds none it is dropped.
import type {
  Bill,
  ChargeMode,
  Envelope,
  OrderState,
  OrderView,
  PaymentMethod,
  QueueEntryView,
  SessionEnded,
  SessionStarted,
  TierSplit,
  WalkUpSessionView,
} from '@voltq/contracts';

export type OrderEventType =
  | 'order.queued'
  | 'order.dispatched'
  | 'order.modified'
  | 'order.requeued'
  | 'order.cancelled'
  | 'order.finished'
  | 'session.started'
  | 'session.ended'
  | 'bill.created';

export const ORDER_EVENT_TYPES: OrderEventType[] = [
  'order.queued',
  'order.dispatched',
  'order.modified',
  'order.requeued',
  'order.cancelled',
  'order.finished',
  'session.started',
  'session.ended',
  'bill.created',
];

export const LIVE_STATES: OrderState[] = ['waiting', 'dispatched', 'charging', 'fault-queued'];
const FINAL_STATES: OrderState[] = ['finished', 'cancelled', 'refused'];

export function isFinal(state: OrderState): boolean {
  return FINAL_STATES.includes(state);
}

/**
 * Where an event sits in one order's flow when several happen at the same clock instant (e.g. a session ends,
 * the car is re-queued, dispatched and started again all at one instant).
 */
const RANK = {
  answer: -1, // a scheduler RPC answer: the state as of the request, overridden by any event
  queued: 0,
  modified: 1,
  sessionEnded: 2,
  requeued: 3,
  dispatched: 4,
  sessionStarted: 5,
  finished: 6,
  cancelled: 7,
} as const;

export interface SessionRecord {
  sessionId: string;
  pileNo: string;
  powerW: number;
  startedAt: number;
  endedAt?: number;
  energyWms?: number;
  reason?: string;
  billId?: string;
}

export interface BillRecord {
  billId: string;
  sessionId: string;
  endedAt: number;
  energyWms: number;
  energyFeeFen: number;
  serviceFeeFen: number;
  totalFen: number;
  tiers: TierSplit[];
  /** a walk-up bill: debited from the balance when it was made, and the rest owed */
  paidFen?: number;
  owedFen?: number;
}

export interface RequeueRecord {
  atMs: number;
  fromPileNo: string;
  reason: string;
  detail?: string;
}

/** One event's say on the state: a state, at a (clock time, rank) key. */
export interface StateClaim {
  state: OrderState;
  atMs: number;
  rank: number;
  /** the event's orderSeq (ties at one (time, rank) go to the larger) */
  seq?: number;
  pileNo?: string;
  sessionId?: string;
}

/** The stored order (MongoDB `orders`). */
export interface OrderDoc {
  orderId: string;
  orderNo?: string;
  userId: string;
  carId?: string;
  /** the client's idempotency key (the orderId is derived from it and the user) */
  idempotencyKey?: string;
  /** what was asked at creation (station, car, mode, energy): a retry must ask the same */
  requestFingerprint?: string;
  stationId: string;
  mode?: ChargeMode;
  energyWms?: number;
  queueNo?: string;
  /** (time, rank) of what set mode/energy/queueNo */
  requestAtMs: number;
  requestRank: number;
  /** orderSeq of what set mode/energy/queueNo (when it carried one) */
  requestSeq?: number;
  /** the largest orderSeq applied */
  lastSeq?: number;
  /** derived from `claims` after every change (stored for queries) */
  state: OrderState;
  /** what each state-moving event said, with its (time, rank) */
  claims: StateClaim[];
  pileNo?: string;
  /** the running session */
  sessionId?: string;
  stoppedSessionId?: string;
  cancelReason?: string;
  endedAt?: number;
  sessions: SessionRecord[];
  bills: BillRecord[];
  /** each return to the fault queue (rule 5, or a start the pile never confirmed), as the events said */
  requeues?: RequeueRecord[];
  eventIds: string[];
  createdAt: number;
  updatedAt: number;
  // ---- walk-up orders (document 004): a port of a pile, started at once; absent on queue-station orders ----
  kind?: 'queue' | 'walk-up';
  deviceId?: string;
  pileId?: string;
  portNo?: number;
  origin?: 'app' | 'card';
  chargingMode?: 1 | 2 | 3 | 4;
  limitFeeFen?: number;
  limitDurationMs?: number;
  limitEnergyWms?: number;
  paymentMethod?: PaymentMethod;
  /** the WeChat prepay made at create */
  paymentId?: string;
  /** 004's stopReason of the session's end */
  stopReasonCode?: number;
}

interface Key {
  atMs: number;
  rank: number;
  seq?: number;
}

function compareKeys(a: Key, b: Key): number {
  return a.atMs - b.atMs || a.rank - b.rank || (a.seq !== undefined && b.seq !== undefined ? a.seq - b.seq : 0);
}

/** Whether what `k` says about the request is news: by orderSeq when both have one, else by (time, rank). */
function requestNotBelow(k: Key, doc: OrderDoc): boolean {
  if (k.seq !== undefined && doc.requestSeq !== undefined) return k.seq > doc.requestSeq;
  return compareKeys(k, { atMs: doc.requestAtMs, rank: doc.requestRank }) >= 0;
}

/**
 * The key a claim competes with. A charging claim whose session has ended counts from the session's end (what
 * follows the end - finished, re-queued, dispatched again - wins even at the same instant). A dispatch that led to
 * a session on that pile counts just below that session's claim: the session supersedes it.
 */
function effectiveKey(doc: OrderDoc, c: StateClaim): Key {
  const seq = c.seq !== undefined ? { seq: c.seq } : {};
  if (c.state === 'charging' && c.sessionId !== undefined) {
    const k = sessionKey(doc, c.sessionId);
    return k ? { ...k, ...seq } : c;
  }
  if (c.state === 'dispatched' && c.pileNo !== undefined) {
    const next = doc.sessions.find((s) => s.pileNo === c.pileNo && s.startedAt >= c.atMs);
    const k = next && sessionKey(doc, next.sessionId);
    if (k) return { atMs: k.atMs, rank: k.rank - 0.5, ...seq };
  }
  return c;
}

function sessionKey(doc: OrderDoc, sessionId: string): Key | undefined {
  const s = sessionOf(doc, sessionId);
  if (!s) return undefined;
  return s.endedAt !== undefined ? { atMs: s.endedAt, rank: RANK.sessionEnded } : { atMs: s.startedAt, rank: RANK.sessionStarted };
}

/**
 * The state is derived from every claim seen so far, so the arrival order does not matter: a final claim
 * (finished, cancelled) wins, the earliest of them; otherwise the claim with the highest effective key.
 */
function derive(doc: OrderDoc): void {
  const finals = doc.claims.filter((c) => isFinal(c.state)).sort(compareKeys);
  let winner: StateClaim | undefined = finals[0];
  if (!winner) {
    let best: Key | undefined;
    for (const c of doc.claims) {
      const k = effectiveKey(doc, c);
      if (!best || compareKeys(k, best) >= 0) {
        best = k;
        winner = c;
      }
    }
  }
  if (!winner) return; // nothing but facts yet: keep the skeleton's state
  doc.state = winner.state;
  if (winner.pileNo !== undefined) doc.pileNo = winner.pileNo;
  else delete doc.pileNo;
  const running = winner.state === 'charging' && winner.sessionId !== undefined && sessionOf(doc, winner.sessionId)?.endedAt === undefined;
  if (running) doc.sessionId = winner.sessionId!;
  else delete doc.sessionId;
  if (isFinal(winner.state)) doc.endedAt = winner.atMs;
  else delete doc.endedAt;
}

function claim(doc: OrderDoc, c: StateClaim): void {
  // the same event re-published under another envelope id says nothing new
  const same = (x: StateClaim) =>
    x.state === c.state && x.atMs === c.atMs && x.rank === c.rank && x.pileNo === c.pileNo && x.sessionId === c.sessionId &&
    x.seq === c.seq;
  if (!doc.claims.some(same)) doc.claims.push(c);
}

/** A skeleton for an order first seen through an event: facts fill in as they arrive. */
function skeleton(orderId: string, userId: string, stationId: string, atMs: number): OrderDoc {
  return {
    orderId,
    userId,
    stationId,
    requestAtMs: 0,
    requestRank: -2,
    state: 'waiting',
    claims: [],
    sessions: [],
    bills: [],
    eventIds: [],
    createdAt: atMs,
    updatedAt: atMs,
  };
}

function clone(doc: OrderDoc): OrderDoc {
  return structuredClone(doc);
}

function sessionOf(doc: OrderDoc, sessionId: string): SessionRecord | undefined {
  return doc.sessions.find((s) => s.sessionId === sessionId);
}

function upsertSession(doc: OrderDoc, rec: SessionRecord): SessionRecord {
  const found = sessionOf(doc, rec.sessionId);
  if (found) return found;
  doc.sessions.push(rec);
  doc.sessions.sort((a, b) => a.startedAt - b.startedAt || a.sessionId.localeCompare(b.sessionId));
  return rec;
}

function setRequest(doc: OrderDoc, k: Key, fields: { mode?: ChargeMode; energyWms?: number; queueNo?: string }): void {
  if (!requestNotBelow(k, doc)) return;
  if (fields.mode !== undefined) doc.mode = fields.mode;
  if (fields.energyWms !== undefined) doc.energyWms = fields.energyWms;
  if (fields.queueNo !== undefined) doc.queueNo = fields.queueNo;
  doc.requestAtMs = k.atMs;
  doc.requestRank = k.rank;
  if (k.seq !== undefined) doc.requestSeq = k.seq;
}

type OrderEnvelope = Envelope<OrderEventType>;

/**
 * Applies one event to the stored order (undefined: not stored yet). Returns the new document, or undefined when
 * the event changes nothing (already applied). `nowMs` is the clock time of handling (updatedAt).
 */
export function applyEvent(current: OrderDoc | undefined, env: OrderEnvelope, nowMs: number): OrderDoc | undefined {
  if (current?.eventIds.includes(env.id)) return undefined;
  const doc = current ? clone(current) : skeletonFor(env);
  applyTo(doc, env);
  const seq = orderSeqOf(env);
  if (seq !== undefined) doc.lastSeq = Math.max(doc.lastSeq ?? seq, seq);
  derive(doc);
  // an event that adds nothing (a re-publication under a new id) is not written at all
  if (current && sameFacts(current, doc)) return undefined;
  doc.eventIds.push(env.id);
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

/** The event's per-order sequence, when the scheduler stamped one (billing's events have none). */
export function orderSeqOf(env: OrderEnvelope): number | undefined {
  const p = env.payload as { orderSeq?: unknown };
  return typeof p.orderSeq === 'number' ? p.orderSeq : undefined;
}

/** An event older than (or as old as) the newest one applied to the order: it cannot overwrite anything. */
export function isStale(current: OrderDoc | undefined, env: OrderEnvelope): boolean {
  const seq = orderSeqOf(env);
  return seq !== undefined && current?.lastSeq !== undefined && seq <= current.lastSeq;
}

function sameFacts(a: OrderDoc, b: OrderDoc): boolean {
  const facts = (d: OrderDoc) => JSON.stringify({ ...d, eventIds: undefined, updatedAt: undefined });
  return facts(a) === facts(b);
}

function skeletonFor(env: OrderEnvelope): OrderDoc {
  const p = env.payload;
  const atMs = eventTime(env);
  const doc = skeleton(p.orderId, p.userId, p.stationId, atMs);
  if ('carId' in p && p.carId !== undefined) doc.carId = p.carId;
  if ('queueNo' in p && p.queueNo !== undefined) doc.queueNo = p.queueNo;
  if ('mode' in p && p.mode !== undefined) doc.mode = p.mode;
  return doc;
}

type NumberFields<T> = { [P in keyof T]-?: T[P] extends number ? P : never }[keyof T];

/** Which payload field holds the clock instant each event speaks of (a bill: the end of its session). */
const TIME_FIELD: { [K in OrderEventType]: NumberFields<Envelope<K>['payload']> } = {
  'order.queued': 'queuedAt',
  'order.dispatched': 'dispatchedAt',
  'order.modified': 'modifiedAt',
  'order.requeued': 'requeuedAt',
  'order.cancelled': 'cancelledAt',
  'order.finished': 'finishedAt',
  'session.started': 'startedAt',
  'session.ended': 'endedAt',
  'bill.created': 'endedAt',
};

function eventTime(env: OrderEnvelope): number {
  // TIME_FIELD's type guarantees a number field of that event's own payload
  return (env.payload as unknown as Record<string, number>)[TIME_FIELD[env.type]]!;
}

function seqOf(p: { orderSeq?: number }): { seq?: number } {
  return p.orderSeq !== undefined ? { seq: p.orderSeq } : {};
}

function applyTo(doc: OrderDoc, env: OrderEnvelope): void {
  switch (env.type) {
    case 'order.queued': {
      const p = env.payload;
      const k = { atMs: p.queuedAt, rank: RANK.queued, ...seqOf(p) };
      if (p.carId !== undefined) doc.carId ??= p.carId;
      doc.createdAt = Math.min(doc.createdAt, p.queuedAt);
      setRequest(doc, k, { mode: p.mode, energyWms: p.energyWms, queueNo: p.queueNo });
      claim(doc, { state: 'waiting', ...k });
      return;
    }
    case 'order.modified': {
      const p = env.payload;
      setRequest(doc, { atMs: p.modifiedAt, rank: RANK.modified, ...seqOf(p) }, { mode: p.mode, energyWms: p.energyWms, queueNo: p.queueNo });
      return;
    }
    case 'order.dispatched': {
      const p = env.payload;
      doc.queueNo ??= p.queueNo;
      claim(doc, { state: 'dispatched', atMs: p.dispatchedAt, rank: RANK.dispatched, pileNo: p.pileNo, ...seqOf(p) });
      return;
    }
    case 'order.requeued': {
      const p = env.payload;
      doc.queueNo ??= p.queueNo;
      claim(doc, { state: 'fault-queued', atMs: p.requeuedAt, rank: RANK.requeued, ...seqOf(p) });
      const rec: RequeueRecord = { atMs: p.requeuedAt, fromPileNo: p.fromPileNo, reason: p.reason, ...(p.detail !== undefined ? { detail: p.detail } : {}) };
      doc.requeues = [...(doc.requeues ?? []), rec].sort((a, b) => a.atMs - b.atMs);
      return;
    }
    case 'order.finished': {
      const p = env.payload;
      doc.queueNo ??= p.queueNo;
      claim(doc, { state: 'finished', atMs: p.finishedAt, rank: RANK.finished, ...seqOf(p) });
      return;
    }
    case 'order.cancelled': {
      const p = env.payload;
      doc.queueNo ??= p.queueNo;
      if (p.sessionId !== undefined) doc.stoppedSessionId ??= p.sessionId;
      if (p.reason !== undefined) doc.cancelReason ??= p.reason;
      claim(doc, { state: 'cancelled', atMs: p.cancelledAt, rank: RANK.cancelled, ...seqOf(p) });
      return;
    }
    case 'session.started': {
      const p = env.payload;
      if (p.carId !== undefined) doc.carId ??= p.carId;
      doc.mode ??= p.mode;
      upsertSession(doc, { sessionId: p.sessionId, pileNo: p.pileNo, powerW: p.powerW, startedAt: p.startedAt });
      claim(doc, { state: 'charging', atMs: p.startedAt, rank: RANK.sessionStarted, pileNo: p.pileNo, sessionId: p.sessionId, ...seqOf(p) });
      if (p.kind === 'walk-up') walkUpFacts(doc, p);
      return;
    }
    case 'session.ended': {
      const p = env.payload;
      const rec = upsertSession(doc, { sessionId: p.sessionId, pileNo: p.pileNo, powerW: p.powerW, startedAt: p.startedAt });
      rec.endedAt = p.endedAt;
      rec.energyWms = p.energyWms;
      rec.reason = p.reason;
      if (p.kind === 'walk-up' || doc.kind === 'walk-up') {
        // a walk-up order is its one session: its end finishes the order (no order.finished follows)
        walkUpFacts(doc, p);
        if (p.stopReason !== undefined) doc.stopReasonCode = p.stopReason;
        claim(doc, { state: 'finished', atMs: p.endedAt, rank: RANK.finished, ...seqOf(p) });
      }
      return;
    }
    case 'bill.created': {
      linkBill(doc, env.payload);
      return;
    }
  }
}

function linkBill(doc: OrderDoc, bill: Bill): void {
  if (doc.bills.some((b) => b.billId === bill.billId)) return;
  doc.bills.push({
    billId: bill.billId,
    sessionId: bill.sessionId,
    endedAt: bill.endedAt,
    energyWms: bill.energyWms,
    energyFeeFen: bill.energyFeeFen,
    serviceFeeFen: bill.serviceFeeFen,
    totalFen: bill.totalFen,
    tiers: bill.tiers.map((t) => ({ tier: t.tier, energyWms: t.energyWms, energyFeeFen: t.energyFeeFen })),
    ...(bill.paidFen !== undefined ? { paidFen: bill.paidFen } : {}),
    ...(bill.owedFen !== undefined ? { owedFen: bill.owedFen } : {}),
  });
  doc.bills.sort((a, b) => a.endedAt - b.endedAt || a.billId.localeCompare(b.billId));
  const rec = upsertSession(doc, {
    sessionId: bill.sessionId,
    pileNo: bill.pileNo,
    powerW: bill.powerW,
    startedAt: bill.startedAt,
  });
  rec.billId = bill.billId;
  // the bill may arrive before session.ended: it carries the same facts
  rec.endedAt ??= bill.endedAt;
  rec.energyWms ??= bill.energyWms;
  rec.reason ??= bill.reason;
}

/** What a walk-up session's events say about its order (the first word on each fact wins: they never change). */
function walkUpFacts(doc: OrderDoc, p: SessionStarted | SessionEnded): void {
  doc.kind = 'walk-up';
  if (p.orderNo !== undefined) doc.orderNo ??= p.orderNo;
  if (p.deviceId !== undefined) doc.deviceId ??= p.deviceId;
  if (p.pileId !== undefined) doc.pileId ??= p.pileId;
  if (p.portNo !== undefined) doc.portNo ??= p.portNo;
  if (p.origin !== undefined) doc.origin ??= p.origin;
  if (p.chargingMode !== undefined) doc.chargingMode ??= p.chargingMode;
  if (p.paymentMethod !== undefined) doc.paymentMethod ??= p.paymentMethod;
  if (p.limitFeeFen !== undefined) doc.limitFeeFen ??= p.limitFeeFen;
  if (p.limitDurationMs !== undefined) doc.limitDurationMs ??= p.limitDurationMs;
  if (p.limitEnergyWms !== undefined) doc.limitEnergyWms ??= p.limitEnergyWms;
  if (doc.limitEnergyWms !== undefined) doc.energyWms ??= doc.limitEnergyWms;
}

/** What order.createWalkUp stores with the scheduler's answer. */
export interface WalkUpRequest {
  orderId: string;
  orderNo: string;
  userId: string;
  stationId: string;
  deviceId: string;
  pileId: string;
  portNo: number;
  mode: ChargeMode;
  chargingMode: 1 | 2 | 3 | 4;
  limitFeeFen?: number;
  limitDurationMs?: number;
  limitEnergyWms?: number;
  paymentMethod: PaymentMethod;
  createdAt: number;
  idempotencyKey?: string;
  /** walkUpFingerprint of the request */
  fingerprint: string;
}

/** `scheduler.startWalkUp` accepted: the order charging on its port (its session events may be here already). */
export function applyWalkUpStart(current: OrderDoc | undefined, req: WalkUpRequest, answer: WalkUpSessionView, nowMs: number): OrderDoc {
  const doc = current ? clone(current) : skeleton(req.orderId, req.userId, req.stationId, req.createdAt);
  doc.orderNo ??= req.orderNo;
  doc.requestFingerprint ??= req.fingerprint;
  if (req.idempotencyKey !== undefined) doc.idempotencyKey ??= req.idempotencyKey;
  doc.createdAt = Math.min(doc.createdAt, req.createdAt);
  doc.kind = 'walk-up';
  doc.mode ??= req.mode;
  doc.deviceId ??= req.deviceId;
  doc.pileId ??= req.pileId;
  doc.portNo ??= req.portNo;
  doc.origin ??= 'app';
  doc.chargingMode ??= req.chargingMode;
  doc.paymentMethod ??= req.paymentMethod;
  if (req.limitFeeFen !== undefined) doc.limitFeeFen ??= req.limitFeeFen;
  if (req.limitDurationMs !== undefined) doc.limitDurationMs ??= req.limitDurationMs;
  if (req.limitEnergyWms !== undefined) doc.limitEnergyWms ??= req.limitEnergyWms;
  doc.energyWms ??= req.limitEnergyWms ?? 0;
  applySessionAnswer(doc, answer);
  derive(doc);
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

/** `scheduler.stopWalkUp` answered: stopping (the end follows as session.ended), or ended already. */
export function applyWalkUpStop(current: OrderDoc, answer: WalkUpSessionView, nowMs: number): OrderDoc {
  const doc = clone(current);
  applySessionAnswer(doc, answer);
  derive(doc);
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

/** The scheduler's view of the walk-up session, as the session events would say it. */
function applySessionAnswer(doc: OrderDoc, answer: WalkUpSessionView): void {
  const rec = upsertSession(doc, { sessionId: answer.sessionId, pileNo: answer.pileNo, powerW: answer.powerW, startedAt: answer.startedAt });
  claim(doc, { state: 'charging', atMs: answer.startedAt, rank: RANK.sessionStarted, pileNo: answer.pileNo, sessionId: answer.sessionId });
  if ((answer.state === 'ended' || answer.state === 'failed') && answer.endedAt !== undefined) {
    rec.endedAt ??= answer.endedAt;
    rec.energyWms ??= answer.energyWms;
    if (answer.stopReason !== undefined) doc.stopReasonCode ??= answer.stopReason;
    claim(doc, { state: 'finished', atMs: answer.endedAt, rank: RANK.finished });
  }
}

/** The prepay a WeChat-paid walk-up order made at create. */
export function withPaymentId(current: OrderDoc, paymentId: string, nowMs: number): OrderDoc {
  const doc = clone(current);
  doc.paymentId ??= paymentId;
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

/** What the order service stores from `scheduler.submit`'s answer (events may have created the order already). */
export interface RequestFacts {
  orderId: string;
  orderNo: string;
  userId: string;
  carId?: string;
  stationId: string;
  mode: ChargeMode;
  energyWms: number;
  createdAt: number;
  idempotencyKey?: string;
}

/** What a request asks for, as one comparable string: two requests with the same one are the same request. */
export function requestFingerprint(req: { stationId: string; carId?: string; mode: ChargeMode; energyWms: number }): string {
  return JSON.stringify([req.stationId, req.carId ?? null, req.mode, req.energyWms]);
}

/**
 * Whether a stored order is what `req` asks for: by the fingerprint it was created with, or (orders stored before
 * fingerprints) by its current request.
 */
export function sameRequest(doc: OrderDoc, req: { stationId: string; carId?: string; mode: ChargeMode; energyWms: number }): boolean {
  if (doc.requestFingerprint !== undefined) return doc.requestFingerprint === requestFingerprint(req);
  return doc.stationId === req.stationId && doc.carId === req.carId && doc.mode === req.mode && doc.energyWms === req.energyWms;
}

export function applyRequestAnswer(current: OrderDoc | undefined, req: RequestFacts, answer: QueueEntryView, nowMs: number): OrderDoc {
  const doc = current ? clone(current) : skeleton(req.orderId, req.userId, req.stationId, req.createdAt);
  // a retry (same idempotency key) keeps the number the first call gave
  doc.orderNo ??= req.orderNo;
  doc.requestFingerprint ??= requestFingerprint(req);
  if (req.idempotencyKey !== undefined) doc.idempotencyKey ??= req.idempotencyKey;
  if (req.carId !== undefined) doc.carId ??= req.carId;
  doc.createdAt = Math.min(doc.createdAt, req.createdAt);
  // the answer describes the request as submitted: any event about it is at least as new
  setRequest(doc, { atMs: 0, rank: RANK.answer }, { mode: answer.mode, energyWms: answer.energyWms, queueNo: answer.queueNo });
  if (!doc.claims.some((c) => c.rank === RANK.answer)) {
    const c: StateClaim = { state: answer.state, atMs: 0, rank: RANK.answer };
    if (answer.pileNo !== undefined) c.pileNo = answer.pileNo;
    claim(doc, c);
  }
  derive(doc);
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

/** `scheduler.modify` accepted: the new mode/amount/number, as of now (its order.modified event says the same). */
export function applyModifyAnswer(current: OrderDoc, answer: QueueEntryView, nowMs: number): OrderDoc {
  const doc = clone(current);
  // the answer's orderSeq is newer than the events of its own write and older than any later write's
  setRequest(doc, { atMs: nowMs, rank: RANK.modified, ...seqOf(answer) }, { mode: answer.mode, energyWms: answer.energyWms, queueNo: answer.queueNo });
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

/** `scheduler.cancel` accepted. */
export function applyCancelAnswer(current: OrderDoc, answer: { sessionId?: string }, reason: string | undefined, nowMs: number): OrderDoc {
  const doc = clone(current);
  if (answer.sessionId !== undefined) doc.stoppedSessionId ??= answer.sessionId;
  if (reason !== undefined) doc.cancelReason ??= reason;
  claim(doc, { state: 'cancelled', atMs: nowMs, rank: RANK.cancelled });
  derive(doc);
  doc.updatedAt = Math.max(doc.updatedAt, nowMs);
  return doc;
}

function modeFromQueueNo(queueNo: string | undefined): ChargeMode | undefined {
  if (queueNo?.startsWith('F')) return 'fast';
  if (queueNo?.startsWith('T')) return 'slow';
  return undefined;
}

/** Sums tier lines by tier, in the order tiers first appear. */
export function sumTiers(lists: TierSplit[][]): TierSplit[] {
  const byTier = new Map<string, TierSplit>();
  for (const list of lists) {
    for (const t of list) {
      const line = byTier.get(t.tier);
      if (line) {
        line.energyWms += t.energyWms;
        line.energyFeeFen += t.energyFeeFen;
      } else {
        byTier.set(t.tier, { tier: t.tier, energyWms: t.energyWms, energyFeeFen: t.energyFeeFen });
      }
    }
  }
  return [...byTier.values()];
}

export function toView(doc: OrderDoc): OrderView {
  const sum = (f: (b: BillRecord) => number) => doc.bills.reduce((acc, b) => acc + f(b), 0);
  const latest = doc.sessions.at(-1);
  const view: OrderView = {
    orderId: doc.orderId,
    orderNo: doc.orderNo ?? doc.orderId,
    userId: doc.userId,
    stationId: doc.stationId,
    mode: doc.mode ?? modeFromQueueNo(doc.queueNo) ?? 'fast',
    energyWms: doc.energyWms ?? 0,
    requestChargedWms: doc.sessions.reduce((acc, s) => acc + (s.energyWms ?? 0), 0),
    energyFeeFen: sum((b) => b.energyFeeFen),
    serviceFeeFen: sum((b) => b.serviceFeeFen),
    requestFeeFen: sum((b) => b.totalFen),
    tiers: sumTiers(doc.bills.map((b) => b.tiers)),
    chargingMs: doc.sessions.reduce((acc, s) => acc + (s.endedAt === undefined ? 0 : s.endedAt - s.startedAt), 0),
    state: doc.state,
    billIds: doc.bills.map((b) => b.billId),
    sessions: doc.sessions.map((s) => ({ ...s })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.carId !== undefined) view.carId = doc.carId;
  if (doc.queueNo !== undefined) view.queueNo = doc.queueNo;
  if (doc.pileNo !== undefined) view.pileNo = doc.pileNo;
  else if (isFinal(doc.state) && latest) view.pileNo = latest.pileNo;
  if (latest) {
    view.powerW = latest.powerW;
    view.startedAt = doc.sessions[0]?.startedAt ?? latest.startedAt;
    if (latest.reason !== undefined) view.stopReason = latest.reason;
  }
  if (doc.sessionId !== undefined) view.sessionId = doc.sessionId;
  if (doc.stoppedSessionId !== undefined) view.stoppedSessionId = doc.stoppedSessionId;
  if (doc.endedAt !== undefined) view.endedAt = doc.endedAt;
  if (doc.requeues?.length) view.requeues = doc.requeues.map((r) => ({ ...r }));
  if (doc.kind === 'walk-up') walkUpView(view, doc);
  return view;
}

const WALK_UP_FIELDS = [
  'kind', 'deviceId', 'pileId', 'portNo', 'origin', 'chargingMode', 'limitFeeFen', 'limitDurationMs', 'limitEnergyWms',
  'paymentMethod', 'paymentId', 'stopReasonCode',
] as const;

/** A walk-up order's own fields, and what its bills say was paid (paymentStatus 1 once a bill is made and nothing is owed). */
function walkUpView(view: OrderView, doc: OrderDoc): void {
  const out = view as Record<string, unknown>;
  for (const k of WALK_UP_FIELDS) if (doc[k] !== undefined) out[k] = doc[k];
  const paidFen = doc.bills.reduce((a, b) => a + (b.paidFen ?? 0), 0);
  const owedFen = doc.bills.reduce((a, b) => a + (b.owedFen ?? 0), 0);
  view.paidFen = paidFen;
  view.owedFen = owedFen;
  view.paymentStatus = doc.bills.length > 0 && owedFen === 0 ? 1 : 0;
}

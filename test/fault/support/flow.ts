// The flow of 60 users every fault scenario runs, and the invariants checked after it (issue 8, "Fault tests").
//
// The station's clock is manual and only this flow moves it, so a round is the same every time: half the users
// apply, the clock moves, the fault strikes, the other half apply while it lasts (retrying a 5xx or no answer
// with the same Idempotency-Key, as an app would), the clock runs on until every order is done, then:
//  - no accepted request lost: every request answered 200 is an order of its user and ends finished;
//  - no order stuck: every order of the round reaches a final state;
//  - no bill without a pile-reported session: each bill's session is one a simulated pile was told to start
//    and started;
//  - no duplicate bill number (over every bill of the file's rounds);
//  - board and piles agree: the board's CHARGING piles are the piles the simulators say are charging, mid-flow
//    (after the fault) and at the end (none);
//  - every service's /readyz is ready again within 15 s of the fault's end, by itself.
import type { Test } from 'tap';
import { describe, type Answer } from './api.js';
import { ADMIN, STATION, readyWithin, type FaultPlatform } from './harness.js';

export const USERS = 60;
const STEP_S = 240;
const MAX_STEPS = 30;
const READY_WITHIN_MS = 15_000;
const PASSWORD = 'fault-password-123';
const DAY = '2026-03-02';

export interface FlowUser {
  index: number;
  username: string;
  token: string;
}

export interface Flow {
  h: FaultPlatform;
  users: FlowUser[];
  adminToken: string;
  /** every bill number seen in earlier rounds, with its bill id */
  billNos: Map<string, string>;
  rounds: number;
}

/** A scenario's fault: `run` strikes while the flow goes on, calls `over()` at the instant the fault is over (a
 * killed service: at once, since the supervisor's restart counts as "by itself"; the broker or cache: once it
 * accepts connections again), from which every service must be ready within 15 s, and resolves when done. */
export interface Fault {
  name: string;
  run(h: FaultPlatform, over: () => void): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

function ok(a: Answer): boolean {
  return a.status === 200 && a.body?.code === 0;
}

/** Admin login, the manual clock, a waiting area for everyone, 60 registered users. */
export async function setupFlow(h: FaultPlatform): Promise<Flow> {
  const login = await h.api.post('/api/admin/login', ADMIN);
  if (!ok(login)) throw new Error(`admin login: ${describe(login)}`);
  const adminToken = login.body.data.token as string;
  const clock = await h.api.put('/api/admin/clock', { mode: 'manual', time: `${DAY}T08:00:00+08:00` }, { token: adminToken });
  if (!ok(clock)) throw new Error(`manual clock: ${describe(clock)}`);
  // every user of a round fits in the waiting area, so a refusal for a full area never hides a lost request
  const config = await h.api.put(`/api/admin/stations/${STATION}/config`, { waitingAreaSize: USERS }, { token: adminToken });
  if (!ok(config)) throw new Error(`station config: ${describe(config)}`);
  const users: FlowUser[] = [];
  await inBatches([...Array(USERS).keys()], 10, async (index) => {
    const username = `${h.label.replace(/[^a-z0-9]/gi, '')}u${index}`;
    const reg = await h.api.post('/api/user/register', { username, password: PASSWORD }, { retryForMs: 60_000 });
    if (!ok(reg)) throw new Error(`register ${username}: ${describe(reg)}`);
    users[index] = { index, username, token: reg.body.data.token as string };
  });
  return { h, users, adminToken, billNos: new Map(), rounds: 0 };
}

/** What a round saw, for the invariants and their messages. */
export interface RoundReport {
  fault: string;
  /** user index -> the order its 200 answer named */
  accepted: Map<number, string>;
  /** users whose request was created although no 200 said so (found through /current after a refusal) */
  adopted: Map<number, string>;
  /** users that never got a request in (gave up), with the last answer */
  notAccepted: Map<number, string>;
  orders: Map<number, { id: string; status: number }[]>;
  bills: { billId: string; billNo: string; sessionId: string; orderId: string; user: number }[];
  ready: { ms: number; unready: string[] };
  boardMismatch: string[];
  steps: number;
  realMs: number;
  /** calls the clients retried while the fault lasted (5xx, 429, no answer) */
  retried: number;
  notes: string[];
}

/** Runs one round of the flow with `fault` striking in its middle. */
export async function runRound(flow: Flow, fault: Fault): Promise<RoundReport> {
  const { h } = flow;
  const started = Date.now();
  const round = ++flow.rounds;
  const report: RoundReport = {
    fault: fault.name,
    accepted: new Map(),
    adopted: new Map(),
    notAccepted: new Map(),
    orders: new Map(),
    bills: [],
    ready: { ms: 0, unready: [] },
    boardMismatch: [],
    steps: 0,
    realMs: 0,
    retried: 0,
    notes: [],
  };
  const roundStartOrders = await ordersOfUsers(flow);
  const known = new Set([...roundStartOrders.values()].flat().map((o) => o.id));

  const admin = (a: { retryForMs?: number } = {}) => ({ token: flow.adminToken, retryForMs: a.retryForMs ?? 20_000 });
  const pending = new Set<number>([...Array(USERS).keys()]);
  const gaveUp = new Set<number>();

  const apply = async (i: number) => {
    const user = flow.users[i]!;
    const fast = i % 2 === 0;
    const body = { mode: fast ? 'fast' : 'slow', energyKwh: fast ? 1 + (i % 3) * 0.5 : 0.5 + (i % 2) * 0.5 };
    const key = `${h.namespace}-r${round}-u${i}`;
    const a = await h.api.post('/api/queue/requests', body, { token: user.token, idempotencyKey: key, retryForMs: 15_000 });
    if (ok(a)) {
      report.accepted.set(i, a.body.data.orderId as string);
      pending.delete(i);
      return;
    }
    report.notAccepted.set(i, describe(a));
    if (a.status === 0 || a.status >= 500 || a.status === 429) return; // still failing: the app tries again later
    if (a.body?.code === 3005 && /full/i.test(String(a.body?.message))) return; // the waiting area is full: later
    // refused: was it created after all (an earlier try whose answer was lost)? the app would look
    const current = await h.api.get('/api/queue/requests/current', { token: user.token, retryForMs: 5000 });
    const orderId = current.body?.data?.orderId as string | undefined;
    if (ok(current) && orderId && !known.has(orderId)) {
      report.adopted.set(i, orderId);
      pending.delete(i);
      return;
    }
    // refused for good (a live order from an earlier round, or a refusal the flow does not expect)
    pending.delete(i);
    gaveUp.add(i);
  };

  const advance = async () => {
    const a = await h.api.post('/api/admin/clock/advance', { seconds: STEP_S }, admin());
    if (!ok(a)) report.notes.push(`advance ${report.steps}: ${describe(a)}`);
    report.steps++;
  };

  // first half in, the clock moves: cars charge on every pile
  await inBatches([...Array(USERS / 2).keys()], 10, apply);
  await advance();

  // the fault strikes; the second half applies and the clock moves while it lasts
  let readiness: Promise<void> | undefined;
  const retriedBefore = [...h.api.retried.values()].reduce((a, b) => a + b, 0);
  const exitsBefore = h.unexpectedExits.length;
  const faultRun = fault.run(h, () => {
    readiness ??= readyWithin(h.platform, READY_WITHIN_MS).then((r) => void (report.ready = r));
  });
  await inBatches([...Array(USERS).keys()].filter((i) => i >= USERS / 2), 10, apply);
  await advance();
  await faultRun.catch((err: Error) => {
    throw new Error(`the fault "${fault.name}" could not be run: ${err.message}`);
  });
  if (!readiness) throw new Error(`the fault "${fault.name}" never said it was over`);
  await readiness;
  report.retried = [...h.api.retried.values()].reduce((a, b) => a + b, 0) - retriedBefore;

  // after the fault: the board and the piles agree about who is charging
  let boardChecked = false;
  for (let step = 0; step < MAX_STEPS; step++) {
    if (pending.size > 0) await inBatches([...pending], 10, apply);
    if (!boardChecked) {
      const board = await boardCharging(flow);
      if (board.charging.size > 0 || board.error) {
        boardChecked = true;
        const mismatch = await agree(flow);
        if (mismatch) report.boardMismatch.push(`after the fault: ${mismatch}`);
      }
    }
    await advance();
    if (pending.size === 0 && (await allFinal(flow, known))) break;
  }
  if (!boardChecked) report.notes.push('no pile was charging after the fault: the board was compared at the end only');
  for (const i of gaveUp) report.notes.push(`user ${i} gave up: ${report.notAccepted.get(i)}`);
  for (const i of pending) report.notes.push(`user ${i} never got a request in: ${report.notAccepted.get(i)}`);

  // bills are made from session.ended asynchronously: give them a moment
  const finalOrders = await waitForBills(flow, known);
  for (const [i, list] of finalOrders) report.orders.set(i, list.filter((o) => !known.has(o.id)));
  report.bills = (await billsOfUsers(flow)).filter((b) => !known.has(b.orderId));
  const endMismatch = await agree(flow);
  if (endMismatch) report.boardMismatch.push(`at the end: ${endMismatch}`);
  for (const e of h.unexpectedExits.slice(exitsBefore)) report.notes.push(`${e.name} died on its own (${e.exit}) and was started again`);
  report.realMs = Date.now() - started;
  return report;
}

/** Every order of every user (004 list: id, status 0 waiting, 1 charging, 2 finished, 3 cancelled, 4 refused). */
async function ordersOfUsers(flow: Flow): Promise<Map<number, { id: string; status: number }[]>> {
  const out = new Map<number, { id: string; status: number }[]>();
  await inBatches(flow.users, 10, async (u) => {
    const a = await flow.h.api.get('/api/orders?pageNum=1&pageSize=200', { token: u.token, retryForMs: 10_000 });
    if (!ok(a)) throw new Error(`orders of ${u.username}: ${describe(a)}`);
    out.set(u.index, (a.body.data.list as { id: string; status: number }[]).map((o) => ({ id: o.id, status: o.status })));
  });
  return out;
}

async function billsOfUsers(flow: Flow): Promise<RoundReport['bills']> {
  const out: RoundReport['bills'] = [];
  await inBatches(flow.users, 10, async (u) => {
    const a = await flow.h.api.get('/api/bills?pageNum=1&pageSize=200', { token: u.token, retryForMs: 10_000 });
    if (!ok(a)) throw new Error(`bills of ${u.username}: ${describe(a)}`);
    for (const b of a.body.data.list as { billId: string; billNo: string; sessionId: string; orderId: string }[]) {
      out.push({ billId: b.billId, billNo: b.billNo, sessionId: b.sessionId, orderId: b.orderId, user: u.index });
    }
  });
  return out;
}

const FINAL = new Set([2, 3, 4]);

async function allFinal(flow: Flow, known: Set<string>): Promise<boolean> {
  const board = await boardCharging(flow);
  if (!board.error && (board.charging.size > 0 || board.busy)) return false;
  const orders = await ordersOfUsers(flow).catch(() => undefined);
  return orders !== undefined && [...orders.values()].flat().every((o) => known.has(o.id) || FINAL.has(o.status));
}

/** Waits (bounded) until every finished order of the round has a bill; answers the orders as they then are. */
async function waitForBills(flow: Flow, known: Set<string>) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const orders = await ordersOfUsers(flow);
    const finished = [...orders.values()].flat().filter((o) => !known.has(o.id) && o.status === 2).map((o) => o.id);
    const billed = new Set((await billsOfUsers(flow)).map((b) => b.orderId));
    if (finished.every((id) => billed.has(id)) || Date.now() > deadline) return orders;
    await sleep(300);
  }
}

/** The board's CHARGING piles, each with the order its head car charges for. */
async function boardCharging(flow: Flow): Promise<{ charging: Map<string, string>; busy: boolean; error?: string }> {
  const a = await flow.h.api.get(`/api/admin/stations/${STATION}/board`, { token: flow.adminToken, retryForMs: 3000 });
  if (!ok(a)) return { charging: new Map(), busy: false, error: describe(a) };
  type Entry = { orderId: string; state: string };
  const piles = a.body.data.piles as { pileNo: string; state: string; queue: Entry[] }[];
  const busy = piles.some((p) => p.queue.length > 0) || a.body.data.waitingArea.length > 0 || a.body.data.faultQueue.length > 0;
  const charging = new Map<string, string>();
  for (const p of piles) {
    if (p.state === 'CHARGING') charging.set(p.pileNo, p.queue.find((e) => e.state === 'CHARGING')?.orderId ?? p.queue[0]?.orderId ?? '?');
  }
  return { charging, busy };
}

function showCharging(m: Map<string, string>): string {
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([pile, order]) => `${pile}:${order.slice(0, 8)}`).join(', ') || 'none';
}

/** undefined when, within 5 s, the board's CHARGING piles are the simulators' charging piles, each charging for
 * the same order; else what differs */
async function agree(flow: Flow): Promise<string | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const board = await boardCharging(flow);
    const piles = flow.h.chargingPiles();
    const same = !board.error && board.charging.size === piles.size && [...piles].every(([pile, order]) => board.charging.get(pile) === order);
    if (same) return undefined;
    if (Date.now() > deadline) {
      return board.error
        ? `the board cannot be read (${board.error}); piles charging: ${showCharging(piles)}`
        : `board CHARGING: ${showCharging(board.charging)}; piles charging: ${showCharging(piles)}`;
    }
    await sleep(200);
  }
}

/** The invariants of the issue, each its own assertion with what broke it. */
export function checkInvariants(t: Test, flow: Flow, r: RoundReport): void {
  for (const note of r.notes.slice(0, 20)) t.comment(`  ${note}`);
  t.comment(`${r.fault}: ${r.accepted.size} accepted, ${r.adopted.size} adopted, ${r.bills.length} bills, ${r.steps} clock steps, ${r.retried} calls retried during the fault, ${r.realMs} ms, ready again in ${r.ready.ms} ms`);

  const lost: string[] = [];
  for (const [i, orderId] of r.accepted) {
    const order = r.orders.get(i)?.find((o) => o.id === orderId);
    if (!order) lost.push(`user ${i}: order ${orderId} does not exist`);
    else if (order.status !== 2) lost.push(`user ${i}: order ${orderId} ended with 004 status ${order.status}, not finished (2)`);
  }
  t.same(lost, [], `no accepted request lost (${r.accepted.size} accepted)`);

  const out = [...r.notAccepted].filter(([i]) => !r.accepted.has(i) && !r.adopted.has(i)).map(([i, last]) => `user ${i}: ${last}`);
  t.same(out, [], `every user's request got in, retrying a 5xx or no answer with the same Idempotency-Key`);

  const stuck = [...r.orders].flatMap(([i, list]) => list.filter((o) => !FINAL.has(o.status)).map((o) => `user ${i}: order ${o.id} status ${o.status}`));
  t.same(stuck, [], 'no order stuck: every order of the round reached a final state');

  const started = flow.h.startedSessions();
  const unstarted = r.bills.filter((b) => !started.has(b.sessionId)).map((b) => `${b.billNo} (order ${b.orderId}, session ${b.sessionId})`);
  t.same(unstarted, [], `no bill without a pile-reported session (${r.bills.length} bills, ${started.size} sessions started by piles)`);

  const duplicates: string[] = [];
  for (const b of r.bills) {
    const seen = flow.billNos.get(b.billNo);
    if (seen !== undefined && seen !== b.billId) duplicates.push(`${b.billNo}: bills ${seen} and ${b.billId}`);
    flow.billNos.set(b.billNo, b.billId);
  }
  t.same(duplicates, [], 'no duplicate bill number');

  t.same(r.boardMismatch, [], 'the board and the piles agree about which piles are charging');

  t.same(r.ready.unready, [], `every service is ready again within ${READY_WITHIN_MS / 1000} s by itself (took ${r.ready.ms} ms)`);
}

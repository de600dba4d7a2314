// The hub without a broker: a fake bus hands it events and answers its fetches; fake sockets count bytes.
import t from 'tap';
import { createLogger } from '@voltq/kit';
import { PushHub, PUSH_CLOSE, type PushSocket, type PushViews } from '../../src/core/push-hub.js';
import { boardView, orderDetail004, withBill } from '../../src/dialects/d004/format.js';
import type { PushEvent } from '../../src/domain/push-routing.js';
import { board, order } from '../support/fixtures.js';

// the views /api/ws gives the hub (dialects/ws): document 004's
const fmt = { timeZone: 'Asia/Shanghai', nowMs: 0 };
const d004Views: PushViews = {
  order: (o, bill) => orderDetail004(bill ? withBill(o, bill) : o, fmt),
  board: (b) => boardView(b, fmt),
};

const log = createLogger({ service: 'push-hub-test', level: 'silent' });

/** A socket whose peer never reads: every frame stays buffered. */
class StuckSocket implements PushSocket {
  bufferedAmount = 0;
  frames: string[] = [];
  closed: { code: number; reason: string } | undefined;
  maxSeen = 0;
  send(text: string): void {
    this.frames.push(text);
    this.bufferedAmount += Buffer.byteLength(text);
    this.maxSeen = Math.max(this.maxSeen, this.bufferedAmount);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
}

function makeHub(maxBufferedBytes?: number) {
  const calls: { method: string; params: unknown }[] = [];
  let release: (() => void) | undefined;
  const bus = {
    consume: async () => ({ queue: 'q', cancel: async () => undefined }),
    call: async (method: string, params: { orderId?: string; userId?: string }) => {
      calls.push({ method, params });
      if (method === 'scheduler.board') {
        await new Promise<void>((r) => (release = r));
        return board();
      }
      return order({ orderId: params.orderId ?? 'o-1', userId: params.userId ?? '2', state: 'dispatched', pileNo: 'F1' });
    },
  };
  const hub = new PushHub({ bus: bus as never, log, views: d004Views, ...(maxBufferedBytes !== undefined ? { maxBufferedBytes } : {}) });
  return { hub, calls, releaseBoard: () => release?.() };
}

const event = (type: string, userId: string, orderId = 'o-1') =>
  ({ id: `${type}-${orderId}`, type, occurredAt: 0, correlationId: 'c', producer: 'test', payload: { orderId, userId, stationId: 'default', queueNo: 'F1', pileNo: 'F1', place: 0, dispatchedAt: 0 } }) as unknown as PushEvent;
const settle = () => new Promise((r) => setTimeout(r, 20));

t.test('a socket that does not read is closed at the cap; its buffer never goes past it', async (t) => {
  const cap = 8 * 1024;
  const { hub } = makeHub(cap);
  const slow = new StuckSocket();
  hub.attach(slow, { userId: '2', role: 'user' });
  for (let i = 0; i < 100; i++) {
    hub.deliver(event('order.modified', '2', `o-${i}`));
    await settle();
    if (slow.closed) break;
  }
  t.ok(slow.frames.length > 1, `some pushes were sent (${slow.frames.length})`);
  t.ok(slow.maxSeen <= cap, `at most ${cap} bytes were ever buffered (${slow.maxSeen})`);
  t.same(slow.closed, { code: PUSH_CLOSE.tooSlow, reason: 'too slow: the send buffer is full' });
  t.equal(hub.socketCount, 0, 'the closed socket is gone from the hub');
  const sent = slow.frames.length;
  hub.deliver(event('order.modified', '2'));
  await settle();
  t.equal(slow.frames.length, sent, 'nothing more is sent to it');
});

t.test('raw listeners get their user\'s events in order, and stop when unsubscribed', async (t) => {
  const { hub, calls } = makeHub();
  const got: string[] = [];
  const unsubscribe = hub.subscribe('2', (e) => got.push(e.type));
  hub.subscribe('3', () => got.push('wrong user'));
  hub.deliver(event('order.dispatched', '2'));
  hub.deliver(event('session.started', '2'));
  t.same(got, ['order.dispatched', 'session.started']);
  t.equal(calls.length, 0, 'no fetch without a socket or an admin');
  unsubscribe();
  hub.deliver(event('session.ended', '2'));
  t.same(got, ['order.dispatched', 'session.started']);
});

t.test('one order fetch per push for every socket of the user; admins get one board fetch at a time', async (t) => {
  const { hub, calls, releaseBoard } = makeHub();
  const s1 = new StuckSocket();
  const s2 = new StuckSocket();
  const admin = new StuckSocket();
  hub.attach(s1, { userId: '2', role: 'user' });
  hub.attach(s2, { userId: '2', role: 'user' });
  hub.attach(admin, { userId: '1', role: 'admin' });
  hub.deliver(event('order.dispatched', '2'));
  for (let i = 0; i < 5; i++) hub.deliver(event('order.modified', '3'));
  await settle();
  t.equal(calls.filter((c) => c.method === 'order.get').length, 1, 'user 3 has no socket here: only user 2\'s order was fetched');
  t.same(JSON.parse(s1.frames[0]!), JSON.parse(s2.frames[0]!));
  t.match(JSON.parse(s1.frames[0]!), { type: 'order.dispatched', order: { id: 'o-1', pileNo: 'F1' } });
  t.equal(calls.filter((c) => c.method === 'scheduler.board').length, 1, 'one board fetch running for six events');
  releaseBoard();
  await settle();
  t.equal(calls.filter((c) => c.method === 'scheduler.board').length, 2, 'then one more for the events behind it');
  releaseBoard();
  await settle();
  t.equal(calls.filter((c) => c.method === 'scheduler.board').length, 2, 'and no more');
  t.equal(admin.frames.length, 2);
  t.match(JSON.parse(admin.frames[1]!), { type: 'board', event: 'order.modified', stationId: 'default', board: { stationId: 'default', piles: Array } });
  t.notOk(s1.frames.some((f) => JSON.parse(f).type === 'board'), 'users get no board');
});

// Who gets which push: by user id, admins for board changes, the send-buffer cap, board-fetch coalescing.
import t from 'tap';
import type { PushEvent } from '../../src/domain/push-routing.js';
import { Coalescer, fitsSendBuffer, isUserEvent, PushRoutes, PUSH_EVENT_TYPES, stationOf } from '../../src/domain/push-routing.js';

const envelope = (type: string, payload: Record<string, unknown>) =>
  ({ id: `e-${type}`, type, occurredAt: 0, correlationId: 'c', producer: 'test', payload }) as unknown as PushEvent;
const dispatched = (userId: string) => envelope('order.dispatched', { orderId: 'o-1', userId, stationId: 'default', queueNo: 'F1', pileNo: 'F1', place: 0, dispatchedAt: 0 });
const pileFault = envelope('pile.faulted', { stationId: 's2', pileNo: 'T1', faultedAt: 0 });

t.test('a user event reaches every socket of its user and no one else', async (t) => {
  const routes = new PushRoutes<{ userId: string; admin: boolean; name: string }>();
  const a1 = { userId: 'a', admin: false, name: 'a1' };
  const a2 = { userId: 'a', admin: false, name: 'a2' };
  const b = { userId: 'b', admin: false, name: 'b' };
  const admin = { userId: 'root', admin: true, name: 'admin' };
  for (const s of [a1, a2, b, admin]) routes.add(s);
  t.equal(routes.size, 4);
  t.same(routes.usersOf(dispatched('a')).map((s) => s.name).sort(), ['a1', 'a2']);
  t.same(routes.usersOf(dispatched('b')).map((s) => s.name), ['b']);
  t.same(routes.usersOf(dispatched('nobody')), []);
  t.same(routes.usersOf(pileFault), [], 'a pile event is no user\'s');
  t.same(routes.adminList().map((s) => s.name), ['admin']);

  routes.remove(a1);
  t.same(routes.usersOf(dispatched('a')).map((s) => s.name), ['a2']);
  routes.remove(a2);
  t.notOk(routes.hasUser('a'), 'the last socket of a user removes the user');
  routes.remove(admin);
  t.equal(routes.adminCount, 0);
  routes.remove(admin);
  t.same(routes.all().map((s) => s.name), ['b'], 'removing twice is harmless');
});

t.test('event kinds', async (t) => {
  t.ok(isUserEvent(dispatched('a')));
  t.notOk(isUserEvent(pileFault));
  t.equal(stationOf(pileFault), 's2');
  for (const type of ['order.queued', 'order.dispatched', 'order.cancelled', 'order.finished', 'session.started', 'session.ended', 'bill.created', 'pile.status-changed']) {
    t.ok((PUSH_EVENT_TYPES as readonly string[]).includes(type), `${type} is pushed`);
  }
});

t.test('the send buffer never goes past its cap', async (t) => {
  t.ok(fitsSendBuffer(0, 100, 100), 'exactly the cap fits');
  t.notOk(fitsSendBuffer(1, 100, 100));
  t.notOk(fitsSendBuffer(0, 101, 100), 'a frame larger than the cap never fits');
});

t.test('board fetches of a station: one running, at most one more behind it', async (t) => {
  const c = new Coalescer();
  t.ok(c.request('s'), 'the first starts');
  t.notOk(c.request('s'), 'the second waits');
  t.notOk(c.request('s'), 'so does the third (folded into the second)');
  t.ok(c.request('other'), 'another station is independent');
  t.ok(c.done('s'), 'one more runs after the first');
  t.notOk(c.done('s'), 'then none');
  t.ok(c.request('s'), 'idle again');
});

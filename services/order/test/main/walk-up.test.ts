// Walk-up orders over the real bus, the test playing the device registry, the scheduler's walk-up RPCs and billing:
// a create on a port (payment rules, refusals that store nothing, retries), the WeChat prepay and its failure, orders
// known only from their session's events (a card at the pile), their end and bill, and order.stop.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { DeviceView, MessagePayload, MessageType, OrderView, RpcParams, RpcResult, WalkUpSessionView } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { startHarness } from '../support/harness.js';

const KWH = 3_600_000_000;
const T0 = Date.parse('2025-03-01T06:00:00+08:00');
const MIN = 60_000;

const h = await startHarness();
t.teardown(() => h.close());

// ---- the fakes: one pile `dev-1` (004 pile id walk-P1), balances, the walk-up sessions, WeChat ----
const device: DeviceView = {
  deviceId: 'dev-1', pileId: 'walk-P1', stationId: 'walk', pileNo: 'P1', protocol: 'ocpp1.6', pileType: 2, powerW: 7000, ports: 2,
  connected: true, faulted: false, status: 1, portStates: [], createdAt: T0,
};
const balances = new Map<string, number>();
const starts: RpcParams<'scheduler.startWalkUp'>[] = [];
const stops: RpcParams<'scheduler.stopWalkUp'>[] = [];
const recharges: RpcParams<'billing.createRecharge'>[] = [];
const sessions = new Map<string, WalkUpSessionView>();
let onStart: (p: RpcParams<'scheduler.startWalkUp'>) => Promise<WalkUpSessionView> = async (p) => session(p);
let onRecharge: (p: RpcParams<'billing.createRecharge'>) => Promise<RpcResult<'billing.createRecharge'>> = async (p) => ({
  paymentId: `R${p.requestId.slice(6, 20).replace(/-/g, '')}`, userId: p.userId, purpose: 'recharge', method: 1, amountFen: p.amountFen, status: 1, codeUrl: 'weixin://x', createdAt: T0,
});
let stopAs: 'stopping' | 'ended' = 'ended';

function session(p: RpcParams<'scheduler.startWalkUp'>): WalkUpSessionView {
  const s: WalkUpSessionView = {
    sessionId: `${p.orderId}-s`, orderId: p.orderId, userId: p.userId, stationId: 'walk', deviceId: p.deviceId, pileId: 'walk-P1', pileNo: 'P1',
    portNo: p.portNo, origin: 'app', chargingMode: p.chargingMode, paymentMethod: p.paymentMethod, tariffId: 'default', state: 'charging', startedAt: T0,
    energyWms: 0, energyFeeFen: 0, serviceFeeFen: 0, totalFeeFen: 0, durationMs: 0, powerW: 7000, voltageV: 220, currentA: 32, updatedAt: T0,
  };
  sessions.set(p.orderId, s);
  return s;
}

await h.bus.serve('device.get', async (p) => {
  if (p.code !== device.deviceId && p.code !== device.pileId) throw new DomainError('NOT_FOUND', `pile ${p.code} not found`, { resource: 'pile' });
  return device;
});
await h.bus.serve('billing.balance', async (p) => ({ userId: p.userId, balanceFen: balances.get(p.userId) ?? 0 }));
await h.bus.serve('billing.createRecharge', async (p) => {
  recharges.push(p);
  return onRecharge(p);
});
await h.bus.serve('scheduler.startWalkUp', async (p) => {
  starts.push(p);
  return onStart(p);
});
await h.bus.serve('scheduler.stopWalkUp', async (p) => {
  stops.push(p);
  const s = sessions.get(p.orderId);
  if (!s) throw new DomainError('NOT_FOUND', 'no walk-up session', { resource: 'order' });
  return stopAs === 'ended'
    ? { ...s, state: 'ended' as const, endedAt: T0 + 20 * MIN, energyWms: 2 * KWH, durationMs: 20 * MIN, stopReason: p.stopReason }
    : { ...s, state: 'stopping' as const, energyWms: KWH };
});

const create = (userId: string, over: Partial<RpcParams<'order.createWalkUp'>> = {}) =>
  h.bus.call('order.createWalkUp', { userId, pileId: 'walk-P1', portNo: 1, chargingMode: 1, paymentMethod: 3, ...over });
const ordersOf = async (userId: string) => (await h.bus.call('order.list', { userId, pageNum: 1, pageSize: 20 })).items;
const publish = <K extends MessageType>(type: K, payload: MessagePayload<K>) => h.bus.publish(type, payload as never, { id: randomUUID() });
async function until(orderId: string, ok: (v: OrderView) => boolean, what: string): Promise<OrderView> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await h.bus.call('order.get', { orderId }).catch(() => undefined);
    if (v && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`order ${orderId} never became ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

t.test('a balance-paid create: the port started, the order stored charging; a retry answers the same order', async (t) => {
  balances.set('1', 1500);
  const before = starts.length;
  const v = await create('1', { pileId: 'dev-1', portNo: 2, chargingMode: 4, limitEnergyWms: 10 * KWH, idempotencyKey: 'k1' });
  t.match(v, {
    userId: '1', stationId: 'walk', kind: 'walk-up', state: 'charging', deviceId: 'dev-1', pileId: 'walk-P1', portNo: 2, origin: 'app',
    chargingMode: 4, limitEnergyWms: 10 * KWH, energyWms: 10 * KWH, paymentMethod: 3, mode: 'slow', pileNo: 'P1', sessionId: `${v.orderId}-s`, startedAt: T0, paymentStatus: 0,
  });
  t.match(v.orderNo, /^\d{14}$/);
  t.match(starts.at(-1), { orderId: v.orderId, orderNo: v.orderNo, userId: '1', deviceId: 'dev-1', portNo: 2, chargingMode: 4, limitEnergyWms: 10 * KWH, paymentMethod: 3 });
  t.same(await h.bus.call('order.get', { orderId: v.orderId, userId: '1' }), v, 'stored as answered');
  t.same(await create('1', { pileId: 'dev-1', portNo: 2, chargingMode: 4, limitEnergyWms: 10 * KWH, idempotencyKey: 'k1' }), v, 'the retry: the same order');
  t.equal(starts.length, before + 1, 'started once');
  await t.rejects(create('1', { portNo: 1, idempotencyKey: 'k1' }), { code: 'CONFLICT' }, 'the key for another request');
  t.equal((await ordersOf('1')).length, 1);
});

t.test('refusals store nothing: Alipay, a wrong limit, a low balance, an unknown pile, an occupied port', async (t) => {
  balances.set('2', 999);
  const before = starts.length;
  await t.rejects(create('2', { paymentMethod: 2 }), { code: 'VALIDATION', message: 'Alipay is not configured', details: { resource: 'payment' } });
  await t.rejects(create('2', { chargingMode: 2 }), { code: 'VALIDATION' }, 'mode 2 without its fee');
  await t.rejects(create('2'), { code: 'CONFLICT', details: { reason: 'BALANCE_LOW' } }, 'below 10 yuan');
  balances.set('2', 2000);
  await t.rejects(create('2', { chargingMode: 2, limitFeeFen: 2500 }), { code: 'CONFLICT', details: { reason: 'BALANCE_LOW' } }, 'below the fee limit');
  t.equal(starts.length, before, 'the scheduler was not asked');
  await t.rejects(create('2', { pileId: 'nope' }), { code: 'NOT_FOUND', details: { resource: 'pile' } });
  onStart = async () => {
    throw new DomainError('PILE_STATE', 'port 1 is occupied', { resource: 'port', reason: 'PORT_OCCUPIED' });
  };
  await t.rejects(create('2', { chargingMode: 2, limitFeeFen: 2000 }), { code: 'PILE_STATE', details: { reason: 'PORT_OCCUPIED' } });
  onStart = async (p) => session(p);
  t.same(await ordersOf('2'), [], 'nothing stored');
});

t.test('WeChat: a prepay of the fee limit once charging; a provider failure stops the session and is answered', async (t) => {
  const v = await create('3', { paymentMethod: 1, chargingMode: 2, limitFeeFen: 3000 });
  t.match(recharges.at(-1), { userId: '3', amountFen: 3000, method: 1, requestId: `order-${v.orderId}` });
  t.match(v, { paymentMethod: 1, state: 'charging', paymentId: /^R/ });
  const w = await create('3', { paymentMethod: 1, portNo: 2 });
  t.equal(recharges.at(-1)!.amountFen, 1000, 'no fee limit: 10 yuan');
  t.ok(w.paymentId);

  onRecharge = async () => {
    throw new DomainError('UNAVAILABLE', 'WeChat Pay could not be asked', { resource: 'payment' });
  };
  stopAs = 'ended';
  await t.rejects(create('4', { paymentMethod: 1 }), { code: 'UNAVAILABLE', details: { resource: 'payment' } });
  const [stopped] = await ordersOf('4');
  t.match(stops.at(-1), { orderId: stopped!.orderId, userId: '4', stopReason: 7 }, 'the unpaid session was stopped');
  t.match(stopped, { state: 'finished', stopReasonCode: 7 });
  t.equal(stopped!.paymentId, undefined);
  onRecharge = async (p) => ({ paymentId: 'R000001', userId: p.userId, purpose: 'recharge', method: 1, amountFen: p.amountFen, status: 1, createdAt: T0 });
});

t.test('a card session at the pile: its order is made from the events, numbered, finished by the end, billed', async (t) => {
  const orderId = randomUUID();
  const base = { sessionId: `${orderId}-s`, orderId, userId: '5', stationId: 'walk', pileNo: 'P1', queueNo: '', kind: 'walk-up' as const, deviceId: 'dev-1', pileId: 'walk-P1', portNo: 1, origin: 'card' as const, cardId: 'CARD0005', chargingMode: 1 as const, paymentMethod: 3 as const };
  await publish('session.started', { ...base, mode: 'slow', powerW: 7000, targetEnergyWms: 0, startedAt: T0 });
  const charging = await until(orderId, (o) => o.state === 'charging', 'charging');
  t.match(charging, { kind: 'walk-up', origin: 'card', userId: '5', deviceId: 'dev-1', portNo: 1, paymentMethod: 3 });
  t.match(charging.orderNo, /^\d{14}$/, 'a number of its own');
  await publish('session.ended', { ...base, mode: 'slow', startedAt: T0, endedAt: T0 + 40 * MIN, energyWms: 4 * KWH, powerW: 7000, reason: 'stopped', stopReason: 1 });
  const done = await until(orderId, (o) => o.state === 'finished', 'finished');
  t.match(done, { orderNo: charging.orderNo, stopReasonCode: 1, requestChargedWms: 4 * KWH, chargingMs: 40 * MIN, endedAt: T0 + 40 * MIN });
  await publish('bill.created', {
    billId: `${orderId}-b`, billNo: 'B1', createdAt: T0 + 40 * MIN, userId: '5', orderId, sessionId: base.sessionId, stationId: 'walk', pileNo: 'P1', queueNo: '',
    powerW: 7000, energyWms: 4 * KWH, durationMs: 40 * MIN, startedAt: T0, endedAt: T0 + 40 * MIN, energyFeeFen: 2000, serviceFeeFen: 400, totalFen: 2400,
    tiers: [{ tier: 'valley', energyWms: 4 * KWH, energyFeeFen: 2000 }], paymentMethod: 3, paidFen: 1000, owedFen: 1400,
  });
  t.match(await until(orderId, (o) => o.billIds.length === 1, 'billed'), { requestFeeFen: 2400, paidFen: 1000, owedFen: 1400, paymentStatus: 0 });
});

t.test('order.stop: only the own charging walk-up order; ended answers finished, then CONFLICT', async (t) => {
  balances.set('6', 5000);
  const v = await create('6');
  await t.rejects(h.bus.call('order.stop', { orderId: v.orderId, userId: '7', stopReason: 1 }), { code: 'NOT_FOUND' }, "another user's order");
  await t.rejects(h.bus.call('order.cancel', { orderId: v.orderId, userId: '6' }), { code: 'CONFLICT', details: { resource: 'order' } }, 'stopped, not cancelled');
  await t.rejects(h.bus.call('order.modify', { orderId: v.orderId, userId: '6', energyWms: KWH }), { code: 'NOT_MODIFIABLE' });
  t.match(await h.bus.call('order.current', { userId: '6' }), { orderId: v.orderId, state: 'charging', kind: 'walk-up' }, 'the live order is the walk-up one');
  stopAs = 'stopping';
  const stopping = await h.bus.call('order.stop', { orderId: v.orderId, userId: '6', stopReason: 1 });
  t.match(stopping, { state: 'charging', requestChargedWms: KWH }, 'stopping: the end follows from the pile');
  stopAs = 'ended';
  const ended = await h.bus.call('order.stop', { orderId: v.orderId, userId: '6', stopReason: 1 });
  t.match(ended, { state: 'finished', endedAt: T0 + 20 * MIN, requestChargedWms: 2 * KWH, stopReasonCode: 1 });
  t.match(stops.at(-1), { orderId: v.orderId, userId: '6', stopReason: 1 });
  await t.rejects(h.bus.call('order.stop', { orderId: v.orderId, userId: '6', stopReason: 1 }), { code: 'CONFLICT', details: { resource: 'order', reason: 'ORDER_FINISHED' } });
  t.match(await h.bus.call('order.get', { orderId: v.orderId }), { state: 'finished', stopReasonCode: 1 });
});

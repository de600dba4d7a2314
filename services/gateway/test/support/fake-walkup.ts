// In-memory stand-ins for device-bridge's device.* RPCs, the scheduler's walk-up RPCs, the order service's walk-up
// create/stop and billing's order payment, served over the test's bus beside fakes.ts (whose `orders` map they
// share, so order.get sees the walk-up orders). They answer and refuse as the contracts say the services do.
import type { DeviceView, OrderView, PayOrderResult, PaymentView, PortLive, RpcMethod, RpcParams, WalkUpSessionView } from '@voltq/contracts';
import { DomainError, type Bus } from '@voltq/kit';
import type { Static } from '@sinclair/typebox';
import { KWH, order as makeOrder, station, T0 } from './fixtures.js';
import type { Fakes } from './fakes.js';

type PayResult = Static<typeof PayOrderResult>;

export function port(portNo: number, pileId: string, over: Partial<PortLive> = {}): PortLive {
  return {
    portNo, portId: `${pileId}-${portNo}`, status: 1, isDisabled: false, faultType: 0, voltageV: 0, currentA: 0, powerW: 0,
    temperatureC: 25, sessionEnergyWms: 0, updatedAt: T0 + 60_000, ...over,
  };
}

/** `walk` (a walk-up station) with IMEI001 (JSON, 2 ports, online) and CP002 (OCPP, offline). */
export function devices(): DeviceView[] {
  return [
    {
      deviceId: 'IMEI001', pileId: 'walk-P1', stationId: 'walk', pileNo: 'P1', protocol: 'json', pileType: 2, powerW: 7000, ports: 3,
      manufacturer: 'ACME', connected: true, replicaId: 'replica-1', endpoint: 'ws://replica-1', connectedAt: T0, lastSeenAt: T0 + 60_000,
      faulted: false, status: 1, temperatureC: 31.5, signalStrength: 80,
      portStates: [port(1, 'walk-P1'), port(2, 'walk-P1'), port(3, 'walk-P1', { status: 3, faultType: 1 })], createdAt: T0 - 86_400_000,
    },
    {
      deviceId: 'CP002', pileId: 'walk-P2', stationId: 'walk', pileNo: 'P2', protocol: 'ocpp1.6', pileType: 1, powerW: 60_000, ports: 1,
      connected: false, faulted: false, status: 0, portStates: [port(1, 'walk-P2', { status: 0 })], createdAt: T0 - 86_400_000,
    },
  ];
}

export interface WalkUpFakes {
  devices: Map<string, DeviceView>;
  sessions: Map<string, WalkUpSessionView>;
  /** what device.command does: the pile accepts, refuses, does not answer; commands sent so far */
  pile: { answer: 'accept' | 'refuse' | 'timeout'; commands: RpcParams<'device.command'>[] };
  /** users whose balance is short (payment 3) */
  poor: Set<string>;
  owedFen: Map<string, number>;
}

export function serveWalkUpFakes(bus: Bus, fakes: Fakes): WalkUpFakes {
  const calls = fakes.calls;
  const serve = <M extends RpcMethod>(method: M, fn: (p: RpcParams<M>) => unknown) =>
    bus.serve(method, async (params) => {
      calls.push({ method, params });
      return fn(params) as never;
    });
  fakes.stations.set('walk', station({ stationId: 'walk', name: '步行充电站', kind: 'walk-up', piles: [], freePorts: 2, totalPorts: 4 }));
  const byId = new Map(devices().map((d) => [d.deviceId, d]));
  const sessions = new Map<string, WalkUpSessionView>();
  const payments = new Map<string, PaymentView>();
  const keys = new Map<string, string>();
  const pile: WalkUpFakes['pile'] = { answer: 'accept', commands: [] };
  const poor = new Set<string>();
  const owedFen = new Map<string, number>();
  let seq = 0;
  // billing's payment ids: 6 to 32 characters
  const payId = (n: number) => `PAY${String(n).padStart(8, '0')}`;

  const find = (p: { deviceId?: string; pileId?: string; code?: string }) => {
    const d = [...byId.values()].find((x) => x.deviceId === p.deviceId || x.pileId === p.pileId || (p.code !== undefined && [x.deviceId, x.pileId, x.pileNo].includes(p.code)));
    if (!d) throw new DomainError('NOT_FOUND', 'no such pile', { resource: 'pile' });
    return d;
  };
  serve('device.list', (p) => ({ items: [...byId.values()].filter((d) => (p.stationId === undefined || d.stationId === p.stationId) && (!p.connectedOnly || d.connected)) }));
  serve('device.get', (p) => find(p));
  serve('device.register', (p) => {
    if (byId.has(p.deviceId)) throw new DomainError('CONFLICT', `device ${p.deviceId} exists`);
    if (!fakes.stations.has(p.stationId)) throw new DomainError('NOT_FOUND', `no station ${p.stationId}`, { resource: 'station' });
    const pileId = `${p.stationId}-${p.pileNo}`;
    byId.set(p.deviceId, {
      deviceId: p.deviceId, pileId, stationId: p.stationId, pileNo: p.pileNo, protocol: p.protocol, pileType: p.pileType, powerW: Math.round(p.powerKw * 1000),
      ports: p.ports, connected: false, faulted: false, status: 0, portStates: [], createdAt: T0, ...(p.manufacturer !== undefined ? { manufacturer: p.manufacturer } : {}),
    });
    return { deviceId: p.deviceId, pileId, secret: 's3cret-s3cret-s3cret' };
  });
  serve('device.remove', (p) => {
    const d = find({ deviceId: p.deviceId });
    byId.delete(d.deviceId);
    return d;
  });
  serve('device.command', (p) => {
    pile.commands.push(p);
    const d = find({ deviceId: p.deviceId });
    if (!d.connected) throw new DomainError('PILE_STATE', 'the pile is offline', { resource: 'pile', reason: 'PILE_OFFLINE' });
    if (pile.answer === 'timeout') throw new DomainError('TIMEOUT', 'the pile did not answer in 10 s', { resource: 'pile', reason: 'PILE_TIMEOUT' });
    const accepted = pile.answer === 'accept';
    return { deviceId: d.deviceId, commandId: `c-${pile.commands.length}`, accepted, data: { status: accepted ? 'Accepted' : 'Rejected' }, at: T0 };
  });

  serve('scheduler.portTotals', (p) => ({
    items: (p.deviceIds ?? [...byId.keys()]).filter((id) => id === 'IMEI001').map((deviceId) => ({
      deviceId, portNo: 1, sessions: 3, durationMs: 5_400_000, energyWms: 12.5 * KWH, lastOrderId: 'o-someone-else',
    })),
  }));
  serve('scheduler.walkUpSession', (p) => {
    const s = sessions.get(p.orderId);
    if (!s || (p.userId !== undefined && s.userId !== p.userId)) throw new DomainError('NOT_FOUND', `no walk-up session of order ${p.orderId}`, { resource: 'order' });
    return s;
  });

  serve('order.createWalkUp', (p) => {
    const key = p.idempotencyKey !== undefined ? `${p.userId}|${p.idempotencyKey}` : undefined;
    if (key && keys.has(key)) return fakes.orders.get(keys.get(key)!)!;
    const d = find({ pileId: p.pileId, deviceId: p.pileId });
    const live = d.portStates.find((x) => x.portNo === p.portNo);
    if (!live) throw new DomainError('NOT_FOUND', `no port ${p.portNo}`, { resource: 'port' });
    if (!d.connected) throw new DomainError('PILE_STATE', 'offline', { resource: 'pile', reason: 'PILE_OFFLINE' });
    if (live.status === 3) throw new DomainError('PILE_STATE', 'port fault', { resource: 'port', reason: 'PORT_FAULT' });
    if (live.status === 2) throw new DomainError('PILE_STATE', 'port occupied', { resource: 'port', reason: 'PORT_OCCUPIED' });
    if (p.paymentMethod === 2) throw new DomainError('VALIDATION', 'Alipay is not configured', { resource: 'payment' });
    if (p.paymentMethod === 3 && poor.has(p.userId)) throw new DomainError('CONFLICT', 'balance too low', { resource: 'payment', reason: 'BALANCE_LOW' });
    // the stand-in pile refuses an order of exactly 0.01 yuan (the scheduler's refusal when the pile says no)
    if (p.limitFeeFen === 1) throw new DomainError('PILE_STATE', 'the pile refused to start', { reason: 'START_REFUSED' });
    const orderId = `w-${++seq}`;
    const o: OrderView = makeOrder({
      orderId, orderNo: `20250102-9${String(seq).padStart(3, '0')}`, userId: p.userId, stationId: d.stationId, mode: 'slow', energyWms: 0,
      state: 'charging', startedAt: T0, kind: 'walk-up', deviceId: d.deviceId, pileId: d.pileId, pileNo: d.pileNo, portNo: p.portNo, origin: 'app',
      chargingMode: p.chargingMode, paymentMethod: p.paymentMethod, paymentStatus: 0, sessionId: `${orderId}#1`,
      ...(p.limitFeeFen !== undefined ? { limitFeeFen: p.limitFeeFen } : {}),
      ...(p.limitDurationMs !== undefined ? { limitDurationMs: p.limitDurationMs } : {}),
      ...(p.limitEnergyWms !== undefined ? { limitEnergyWms: p.limitEnergyWms } : {}),
      ...(p.paymentMethod === 1 ? { paymentId: payId(seq) } : {}),
    });
    delete o.queueNo;
    delete o.position;
    fakes.orders.set(orderId, o);
    if (key) keys.set(key, orderId);
    if (p.paymentMethod === 1) payments.set(payId(seq), { paymentId: payId(seq), userId: p.userId, purpose: 'order', orderId, method: 1, amountFen: 1000, status: 2, paidAt: T0 - 5000, transactionId: '4200009', createdAt: T0 - 10_000 });
    Object.assign(live, { status: 2, orderId, sessionId: `${orderId}#1`, powerW: 6600, voltageV: 220.5, currentA: 30, sessionEnergyWms: 2.5 * KWH });
    sessions.set(orderId, {
      sessionId: `${orderId}#1`, orderId, userId: p.userId, stationId: d.stationId, deviceId: d.deviceId, pileId: d.pileId, pileNo: d.pileNo, portNo: p.portNo,
      origin: 'app', chargingMode: p.chargingMode, paymentMethod: p.paymentMethod, tariffId: 'default', state: 'charging', startedAt: T0,
      energyWms: 2.5 * KWH, energyFeeFen: 175, serviceFeeFen: 200, totalFeeFen: 375, durationMs: 1_230_400, powerW: 6600, voltageV: 220.5, currentA: 30, updatedAt: T0 + 1_230_400,
    });
    return o;
  });
  serve('order.stop', (p) => {
    const o = fakes.orders.get(p.orderId);
    if (!o || (p.userId !== undefined && o.userId !== p.userId)) throw new DomainError('NOT_FOUND', `order ${p.orderId} not found`);
    if (o.state !== 'charging') throw new DomainError('CONFLICT', 'the order is not charging', { resource: 'order' });
    o.state = 'finished';
    o.endedAt = T0 + 1_800_000;
    o.stopReasonCode = p.stopReason;
    const s = sessions.get(o.orderId);
    if (s) Object.assign(s, { state: 'ended', endedAt: T0 + 1_800_000, durationMs: 1_800_000, energyWms: 3 * KWH, totalFeeFen: 450, serviceFeeFen: 240, powerW: 0 });
    const live = byId.get(o.deviceId!)?.portStates.find((x) => x.portNo === o.portNo);
    if (live) Object.assign(live, { status: 1, orderId: undefined, powerW: 0, sessionEnergyWms: 0 });
    return o;
  });

  serve('billing.payOrder', (p): PayResult => {
    const owed = owedFen.get(p.orderId) ?? 0;
    if (p.method === 2) throw new DomainError('VALIDATION', 'Alipay is not configured', { resource: 'payment' });
    if (owed === 0) throw new DomainError('CONFLICT', 'nothing owed', { resource: 'payment' });
    if (p.method === 3) {
      if (poor.has(p.userId)) throw new DomainError('CONFLICT', 'balance too low', { resource: 'payment', reason: 'BALANCE_LOW' });
      owedFen.set(p.orderId, 0);
      return { paymentId: `BAL-${p.requestId}`, orderId: p.orderId, method: 3, amountFen: owed, status: 2, owedFen: 0 };
    }
    return { paymentId: `PAYO${p.orderId}`, orderId: p.orderId, method: 1, amountFen: owed, status: 1, codeUrl: `weixin://wxpay/bizpayurl?pr=${p.orderId}`, owedFen: owed };
  });
  serve('billing.orderPayment', (p) => {
    const o = fakes.orders.get(p.orderId);
    const billedFen = (o?.paidFen ?? 0) + (o?.owedFen ?? 0);
    const owed = owedFen.get(p.orderId) ?? 0;
    return { orderId: p.orderId, billedFen, paidFen: billedFen - owed, owedFen: owed };
  });
  serve('billing.payment', (p) => {
    const v = payments.get(p.paymentId);
    if (!v || (p.userId !== undefined && v.userId !== p.userId)) throw new DomainError('NOT_FOUND', `payment ${p.paymentId} not found`, { resource: 'payment' });
    return v;
  });

  return { devices: byId, sessions, pile, poor, owedFen };
}

// In-memory stand-ins for the order, billing and scheduler services, served over the test's own bus so the
// gateway is tested through real RPC without depending on those services. They record what they were asked.
import type { Bill, OrderView, RpcMethod, RpcParams, StationView, TariffAnswer, TariffDocument } from '@voltq/contracts';
import { createTariff, DEFAULT_TARIFF_SPEC, localDayStartMs, TariffError } from '@voltq/tariff';
import { DomainError, type Bus } from '@voltq/kit';
import { bill as makeBill, board, KWH, order as makeOrder, station, T0 } from './fixtures.js';

export interface Fakes {
  orders: Map<string, OrderView>;
  /** billing's tariff documents, `default` seeded as billing seeds it */
  tariffs: Map<string, TariffDocument>;
  /** the fake scheduler's stations (seeded with `default`, fixtures.ts station()) */
  stations: Map<string, StationView>;
  bills: Map<string, Bill>;
  calls: { method: RpcMethod; params: unknown }[];
  last<M extends RpcMethod>(method: M): RpcParams<M> | undefined;
  count(method: RpcMethod): number;
}

const ACTIVE = new Set(['waiting', 'dispatched', 'charging', 'fault-queued']);

export function serveFakes(bus: Bus): Fakes {
  const orders = new Map<string, OrderView>();
  const bills = new Map<string, Bill>();
  const calls: Fakes['calls'] = [];
  let seq = 0;
  const counters = { fast: 0, slow: 0 };

  const serve = <M extends RpcMethod>(method: M, fn: (p: RpcParams<M>) => unknown) =>
    bus.serve(method, async (params) => {
      calls.push({ method, params });
      return fn(params) as never;
    });
  const own = (orderId: string, userId?: string) => {
    const o = orders.get(orderId);
    if (!o || (userId !== undefined && o.userId !== userId)) throw new DomainError('NOT_FOUND', `order ${orderId} not found`);
    return o;
  };

  serve('order.request', async (p) => {
    // as the order service: a named car must be the caller's (asked of auth: fake-auth.ts)
    if (p.carId !== undefined) await bus.call('auth.getCar', { userId: p.userId, carId: p.carId }).catch((err: unknown) => {
      throw err instanceof DomainError && err.code === 'NOT_FOUND' ? new DomainError('NOT_FOUND', `car ${p.carId} is not one of your cars`, { resource: 'car' }) : err;
    });
    if (p.stationId === 'full') throw new DomainError('WAITING_AREA_FULL', 'the waiting area is full');
    if (p.stationId !== 'default') throw new DomainError('NOT_FOUND', `unknown station ${p.stationId}`);
    const prefix = p.mode === 'fast' ? 'F' : 'T';
    const o = makeOrder({
      orderId: `o-${++seq}`,
      orderNo: `20250102-${String(seq).padStart(4, '0')}`,
      userId: p.userId,
      stationId: p.stationId,
      mode: p.mode,
      energyWms: p.energyWms,
      queueNo: `${prefix}${++counters[p.mode]}`,
      position: [...orders.values()].filter((x) => x.state === 'waiting' && x.mode === p.mode).length,
      ...(p.carId !== undefined ? { carId: p.carId } : {}),
    });
    orders.set(o.orderId, o);
    return o;
  });
  serve('order.get', (p) => own(p.orderId, p.userId));
  serve('order.current', (p) => {
    const o = [...orders.values()].find((x) => x.userId === p.userId && ACTIVE.has(x.state));
    if (!o) throw new DomainError('NOT_FOUND', 'no active request');
    return o;
  });
  serve('order.list', (p) => {
    const items = [...orders.values()].filter((o) => (p.userId === undefined || o.userId === p.userId) && (!p.states || p.states.includes(o.state)));
    return { items: items.slice((p.pageNum - 1) * p.pageSize, p.pageNum * p.pageSize), total: items.length, pageNum: p.pageNum, pageSize: p.pageSize };
  });
  serve('order.modify', (p) => {
    const o = own(p.orderId, p.userId);
    if (o.state !== 'waiting') throw new DomainError('NOT_MODIFIABLE', 'only a waiting request can change: cancel it instead');
    if (p.mode && p.mode !== o.mode) {
      o.mode = p.mode;
      o.queueNo = `${p.mode === 'fast' ? 'F' : 'T'}${++counters[p.mode]}`;
    }
    if (p.energyWms !== undefined) o.energyWms = p.energyWms;
    return o;
  });
  serve('order.cancel', (p) => {
    const o = own(p.orderId, p.userId);
    if (!ACTIVE.has(o.state)) throw new DomainError('NOT_MODIFIABLE', 'the order is over');
    const wasCharging = o.state === 'charging';
    o.state = 'cancelled';
    o.endedAt = T0 + 1_800_000;
    if (wasCharging) {
      const sessionId = `${o.orderId}#1`;
      o.stoppedSessionId = sessionId;
      // billing makes the bill asynchronously, a little later
      setTimeout(() => {
        const b = makeBill({ billId: `b-${o.orderId}`, userId: o.userId, orderId: o.orderId, sessionId, energyWms: 15 * KWH, reason: 'cancelled', totalFen: 2700, energyFeeFen: 1500, serviceFeeFen: 1200 });
        bills.set(b.billId, b);
        o.billIds.push(b.billId);
      }, 300);
    }
    return o;
  });

  // billing (getBill deliberately ignores userId: the gateway must still refuse another user's bill)
  serve('billing.getBill', (p) => {
    const b = bills.get(p.billId);
    if (!b) throw new DomainError('NOT_FOUND', `bill ${p.billId} not found`);
    return b;
  });
  serve('billing.listBills', (p) => {
    const items = [...bills.values()].filter((b) => (p.userId === undefined || b.userId === p.userId) && (p.orderId === undefined || b.orderId === p.orderId));
    return { items: items.slice((p.pageNum - 1) * p.pageSize, p.pageNum * p.pageSize), total: items.length, pageNum: p.pageNum, pageSize: p.pageSize };
  });
  // billing's ledger: a balance per user, one credit per (user, requestId) as billing.recharge promises
  const balances = new Map<string, number>();
  const recharges = new Map<string, { amountFen: number; entryId: string; createdAt: number; balanceAfterFen: number }>();
  serve('billing.recharge', (p) => {
    const key = `${p.userId}|${p.requestId}`;
    let made = recharges.get(key);
    if (made && made.amountFen !== p.amountFen) throw new DomainError('CONFLICT', 'requestId used with another amount');
    if (!made) {
      const balanceAfterFen = (balances.get(p.userId) ?? 0) + p.amountFen;
      balances.set(p.userId, balanceAfterFen);
      made = { amountFen: p.amountFen, entryId: `e-${recharges.size + 1}`, createdAt: T0, balanceAfterFen };
      recharges.set(key, made);
    }
    return { entry: { ...made, userId: p.userId, kind: 'recharge', cause: `recharge:${p.requestId}` }, balanceFen: balances.get(p.userId) ?? 0 };
  });
  serve('billing.balance', (p) => ({ userId: p.userId, balanceFen: balances.get(p.userId) ?? 0 }));
  serve('billing.report', (p) => ({
    rows: [
      { pileNo: 'F1', sessions: 2, durationMs: 4_800_000, energyWms: 40 * KWH, energyFeeFen: 2350, serviceFeeFen: 3200, totalFen: 5550 },
      { pileNo: 'T1', sessions: 1, durationMs: 3_600_000, energyWms: Math.round(10.005 * KWH), energyFeeFen: 700, serviceFeeFen: 800, totalFen: 1500 },
    ].filter((r) => p.pileNo === undefined || r.pileNo === p.pileNo),
  }));
  bus.serve('billing.sessionBill', async (p) => {
    calls.push({ method: 'billing.sessionBill', params: p });
    const until = Date.now() + (p.waitMs ?? 0);
    for (;;) {
      const b = [...bills.values()].find((x) => x.sessionId === p.sessionId && (p.userId === undefined || x.userId === p.userId));
      if (b) return b;
      if (Date.now() >= until) throw new DomainError('NOT_FOUND', `no bill for session ${p.sessionId}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  // billing's tariffs: put adds or replaces a version by effectiveDate; a rule that is no tariff is VALIDATION
  const units = (text: string | number) => Math.round(Number(text) * 10_000);
  const decimal = (u: number) => (u / 10_000).toFixed(4);
  const tariffs = new Map<string, TariffDocument>([['default', {
    tariffId: 'default', name: '默认电价', description: '', updatedAt: T0,
    versions: [{
      effectiveDate: '2000-01-01', effectiveFrom: localDayStartMs('2000-01-01', 'Asia/Shanghai'), timeZone: 'Asia/Shanghai',
      rules: ([1, 2] as const).map((pileType) => ({
        pileType,
        windows: DEFAULT_TARIFF_SPEC.tiers.map((w) => ({ tier: w.tier, from: w.from, to: w.to, price: units(w.priceYuanPerKwh) })),
        servicePrice: units(DEFAULT_TARIFF_SPEC.serviceFeeYuanPerKwh as string),
      })),
    }],
  }]]);
  // as billing: the version in force is the newest started by now (the first before any)
  const answer = (doc: TariffDocument): TariffAnswer => {
    const started = doc.versions.filter((v) => v.effectiveFrom <= Date.now());
    return { ...doc, inForce: (started.at(-1) ?? doc.versions[0])?.effectiveDate ?? '' };
  };
  serve('billing.tariffs', () => ({ tariffs: [...tariffs.values()].sort((a, b) => a.tariffId.localeCompare(b.tariffId)).map(answer) }));
  serve('billing.putTariff', (p) => {
    const timeZone = p.version.timeZone ?? 'Asia/Shanghai';
    let effectiveFrom: number;
    try {
      effectiveFrom = localDayStartMs(p.version.effectiveDate, timeZone);
      for (const r of p.version.rules) {
        createTariff({
          timeZone,
          ...(r.serviceRate !== undefined ? { serviceFeePercent: decimal(r.serviceRate) } : { serviceFeeYuanPerKwh: decimal(r.servicePrice ?? 0) }),
          tiers: r.windows.map((w) => ({ tier: w.tier as never, from: w.from, to: w.to, priceYuanPerKwh: decimal(w.price) })),
        });
      }
    } catch (err) {
      throw err instanceof TariffError ? new DomainError('VALIDATION', err.message) : err;
    }
    if (new Set(p.version.rules.map((r) => r.pileType)).size !== 2) throw new DomainError('VALIDATION', 'a version prices both pile types, each once');
    const version = { effectiveDate: p.version.effectiveDate, effectiveFrom, timeZone, rules: p.version.rules };
    const versions = [...(tariffs.get(p.tariffId)?.versions ?? []).filter((v) => v.effectiveDate !== version.effectiveDate), version].sort((a, b) => a.effectiveFrom - b.effectiveFrom);
    const doc: TariffDocument = { tariffId: p.tariffId, name: p.name, description: p.description ?? '', versions, updatedAt: T0 };
    tariffs.set(p.tariffId, doc);
    return answer(doc);
  });

  // scheduler
  serve('scheduler.board', (p) => {
    if (p.stationId !== 'default') throw new DomainError('NOT_FOUND', `station ${p.stationId} not found`);
    return board();
  });
  serve('scheduler.configure', (p) => ({
    stationId: p.stationId,
    fastPiles: p.fastPiles ?? 2,
    slowPiles: p.slowPiles ?? 3,
    fastPowerW: p.fastPowerW ?? 30_000,
    slowPowerW: p.slowPowerW ?? 10_000,
    waitingAreaSize: p.waitingAreaSize ?? 10,
    pileQueueLength: p.pileQueueLength ?? 3,
    faultPolicy: p.faultPolicy ?? 'priority',
    dispatchMode: p.dispatchMode ?? 'default',
  }));
  serve('scheduler.pileStatus', (p) => {
    if (p.status === 'on') throw new DomainError('PILE_STATE', `pile ${p.pileNo} is already on`);
    return { stationId: p.stationId, pileNo: p.pileNo, mode: 'fast', powerW: 30_000, state: p.status === 'off' ? 'off' : 'fault', queue: [] };
  });
  // stations: the fake keeps them in a map; distances are the latitude difference (111 195 m a degree), enough to
  // tell the gateway's reading of the query and writing of 004's fields from the scheduler's geometry
  const stations = new Map<string, StationView>([['default', station()]]);
  serve('scheduler.stations', (p) => {
    let items = [...stations.values()];
    if (p.keyword !== undefined) items = items.filter((s) => `${s.name} ${s.address}`.includes(p.keyword!));
    if (p.near) {
      const near = p.near;
      items = items.map((s) => ({ ...s, distanceM: Math.abs(s.latitude - near.latitude) * 111_195 }))
        .filter((s) => near.radiusM === undefined || s.distanceM <= near.radiusM)
        .sort((a, b) => a.distanceM - b.distanceM);
    }
    const from = ((p.pageNum ?? 1) - 1) * (p.pageSize ?? items.length);
    return { total: items.length, items: p.pageSize === undefined ? items : items.slice(from, from + p.pageSize) };
  });
  serve('scheduler.getStation', (p) => {
    const s = stations.get(p.stationId);
    if (!s) throw new DomainError('NOT_FOUND', `unknown station ${p.stationId}`, { resource: 'station' });
    return s;
  });
  serve('scheduler.createStation', (p) => {
    if (stations.has(p.stationId)) throw new DomainError('CONFLICT', `station ${p.stationId} exists already`, { resource: 'station' });
    const s = station({
      stationId: p.stationId, name: p.name, address: p.address, latitude: p.latitude, longitude: p.longitude, kind: p.kind,
      tariffId: p.tariffId ?? 'default', ...(p.kind === 'walk-up' ? { piles: [], freePorts: 0, totalPorts: 0 } : {}),
    });
    stations.set(p.stationId, s);
    return s;
  });
  serve('scheduler.updateStation', ({ stationId, ...changes }) => {
    const old = stations.get(stationId);
    if (!old) throw new DomainError('NOT_FOUND', `unknown station ${stationId}`, { resource: 'station' });
    const s = { ...old, ...changes, updatedAt: old.updatedAt + 60_000 };
    stations.set(stationId, s);
    return s;
  });
  serve('scheduler.clockGet', () => ({ mode: 'real', timeMs: T0, speed: 1 }));
  serve('scheduler.clockSet', (p) => ({ mode: p.mode, timeMs: p.timeMs ?? T0, speed: p.speed ?? 1 }));
  serve('scheduler.clockAdvance', (p) => ({ mode: 'manual', timeMs: p.toMs ?? T0 + (p.seconds ?? 0) * 1000, speed: 1 }));

  return {
    orders,
    tariffs,
    stations,
    bills,
    calls,
    last: <M extends RpcMethod>(method: M) => calls.filter((c) => c.method === method).at(-1)?.params as RpcParams<M> | undefined,
    count: (method) => calls.filter((c) => c.method === method).length,
  };
}

// Contract-shaped records for the gateway's tests (the fake order/billing/scheduler servers answer with these).
import type { Bill, BoardResult, OrderView, QueueEntryView, StationView } from '@voltq/contracts';

export const KWH = 3_600_000_000;
/** 2025-01-02T10:00:00+08:00 */
export const T0 = Date.parse('2025-01-02T10:00:00+08:00');

export function order(over: Partial<OrderView> = {}): OrderView {
  return {
    orderId: 'o-1',
    orderNo: '20250102-0001',
    userId: '2',
    stationId: 'default',
    mode: 'fast',
    energyWms: 30 * KWH,
    requestChargedWms: 0,
    energyFeeFen: 0,
    serviceFeeFen: 0,
    requestFeeFen: 0,
    tiers: [],
    chargingMs: 0,
    state: 'waiting',
    queueNo: 'F1',
    position: 0,
    billIds: [],
    sessions: [],
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function bill(over: Partial<Bill> = {}): Bill {
  return {
    billId: 'b-1',
    billNo: 'B20250102-0001',
    createdAt: T0 + 3_600_000,
    userId: '2',
    orderId: 'o-1',
    sessionId: 'o-1#1',
    stationId: 'default',
    pileNo: 'F1',
    queueNo: 'F1',
    mode: 'fast',
    reason: 'completed',
    powerW: 30_000,
    energyWms: 30 * KWH,
    durationMs: 3_600_000,
    startedAt: T0,
    endedAt: T0 + 3_600_000,
    energyFeeFen: 3000,
    serviceFeeFen: 2400,
    totalFen: 5400,
    tiers: [{ tier: 'peak', energyWms: 30 * KWH, energyFeeFen: 3000 }],
    ...over,
  };
}

export function entry(over: Partial<QueueEntryView> = {}): QueueEntryView {
  return {
    orderId: 'o-1',
    userId: '2',
    queueNo: 'F1',
    mode: 'fast',
    energyWms: 30 * KWH,
    sessionChargedWms: 0,
    sessionFeeFen: 0,
    requestChargedWms: 0,
    requestFeeFen: 0,
    remainingWms: 30 * KWH,
    state: 'waiting',
    carsAhead: 0,
    createdAt: T0,
    ...over,
  };
}

export function board(over: Partial<BoardResult> = {}): BoardResult {
  return {
    stationId: 'default',
    timeMs: T0 + 600_000,
    piles: [
      {
        stationId: 'default',
        pileNo: 'F1',
        mode: 'fast',
        powerW: 30_000,
        state: 'charging',
        queue: [entry({ state: 'charging', pileNo: 'F1', sessionChargedWms: 5 * KWH, sessionFeeFen: 900, remainingWms: 25 * KWH, waitingMs: 0 })],
      },
      { stationId: 'default', pileNo: 'T1', mode: 'slow', powerW: 7_000, state: 'fault', queue: [] },
    ],
    waitingArea: [entry({ orderId: 'o-2', userId: '3', queueNo: 'F2', carId: 'V2', carsAhead: 0, waitingMs: 60_000 })],
    faultQueue: [],
    ...over,
  };
}

/** A station as the scheduler shows it: `default`, a queue station in Beijing, F1 charging, F2 idle, T1 faulty. */
export function station(over: Partial<StationView> = {}): StationView {
  return {
    stationId: 'default', name: 'VoltQ 北邮充电站', address: '北京市海淀区西土城路10号', latitude: 39.9612, longitude: 116.3566,
    kind: 'queue', status: 'online', tariffId: 'default', freePorts: 1, totalPorts: 3,
    piles: [
      { pileNo: 'F1', mode: 'fast', powerW: 30_000, state: 'charging', ports: 1, freePorts: 0 },
      { pileNo: 'F2', mode: 'fast', powerW: 30_000, state: 'idle', ports: 1, freePorts: 1 },
      { pileNo: 'T1', mode: 'slow', powerW: 7_000, state: 'fault', ports: 1, freePorts: 0 },
    ],
    createdAt: T0, updatedAt: T0 + 600_000,
    ...over,
  };
}

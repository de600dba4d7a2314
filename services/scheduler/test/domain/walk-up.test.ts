// The walk-up rules without a server: which port may start, limits by mode, readings into intervals, the condition
// on every reading (reached means >=, exactly at the limit too), the final register and the stop reason.
import t from 'tap';
import { WMS_PER_KWH, type DeviceView, type TariffRule } from '@voltq/contracts';
import {
  applyReading, endedPayload, ended, endReasonOf, feeOf, limitRefusal, portRefusal, reachedLimit, stopReasonOnStopped,
  viewOf, withFinalRegister, type WalkUpRecord,
} from '../../src/domain/walk-up.js';

const T0 = Date.parse('2025-03-03T10:00:00+08:00'); // flat hours all day in RULE below
const MIN = 60_000;
/** 1.0000 yuan/kWh all day, service 0.5000 yuan/kWh: 1 kWh = 150 fen */
const RULE: TariffRule = { pileType: 2, windows: [{ tier: 'flat', from: '00:00', to: '24:00', price: 10_000 }], servicePrice: 5000 };

function session(over: Partial<WalkUpRecord> = {}): WalkUpRecord {
  return {
    sessionId: 's1', orderId: 'o1', userId: 'u1', stationId: 'w1', deviceId: 'd1', pileId: 'w1-P1', pileNo: 'P1', portNo: 1,
    pileType: 2, ratedPowerW: 7000, origin: 'app', chargingMode: 1, paymentMethod: 3,
    tariff: { tariffId: 'flat', effectiveDate: '2000-01-01', timeZone: 'Asia/Shanghai', rule: RULE },
    state: 'charging', startedAt: T0, meterStartWms: 1000, meterWms: 1000, readingAt: T0, intervals: [],
    powerW: 0, voltageV: 0, currentA: 0, version: 1, createdAt: T0, updatedAt: T0, ...over,
  };
}

function device(port: Partial<DeviceView['portStates'][number]> = {}, over: Partial<DeviceView> = {}): DeviceView {
  return {
    deviceId: 'd1', pileId: 'w1-P1', stationId: 'w1', pileNo: 'P1', protocol: 'json', pileType: 2, powerW: 7000, ports: 2,
    connected: true, faulted: false, status: 1, createdAt: 0,
    portStates: [1, 2].map((portNo) => ({
      portNo, portId: `w1-P1-${portNo}`, status: 1 as const, isDisabled: false, faultType: 0, voltageV: 0, currentA: 0, powerW: 0,
      temperatureC: 20, sessionEnergyWms: 0, ...(portNo === 1 ? port : {}),
    })),
    ...over,
  };
}

t.test('a port starts only when it exists, is online, not faulted, enabled and idle', async (t) => {
  t.equal(portRefusal(device(), 1), null);
  t.match(portRefusal(device(), 3), { code: 'NOT_FOUND', details: { resource: 'port' } });
  t.match(portRefusal(device({}, { connected: false, status: 0 }), 1), { code: 'PILE_STATE', details: { reason: 'PILE_OFFLINE' } });
  t.match(portRefusal(device({ status: 0 }), 1), { details: { reason: 'PILE_OFFLINE' } });
  t.match(portRefusal(device({ status: 3, faultType: 1 }), 1), { details: { reason: 'PORT_FAULT' } });
  t.match(portRefusal(device({ isDisabled: true }), 1), { details: { reason: 'PORT_DISABLED' } });
  t.match(portRefusal(device({ status: 2, sessionId: 'x' }), 1), { details: { reason: 'PORT_OCCUPIED' } });
  t.equal(portRefusal(device({ status: 2 }), 2), null, 'the other port is still free');
});

t.test('the limit must match the charging mode', async (t) => {
  t.equal(limitRefusal(1, {}), null);
  t.equal(limitRefusal(2, { limitFeeFen: 500 }), null);
  t.equal(limitRefusal(3, { limitDurationMs: MIN }), null);
  t.equal(limitRefusal(4, { limitEnergyWms: WMS_PER_KWH }), null);
  t.match(limitRefusal(1, { limitFeeFen: 500 }), { code: 'VALIDATION', message: 'chargingMode 1 takes no limitFeeFen' });
  t.match(limitRefusal(2, {}), { code: 'VALIDATION', message: 'chargingMode 2 needs limitFeeFen > 0' });
  t.match(limitRefusal(4, { limitEnergyWms: 0 }), { code: 'VALIDATION' });
  t.match(limitRefusal(3, { limitDurationMs: MIN, limitEnergyWms: 1 }), { code: 'VALIDATION' });
});

t.test('readings become intervals between consecutive readings; old or repeated ones are ignored', async (t) => {
  let s = session();
  const read = (meterWms: number, at: number) => {
    const out = applyReading(s, { meterWms, at, powerW: 7000 });
    if (out.applied) s = out.record;
    return out;
  };
  t.ok(read(1000 + WMS_PER_KWH / 2, T0 + 5 * MIN).applied);
  t.ok(read(1000 + WMS_PER_KWH, T0 + 10 * MIN).applied);
  t.same(s.intervals, [
    { fromMs: T0, toMs: T0 + 5 * MIN, energyWms: WMS_PER_KWH / 2 },
    { fromMs: T0 + 5 * MIN, toMs: T0 + 10 * MIN, energyWms: WMS_PER_KWH / 2 },
  ]);
  t.match(read(1000 + WMS_PER_KWH, T0 + 10 * MIN), { applied: false }, 'a redelivered reading');
  t.match(read(1000 + WMS_PER_KWH / 4, T0 + 7 * MIN), { applied: false }, 'an older reading, out of order');
  t.match(read(500, T0 + 11 * MIN), { applied: false, why: /below/ }, 'a register going back');
  t.equal(s.intervals.length, 2);
  const v = viewOf(s);
  t.match(v, { energyWms: WMS_PER_KWH, energyFeeFen: 100, serviceFeeFen: 50, totalFeeFen: 150, durationMs: 10 * MIN, powerW: 7000 });
});

t.test('without a start register, the first reading gives it', async (t) => {
  const out = applyReading(session({ meterStartWms: null, meterWms: null }), { meterWms: 5000, at: T0 + MIN });
  t.ok(out.applied);
  if (out.applied) t.match(out.record, { meterStartWms: 5000, meterWms: 5000, intervals: [] });
});

t.test('the condition is checked on every reading and reached exactly at the limit', async (t) => {
  const energy = session({ chargingMode: 4, limitEnergyWms: 2 * WMS_PER_KWH });
  const below = applyReading(energy, { meterWms: 1000 + 2 * WMS_PER_KWH - 1, at: T0 + MIN });
  t.match(below, { applied: true, reached: null }, 'one Wms short');
  const at = applyReading(energy, { meterWms: 1000 + 2 * WMS_PER_KWH, at: T0 + MIN });
  t.match(at, { applied: true, reached: 4 }, 'exactly 2 kWh: reached');

  const amount = session({ chargingMode: 2, limitFeeFen: 150 });
  t.match(applyReading(amount, { meterWms: 1000 + WMS_PER_KWH - 3_600_000, at: T0 + MIN }), { reached: 5 }, '0.999 kWh: 99.9 + 49.95 fen, each rounded once: 150, reached');
  t.match(applyReading(amount, { meterWms: 1000 + WMS_PER_KWH - 36_000_000, at: T0 + MIN }), { reached: null }, '0.99 kWh: 99 + 49.5 -> 50 fen = 149 < 150');
  t.match(applyReading(amount, { meterWms: 1000 + WMS_PER_KWH, at: T0 + MIN }), { reached: 5 }, '1 kWh = 150 fen: reached');

  const time = session({ chargingMode: 3, limitDurationMs: 30 * MIN });
  t.match(applyReading(time, { meterWms: 2000, at: T0 + 30 * MIN - 1 }), { reached: null });
  t.match(applyReading(time, { meterWms: 2000, at: T0 + 30 * MIN }), { reached: 3 });

  t.equal(reachedLimit(session({ meterWms: 10 * WMS_PER_KWH })), null, 'mode 1 has no condition');
});

t.test('the final register closes the last interval at the stop', async (t) => {
  const s = session({ meterWms: 1000 + WMS_PER_KWH, readingAt: T0 + 10 * MIN, intervals: [{ fromMs: T0, toMs: T0 + 10 * MIN, energyWms: WMS_PER_KWH }] });
  const f = withFinalRegister(s, 1000 + WMS_PER_KWH + 1000, T0 + 11 * MIN);
  t.same(f.intervals.at(-1), { fromMs: T0 + 10 * MIN, toMs: T0 + 11 * MIN, energyWms: 1000 });
  t.equal(f.endedAt, T0 + 11 * MIN);
  // a stop stamped at the last reading's instant: its energy joins that reading's interval (none lost, no empty span)
  const same = withFinalRegister(s, 1000 + WMS_PER_KWH + 1000, T0 + 10 * MIN);
  t.same(same.intervals, [{ fromMs: T0, toMs: T0 + 10 * MIN, energyWms: WMS_PER_KWH + 1000 }]);
  t.doesNotThrow(() => feeOf(same));
  const e = endedPayload(ended(f, 4));
  t.match(e, { energyWms: WMS_PER_KWH + 1000, stopReason: 4, reason: 'completed', kind: 'walk-up', deviceId: 'd1', portNo: 1, queueNo: '' });
  t.equal(e.intervals?.reduce((n, i) => n + i.energyWms, 0), e.energyWms, 'the intervals add up to the energy');
});

t.test('the stop reason: the one asked or reached first, else the pile\'s', async (t) => {
  const s = session();
  t.equal(stopReasonOnStopped({ ...s, stopReason: 1 }, 'remote'), 1, 'a user stop');
  t.equal(stopReasonOnStopped({ ...s, stopReason: 4 }, 'other'), 4, 'the condition that sent the stop');
  t.equal(stopReasonOnStopped(s, 'full'), 2);
  t.equal(stopReasonOnStopped(s, 'fault'), 6);
  t.equal(stopReasonOnStopped(s, 'local'), 1);
  t.equal(stopReasonOnStopped(s, 'unplugged'), 1);
  t.equal(stopReasonOnStopped(s, 'other'), 7);
  const atTarget = session({ chargingMode: 4, limitEnergyWms: WMS_PER_KWH, meterWms: 1000 + WMS_PER_KWH });
  t.equal(stopReasonOnStopped(atTarget, 'other'), 4, 'a pile that stopped at the target itself');
  t.same([1, 2, 3, 4, 5, 6, 7].map((r) => endReasonOf(r as 1)), ['stopped', 'completed', 'completed', 'completed', 'completed', 'fault', 'stopped']);
});

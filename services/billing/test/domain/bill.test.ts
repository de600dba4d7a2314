// Bill building without servers: modelled and metered sessions priced by the default tariff.
import t from 'tap';
import type { SessionEnded } from '@voltq/contracts';
import { DEFAULT_TARIFF } from '@voltq/tariff';
import { buildBill, priceSession } from '../../src/domain/bill.js';

const KWH = 3_600_000_000;
const at = (hhmm: string) => Date.parse(`2025-03-01T${hhmm}:00+08:00`);
const id = { billId: 'b1', billNo: 'B20250301000001', createdAt: at('07:10') };

function session(over: Partial<SessionEnded> = {}): SessionEnded {
  return {
    sessionId: 'o1#1', orderId: 'o1', userId: '7', stationId: 'default', pileNo: 'F1', queueNo: 'F3', mode: 'fast',
    startedAt: at('06:10'), endedAt: at('07:10'), energyWms: 30 * KWH, powerW: 30_000, reason: 'completed', ...over,
  };
}

t.test('30 kW from 06:10 to 07:10 (30 kWh): 25 kWh valley + 5 kWh flat = 13.50 + service 24.00', async (t) => {
  const bill = buildBill(session({ carId: 'car-1' }), DEFAULT_TARIFF, id);
  t.match(bill, {
    billId: 'b1', billNo: 'B20250301000001', userId: '7', orderId: 'o1', sessionId: 'o1#1', stationId: 'default',
    pileNo: 'F1', queueNo: 'F3', carId: 'car-1', mode: 'fast', reason: 'completed',
    energyWms: 30 * KWH, durationMs: 3_600_000, startedAt: at('06:10'), endedAt: at('07:10'),
    energyFeeFen: 1350, serviceFeeFen: 2400, totalFen: 3750,
  });
  t.same(bill.tiers, [
    { tier: 'valley', energyWms: 25 * KWH, energyFeeFen: 1000 },
    { tier: 'flat', energyWms: 5 * KWH, energyFeeFen: 350 },
  ]);
});

t.test('a session stopped early is billed for what was delivered', async (t) => {
  // 06:10 -> 07:05 at 30 kW: 27.5 kWh, energy 11.75, service 22.00
  const bill = buildBill(session({ endedAt: at('07:05'), energyWms: 27.5 * KWH, reason: 'cancelled' }), DEFAULT_TARIFF, id);
  t.match(bill, { energyWms: 27.5 * KWH, energyFeeFen: 1175, serviceFeeFen: 2200, totalFen: 3375, durationMs: 55 * 60_000 });
});

t.test('a full target reached before the end: energy stops at the target', async (t) => {
  // 10 kWh at 30 kW takes 20 min; the session lasted 20 min in the valley
  const bill = buildBill(session({ endedAt: at('06:30'), energyWms: 10 * KWH }), DEFAULT_TARIFF, id);
  t.match(bill, { energyWms: 10 * KWH, energyFeeFen: 400, serviceFeeFen: 800, totalFen: 1200 });
});

t.test('a session of 0 kWh is still a bill, of 0', async (t) => {
  const bill = buildBill(session({ endedAt: at('06:10'), energyWms: 0, reason: 'fault' }), DEFAULT_TARIFF, id);
  t.match(bill, { energyWms: 0, durationMs: 0, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0, reason: 'fault' });
  t.same(bill.tiers, []);
});

t.test('metered sessions are priced by interval', async (t) => {
  // 6 kWh in the valley hour before 07:00, 4 kWh in the flat hour after: 2.40 + 2.80 energy, 8.00 service
  const fee = priceSession(
    session({
      startedAt: at('06:00'), endedAt: at('08:00'), energyWms: 10 * KWH, powerW: 7000,
      intervals: [
        { fromMs: at('07:00'), toMs: at('08:00'), energyWms: 4 * KWH },
        { fromMs: at('06:00'), toMs: at('07:00'), energyWms: 6 * KWH },
      ],
    }),
    DEFAULT_TARIFF,
  );
  t.match(fee, { energyWms: 10 * KWH, energyFeeFen: 520, serviceFeeFen: 800, totalFen: 1320 });
});

t.test('reported energy above what the power allows is billed in full, spread over the span', async (t) => {
  const fee = priceSession(session({ startedAt: at('06:00'), endedAt: at('06:30'), energyWms: 20 * KWH, powerW: 30_000 }), DEFAULT_TARIFF);
  t.match(fee, { energyWms: 20 * KWH, energyFeeFen: 800, serviceFeeFen: 1600 });
});

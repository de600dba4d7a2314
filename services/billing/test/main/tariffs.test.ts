// The billing service's tariffs over the real bus: billing.putTariff / billing.tariffs, and a bill of a session
// naming a tariff priced by that tariff's version in force at the session's start.
import t from 'tap';
import type { PutTariffParams, SessionEnded, TariffRule } from '@voltq/contracts';
import { startHarness } from '../support/harness.js';

const KWH = 3_600_000_000;
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+08:00`);

const h = await startHarness(['bill.created']);
t.teardown(() => h.close());

let n = 0;
function session(over: Partial<SessionEnded> = {}): SessionEnded {
  n++;
  return {
    sessionId: `tar${n}#1`, orderId: `tar${n}`, userId: '7', stationId: 'w1', pileNo: 'F1', queueNo: 'F1', mode: 'fast',
    startedAt: at('2026-03-02', '10:00'), endedAt: at('2026-03-02', '11:00'), energyWms: 30 * KWH, powerW: 30_000, reason: 'completed', ...over,
  };
}
async function billOf(s: SessionEnded) {
  await h.bus.publish('session.ended', s);
  return (await h.waitFor('bill.created', (e) => e.payload.sessionId === s.sessionId)).payload;
}

/** One price all day and a service fee: simple to check by hand. */
const flat = (pileType: 1 | 2, price: number, fee: Partial<TariffRule>): TariffRule => ({
  pileType, windows: [{ tier: 'flat', from: '00:00', to: '24:00', price }], ...fee,
});
const put = (tariffId: string, effectiveDate: string, rules: TariffRule[]): PutTariffParams => ({ tariffId, name: `${tariffId} tariff`, version: { effectiveDate, rules } });

t.test('the tariff default exists from the start and prices as before', async (t) => {
  const { tariffs } = await h.bus.call('billing.tariffs', {});
  t.same(tariffs.map((x) => x.tariffId), ['default']);
  const bill = await billOf(session({ startedAt: at('2026-03-02', '06:10'), endedAt: at('2026-03-02', '07:10') }));
  t.match(bill, { energyFeeFen: 1350, serviceFeeFen: 2400, totalFen: 3750 }, "DESIGN.md's 06:10-07:10 30 kWh: 13.50 + 24.00");
  const named = await billOf(session({ tariffId: 'default', startedAt: at('2026-03-02', '06:10'), endedAt: at('2026-03-02', '07:10') }));
  t.match(named, { energyFeeFen: 1350, serviceFeeFen: 2400, totalFen: 3750 }, 'named default: the same');
});

t.test('a session naming a tariff is priced by it, by the version in force at its start and its pile type', async (t) => {
  const v1 = await h.bus.call('billing.putTariff', put('w1', '2026-01-01', [flat(1, 5000, { servicePrice: 2000 }), flat(2, 4000, { serviceRate: 250_000 })]));
  t.same(v1.versions.map((v) => v.effectiveDate), ['2026-01-01']);
  const v2 = await h.bus.call('billing.putTariff', put('w1', '2026-03-01', [flat(1, 8000, { servicePrice: 1000 }), flat(2, 4000, { serviceRate: 500_000 })]));
  t.same(v2.versions.map((v) => v.effectiveDate), ['2026-01-01', '2026-03-01'], 'a new date adds a version');
  t.equal(v2.inForce, '2026-03-01', 'in force now: the newest version already started');
  const future = await h.bus.call('billing.putTariff', put('w2', '2099-01-01', [flat(1, 1, { servicePrice: 1 }), flat(2, 1, { servicePrice: 1 })]));
  t.equal(future.inForce, '2099-01-01', 'a tariff with only a future version: that one (it prices everything until then)');
  t.same((await h.bus.call('billing.tariffs', {})).tariffs.find((x) => x.tariffId === 'w1'), v2, 'listed as stored');

  // 30 kWh fast, after 1 March: 30 x 0.80 + 30 x 0.10 = 24.00 + 3.00
  t.match(await billOf(session({ tariffId: 'w1' })), { energyFeeFen: 2400, serviceFeeFen: 300, totalFen: 2700 });
  // started 28 Feb 23:30, ended after midnight: the old version for all of it: 30 x 0.50 + 30 x 0.20
  t.match(await billOf(session({ tariffId: 'w1', startedAt: at('2026-02-28', '23:30'), endedAt: at('2026-03-01', '00:30') })), { energyFeeFen: 1500, serviceFeeFen: 600, totalFen: 2100 });
  // slow pile: 30 x 0.40 = 12.00, service 50 % = 6.00
  t.match(await billOf(session({ tariffId: 'w1', mode: 'slow', pileNo: 'T1', queueNo: 'T1' })), { energyFeeFen: 1200, serviceFeeFen: 600, totalFen: 1800 });
});

t.test('a refused put stores nothing', async (t) => {
  const before = await h.bus.call('billing.tariffs', {});
  const gap: TariffRule = { pileType: 1, windows: [{ tier: 'flat', from: '00:00', to: '23:00', price: 1 }], servicePrice: 1 };
  await t.rejects(h.bus.call('billing.putTariff', put('w1', '2026-05-01', [gap, flat(2, 1, { servicePrice: 1 })])), { code: 'VALIDATION', message: /uncovered/ });
  await t.rejects(h.bus.call('billing.putTariff', put('w9', '2026-05-01', [flat(1, 1, { servicePrice: 1 })])), { code: 'VALIDATION', message: /pile type 2 is missing/ });
  t.same(await h.bus.call('billing.tariffs', {}), before);
});

t.test('a session naming an unknown tariff is still billed, by the tariff default', async (t) => {
  const bill = await billOf(session({ tariffId: 'nowhere', startedAt: at('2026-03-02', '06:10'), endedAt: at('2026-03-02', '07:10') }));
  t.match(bill, { totalFen: 3750 });
});

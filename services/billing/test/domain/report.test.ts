// Reports per pile without servers: the summing and grouping rule.
import t from 'tap';
import { sumByPile, type ReportBill } from '../../src/domain/report.js';

const KWH = 3_600_000_000;

function bill(pileNo: string, over: Partial<ReportBill> = {}): ReportBill {
  return { pileNo, durationMs: 3_600_000, energyWms: 30 * KWH, energyFeeFen: 1350, serviceFeeFen: 2400, totalFen: 3750, ...over };
}

t.test('bills are summed exactly per pile, one row per pile with bills, in pile-number order', async (t) => {
  const rows = sumByPile([
    bill('F10', { durationMs: 60_000, energyWms: 1, energyFeeFen: 1, serviceFeeFen: 0, totalFen: 1 }),
    bill('T1', { durationMs: 1_200_000, energyWms: 10 * KWH, energyFeeFen: 700, serviceFeeFen: 800, totalFen: 1500 }),
    bill('F2'),
    bill('F2', { durationMs: 1_234, energyWms: KWH / 3 + 1, energyFeeFen: 33, serviceFeeFen: 27, totalFen: 60 }),
    bill('F10', { durationMs: 0, energyWms: 0, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0 }),
  ]);
  t.same(rows, [
    { pileNo: 'F2', sessions: 2, durationMs: 3_601_234, energyWms: 30 * KWH + KWH / 3 + 1, energyFeeFen: 1383, serviceFeeFen: 2427, totalFen: 3810 },
    { pileNo: 'F10', sessions: 2, durationMs: 60_000, energyWms: 1, energyFeeFen: 1, serviceFeeFen: 0, totalFen: 1 },
    { pileNo: 'T1', sessions: 1, durationMs: 1_200_000, energyWms: 10 * KWH, energyFeeFen: 700, serviceFeeFen: 800, totalFen: 1500 },
  ]);
});

t.test('a 0 kWh session counts as a session', async (t) => {
  t.same(sumByPile([bill('F1', { durationMs: 0, energyWms: 0, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0 })]), [
    { pileNo: 'F1', sessions: 1, durationMs: 0, energyWms: 0, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0 },
  ]);
});

t.test('no bills, no rows', async (t) => {
  t.same(sumByPile([]), []);
});

t.test('a sum beyond exact double integers is refused, not rounded', async (t) => {
  const huge = bill('F1', { energyWms: Number.MAX_SAFE_INTEGER - 10 });
  t.throws(() => sumByPile([huge, bill('F1')]), { code: 'VALIDATION', message: /F1.*too large/ });
  t.equal(sumByPile([huge])[0]?.energyWms, Number.MAX_SAFE_INTEGER - 10, 'one such bill alone is still exact');
});

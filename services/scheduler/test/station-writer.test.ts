// The writer's pure step for a clock set back: rebase.
import t from 'tap';
import { WMS_PER_KWH } from '@voltq/contracts';
import { applyCommand, createStation, type StationCommand, type StationState } from '@voltq/scheduling';
import { engineCarId } from '../src/domain/mapping.js';
import { rebase } from '../src/station-writer.js';

const T0 = Date.parse('2025-01-06T08:00:00+08:00');

function run(state: StationState, cmd: StationCommand, at: number) {
  const r = applyCommand(state, cmd, at);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r;
}

function submit(orderId: string, mode: 'fast' | 'slow', kwh: number, carId?: string): StationCommand {
  return { type: 'submit', orderId, userId: `u-${orderId}`, carId: engineCarId(`u-${orderId}`, carId), mode, energyWms: kwh * WMS_PER_KWH };
}

t.test('rebase moves an empty station back in time, refuses a busy one', async (t) => {
  const s = createStation({}, T0 + 86_400_000);
  const back = rebase(s, T0);
  t.equal(back.state.nowMs, T0);
  t.equal(back.state.version, s.version + 1);
  t.equal(back.state.numbering.day, '2025-01-06');
  const busy = run(s, submit('o1', 'fast', 10), s.nowMs).state;
  t.throws(() => rebase(busy, T0), { code: 'STATION_BUSY' });
});

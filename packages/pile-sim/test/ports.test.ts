// A simulated walk-up port (pure, time passed in): sessions, the register, stopping at the target and a full car.
import t from 'tap';
import { PortModel } from '../src/ports.js';

const KWH = 3_600_000_000;

t.test('a port charges at its power times the speed and stops at its target', async (t) => {
  // 7 kW at speed 3600: one real second delivers 7 kWh
  const port = new PortModel(1, { powerW: 7000, speed: 3600 });
  port.registerWms = 100;
  t.same(port.start({ sessionId: 's1', commandId: 'c1', targetEnergyWms: 2 * KWH }, 0), { accepted: true, meterWms: 100, repeated: false });
  t.equal(port.state, 'charging');
  t.same(port.start({ sessionId: 's1', commandId: 'c1' }, 10), { accepted: true, meterWms: 100, repeated: true }, 'the same command again');
  t.same(port.start({ sessionId: 's2', commandId: 'c2' }, 10), { accepted: false, reason: 'port is busy' });
  t.equal(port.meter(100), 100 + 0.7 * KWH);
  t.equal(port.due(100), undefined);
  t.equal(port.meter(10_000), 100 + 2 * KWH, 'never beyond the target');
  t.equal(port.due(10_000), 'other');
  t.same(port.stop(10_000), { sessionId: 's1', energyWms: 100 + 2 * KWH });
  t.equal(port.state, 'idle');
  t.equal(port.stop(10_000), undefined);
});

t.test('a car is full after carWms; an unplugged or faulted port refuses a start', async (t) => {
  const port = new PortModel(2, { powerW: 60_000, speed: 60, carWms: KWH });
  port.start({ sessionId: 's1' }, 0);
  t.equal(port.due(999), undefined);
  t.equal(port.due(1000), 'full');
  t.equal(port.stop(5000)!.energyWms, KWH);
  port.unplug();
  t.same(port.start({ sessionId: 's2' }, 0), { accepted: false, reason: 'no car plugged in' });
  port.plug();
  port.faulted = true;
  t.same(port.start({ sessionId: 's2' }, 0), { accepted: false, reason: 'port is faulted' });
  t.equal(port.state, 'faulted');
});

// The simulator's command line.
import t from 'tap';
import { parseDuration, parseSimArgs } from '../src/args.js';

t.test('simulator arguments', async (t) => {
  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('5'), 5000);
  t.throws(() => parseDuration('soon'));

  const plan = parseSimArgs([], { PILE_TCP_PORT: '9200' });
  t.same(plan.piles.map((p) => `${p.pileId}/${p.door}`), ['default-F1/ws', 'default-F2/tcp', 'default-T1/ws', 'default-T2/tcp', 'default-T3/ws']);
  t.same(plan.tcp, { host: '127.0.0.1', port: 9200 });
  t.equal(plan.wsUrl, 'ws://127.0.0.1:8085/piles');

  const custom = parseSimArgs(['--station', 's2', '--piles', 'F1,T1', '--door', 'tcp', '--tcp', '10.0.0.5:9100', '--fault', 'F1@30s', '--recover', 'F1@2m'], {
    DEVICE_BRIDGE_URL: 'ws://bridge:8085/piles',
  });
  t.same(custom.piles, [
    { pileNo: 'F1', pileId: 's2-F1', door: 'tcp' },
    { pileNo: 'T1', pileId: 's2-T1', door: 'tcp' },
  ]);
  t.equal(custom.wsUrl, 'ws://bridge:8085/piles');
  t.same(custom.faults, [{ pileNo: 'F1', atMs: 30_000 }]);
  t.same(custom.recoveries, [{ pileNo: 'F1', atMs: 120_000 }]);
  t.throws(() => parseSimArgs(['--door', 'udp']), /--door udp/);
  t.throws(() => parseSimArgs(['--fault', 'F9@1s']), /F9 is not simulated/);
  t.throws(() => parseSimArgs(['--bogus']));
});

t.test('walk-up piles on the command line', async (t) => {
  const plan = parseSimArgs(['--walk-up', 'IMEI1:s3cr-t_:2:60', '--walk-up', 'IMEI2:x', '--ports', '4', '--power-kw', '11', '--speed', '120', '--car-kwh', '50', '--card', 'IMEI1:2:CARD-7@5s']);
  t.same(plan.piles, [], 'only walk-up piles without --piles');
  t.same(plan.walkUp, [
    { deviceId: 'IMEI1', secret: 's3cr-t_', ports: 2, powerKw: 60, door: 'ws' },
    { deviceId: 'IMEI2', secret: 'x', ports: 4, powerKw: 11, door: 'tcp' },
  ]);
  t.match(plan, { speed: 120, carKwh: 50, meterIntervalMs: 1000, cards: [{ deviceId: 'IMEI1', portNo: 2, cardId: 'CARD-7', atMs: 5000 }] });
  t.throws(() => parseSimArgs(['--walk-up', 'IMEI1']), /--walk-up IMEI1/);
  t.throws(() => parseSimArgs(['--walk-up', 'IMEI1:x', '--card', 'IMEI9:1:C@1s']), /IMEI9 is not simulated/);
  t.throws(() => parseSimArgs(['--walk-up', 'IMEI1:x', '--speed', '0']), /--speed 0/);
});

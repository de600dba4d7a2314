// OCPP transaction rules: natural keys, MeterValues (Wh and kWh registers, phases, live figures), exact Wh -> Wms,
// stop reasons and the stop decision, and the energies per interval a time-of-use split needs.
import t from 'tap';
import { WMS_PER_KWH, WMS_PER_WH } from '@voltq/contracts';
import {
  energyToWms, eventId, isStale, issuedIdTag, parseMeterValues, sampleKey, sampleOwner, startKey, stopAnswer, stopDecision, stopReasonOf, whToWms,
} from '../../src/domain/ocpp-transactions.js';

t.test('natural keys: one instant is one start, whatever its spelling; samples by owner, time, measurand, phase', async (t) => {
  const a = startKey({ deviceId: 'CP1', connectorId: 1, idTag: 'CARD-7', timestampMs: Date.parse('2025-01-01T06:10:00Z'), meterStart: 1000 });
  const b = startKey({ deviceId: 'CP1', connectorId: 1, idTag: 'CARD-7', timestampMs: Date.parse('2025-01-01T14:10:00.000+08:00'), meterStart: 1000 });
  t.equal(a, b);
  t.not(a, startKey({ deviceId: 'CP1', connectorId: 1, idTag: 'CARD-7', timestampMs: Date.parse('2025-01-01T06:10:00Z'), meterStart: 1001 }));
  t.equal(sampleOwner(42, 1), 'tx:42');
  t.equal(sampleOwner(undefined, 2), 'connector:2');
  t.not(sampleKey('CP1', 'tx:1', 5, 'Voltage', 'L1'), sampleKey('CP1', 'tx:1', 5, 'Voltage', 'L2'));
  t.equal(eventId('meter', 'CP1', 'tx:1', 5), eventId('meter', 'CP1', 'tx:1', 5), 'the same event, the same id');
  t.not(eventId('meter', 'CP1', 'tx:1', 5), eventId('meter', 'CP1', 'tx:1', 6));
  t.ok(eventId('stop', 'x'.repeat(64), 1).length <= 128);
  const tag = issuedIdTag(Buffer.alloc(9, 0xab));
  t.equal(tag.length, 20, 'an issued idTag fits OCPP CiString20');
});

t.test('energy: Wh and kWh strings to exact Wms', async (t) => {
  t.equal(energyToWms('1', 'Wh'), WMS_PER_WH);
  t.equal(energyToWms('1234.5', 'Wh'), 1234.5 * WMS_PER_WH);
  t.equal(energyToWms('30', 'kWh'), 30 * WMS_PER_KWH);
  t.equal(energyToWms('0.001', 'kWh'), WMS_PER_WH, '1 Wh written in kWh');
  t.equal(energyToWms('12.345678901', 'kWh'), 44_444_444_044, 'below one Wms rounded half up, no float drift');
  t.equal(energyToWms('0.1', 'Wh'), 360_000);
  t.equal(energyToWms('-1', 'Wh'), undefined);
  t.equal(energyToWms('abc', 'Wh'), undefined);
  t.equal(whToWms(25_000), 25 * WMS_PER_KWH);
  t.throws(() => whToWms(-1));
});

t.test('MeterValues: measurand default energy, kWh units, phases, live figures, other measurands not energy', async (t) => {
  const parsed = parseMeterValues([
    {
      timestamp: '2025-01-01T06:40:00Z',
      sampledValue: [
        { value: '26.5', unit: 'kWh', context: 'Sample.Periodic' },
        { value: '7.2', measurand: 'Power.Active.Import', unit: 'kW' },
        { value: '230.1', measurand: 'Voltage', phase: 'L1-N', unit: 'V' },
        { value: '16', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
        { value: '31', measurand: 'Current.Import', phase: 'L2', unit: 'A' },
        { value: '301.15', measurand: 'Temperature', unit: 'K' },
        { value: '999', measurand: 'Energy.Active.Export.Register', unit: 'Wh' },
        { value: '80', measurand: 'SoC', unit: 'Percent' },
      ],
    },
    { timestamp: '2025-01-01T06:41:00Z', sampledValue: [{ value: '5', measurand: 'Power.Active.Import' }] },
    {
      timestamp: '2025-01-01T06:42:00Z',
      sampledValue: [
        { value: '10000', measurand: 'Energy.Active.Import.Register', phase: 'L1' },
        { value: '10000', measurand: 'Energy.Active.Import.Register', phase: 'L2' },
        { value: '10000', measurand: 'Energy.Active.Import.Register', phase: 'L3' },
        { value: '5', unit: 'varh' },
      ],
    },
    { timestamp: 'yesterday', sampledValue: [{ value: '1' }] },
  ]);
  t.equal(parsed.samples.length, 8 + 1 + 4, 'every sampled value kept, also those not read for energy');
  t.same(parsed.readings, [
    { timestampMs: Date.parse('2025-01-01T06:40:00Z'), energyWms: 26.5 * WMS_PER_KWH, powerW: 7200, voltageV: 230.1, currentA: 31, temperatureC: 28 },
    { timestampMs: Date.parse('2025-01-01T06:42:00Z'), energyWms: 30_000 * WMS_PER_WH },
  ], 'a time without a register gives no reading; phase registers add up');
  t.ok(parsed.skipped.some((s) => /valid timestamp/.test(s)));
});

t.test('the 30 kWh 06:10-07:10 session: readings at 06:40 and 07:00 give 25 kWh before 07:00 and 5 kWh after', async (t) => {
  const at = (hhmm: string) => Date.parse(`2025-01-01T${hhmm}:00+08:00`);
  const start = { timestampMs: at('06:10'), energyWms: whToWms(100_000) };
  const readings = [
    ...parseMeterValues([{ timestamp: '2025-01-01T06:40:00+08:00', sampledValue: [{ value: '112.5', unit: 'kWh', context: 'Sample.Periodic' }] }]).readings,
    ...parseMeterValues([{ timestamp: '2025-01-01T07:00:00+08:00', sampledValue: [{ value: '125000' }] }]).readings,
  ];
  const stop = { timestampMs: at('07:10'), energyWms: whToWms(130_000) };
  const points = [start, ...readings, stop];
  const intervals = points.slice(1).map((p, i) => ({ fromMs: points[i]!.timestampMs, toMs: p.timestampMs, energyWms: p.energyWms - points[i]!.energyWms }));
  t.same(intervals.map((i) => i.energyWms / WMS_PER_KWH), [12.5, 12.5, 5]);
  const before7 = intervals.filter((i) => i.toMs <= at('07:00')).reduce((s, i) => s + i.energyWms, 0);
  const after7 = intervals.filter((i) => i.fromMs >= at('07:00')).reduce((s, i) => s + i.energyWms, 0);
  t.equal(before7, 25 * WMS_PER_KWH);
  t.equal(after7, 5 * WMS_PER_KWH);
});

t.test('stops: reasons, the first wins, repeats the same answer', async (t) => {
  t.same(['Local', undefined, 'Remote', 'EVDisconnected', 'UnlockCommand', 'EmergencyStop', 'PowerLoss', 'HardReset', 'SoftReset', 'Reboot', 'DeAuthorized', 'Other'].map(stopReasonOf),
    ['local', 'local', 'remote', 'unplugged', 'remote', 'other', 'other', 'other', 'other', 'other', 'other', 'other']);
  t.same(stopDecision(null, { meterStop: 1, timestampMs: 1 }), { kind: 'unknown' });
  t.same(stopDecision({}, { meterStop: 1, timestampMs: 1 }), { kind: 'first' });
  const stop = { meterStop: 5, meterStopWms: 5 * WMS_PER_WH, timestampMs: 9, reason: 'local' as const, by: 'charge-point' as const };
  t.same(stopDecision({ stop }, { meterStop: 5, timestampMs: 9 }), { kind: 'repeat', keepAside: false });
  t.same(stopDecision({ stop }, { meterStop: 6, timestampMs: 9 }), { kind: 'repeat', keepAside: true }, 'a differing second stop is kept aside');
  t.same(stopDecision({ stop: { ...stop, by: 'sweep' } }, { meterStop: 5, timestampMs: 9 }), { kind: 'repeat', keepAside: true });
  t.same(stopAnswer({ status: 'Accepted' }, 'CARD-7'), { idTagInfo: { status: 'Accepted' } });
  t.same(stopAnswer({ status: 'Accepted' }, undefined), {});
  t.same(stopAnswer(null, 'CARD-7'), {}, 'an unknown transaction: answered without judging the tag');
  t.ok(isStale({ lastMessageAt: 0 }, 100, 100));
  t.notOk(isStale({ lastMessageAt: 1 }, 100, 100));
  t.notOk(isStale({ lastMessageAt: 0, stop }, 100, 100));
});

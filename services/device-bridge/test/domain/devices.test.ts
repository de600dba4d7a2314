// Registry rules and live views (pure): exact power, defaults of seeded piles, what device.get shows of a pile.
import t from 'tap';
import { deviceRecord, deviceView, portField, powerKwToW, type DeviceRecord } from '../../src/domain/devices.js';

t.test('power: kW with at most 3 decimals become exact watts', async (t) => {
  t.equal(powerKwToW(7), 7000);
  t.equal(powerKwToW(1.005), 1005, 'not 1004 from a float product');
  t.equal(powerKwToW(60.125), 60125);
  t.equal(powerKwToW(0.001), 1);
  t.equal(powerKwToW(7.0001), undefined, 'a fourth decimal is refused');
  t.equal(powerKwToW(1e-7), undefined);
  t.equal(powerKwToW(0), undefined);
  t.equal(powerKwToW(Number.NaN), undefined);
});

t.test('a seeded queue pile stored before the registry had ports keeps working', async (t) => {
  const old = deviceRecord({ _id: 'default-F1', stationId: 'default', pileNo: 'F1', createdAt: new Date(5) });
  t.same(old, { deviceId: 'default-F1', pileId: 'default-F1', stationId: 'default', pileNo: 'F1', protocol: 'json', pileType: 1, powerW: 0, ports: 1, enabled: true, createdAtMs: 5 });
  t.equal(deviceRecord({ _id: 'default-T2', stationId: 'default', pileNo: 'T2' }).pileType, 2);
});

const device: DeviceRecord = {
  deviceId: 'IMEI-1', pileId: 'park-P1', stationId: 'park', pileNo: 'P1', protocol: 'json', pileType: 2, powerW: 7000, ports: 2, enabled: true, createdAtMs: 1,
};

t.test('device view: offline, then port 1 charging with its session figures, port 2 disabled', async (t) => {
  const offline = deviceView(device, { owner: null, telemetry: {} });
  t.match(offline, { connected: false, status: 0, faulted: false, portStates: [{ portNo: 1, portId: 'park-P1-1', status: 0, sessionEnergyWms: 0 }, { portNo: 2, status: 0 }] });
  t.notOk('endpoint' in offline);

  const telemetry = {
    online: '1', door: 'tcp', loginAt: '100', lastSeenAt: '900',
    [portField(1, 'state')]: 'charging', [portField(1, 'meterWms')]: '5000', [portField(1, 'startWms')]: '1200', [portField(1, 'sessionId')]: 's-1',
    [portField(1, 'orderId')]: 'o-1', [portField(1, 'powerW')]: '7000', [portField(1, 'voltageV')]: '220', [portField(1, 'currentA')]: '31.8',
    [portField(1, 'temperatureC')]: '38.5', [portField(1, 'meterAt')]: '800',
    [portField(2, 'state')]: 'unavailable',
  };
  const view = deviceView(device, { owner: 'replica-2', telemetry });
  t.match(view, { connected: true, replicaId: 'replica-2', endpoint: 'tcp://replica-2', connectedAt: 100, lastSeenAt: 900, status: 2, temperatureC: 38.5 });
  t.same(view.portStates[0], {
    portNo: 1, portId: 'park-P1-1', status: 2, connectorState: 'charging', isDisabled: false, faultType: 0, voltageV: 220, currentA: 31.8, powerW: 7000,
    temperatureC: 38.5, sessionEnergyWms: 3800, meterWms: 5000, sessionId: 's-1', orderId: 'o-1', updatedAt: 800,
  });
  t.match(view.portStates[1], { status: 1, isDisabled: true, connectorState: 'unavailable', sessionEnergyWms: 0, powerW: 0 });

  const faulted = deviceView(device, { owner: 'replica-2', telemetry: { ...telemetry, faulted: '1' } });
  t.equal(faulted.status, 3);
  t.equal(faulted.portStates[0]!.status, 3);

  // a one-port queue pile reports pile-level status and meter: that is its port
  const queuePile = deviceView({ ...device, ports: 1 }, { owner: 'r1', telemetry: { door: 'ws', state: 'idle', energyWms: '77' } });
  t.match(queuePile.portStates, [{ status: 1, connectorState: 'idle', meterWms: 77 }]);
  t.equal(queuePile.endpoint, 'ws://r1');
});

// Device events -> station commands: which pile a device is, and whether there is anything to do.
import t from 'tap';
import { deviceCommand, pileOfDevice } from '../../src/domain/device-events.js';

const T0 = Date.parse('2025-01-06T08:00:00+08:00');

t.test('device events: which pile, and whether there is anything to do', async (t) => {
  t.same(pileOfDevice({ pileId: 'default-F1' }), { stationId: 'default', pileNo: 'F1' });
  t.same(pileOfDevice({ pileId: 'north-site-T2' }), { stationId: 'north-site', pileNo: 'T2' });
  t.same(pileOfDevice({ pileId: 'x', stationId: 's', pileNo: 'F3' }), { stationId: 's', pileNo: 'F3' });
  t.equal(pileOfDevice({ pileId: 'nodash' }), null);
  const at = T0;
  t.same(deviceCommand('device.pile-fault', { pileId: 'default-F1', at }, 'working'),
    { stationId: 'default', command: { type: 'pileFault', pileNo: 'F1' } });
  t.same(deviceCommand('device.pile-offline', { pileId: 'default-F1', replicaId: 'r', reason: 'heartbeat', at }, 'working'),
    { stationId: 'default', command: { type: 'pileFault', pileNo: 'F1' } });
  t.same(deviceCommand('device.pile-online', { pileId: 'default-F1', replicaId: 'r', protocol: 'ws', at }, 'fault'),
    { stationId: 'default', command: { type: 'pileRecover', pileNo: 'F1' } });
  t.ok('skip' in deviceCommand('device.pile-fault', { pileId: 'default-F1', at }, 'fault'), 'a repeated fault is skipped');
  t.ok('skip' in deviceCommand('device.pile-online', { pileId: 'default-F1', replicaId: 'r', protocol: 'ws', faulted: true, at }, 'fault'),
    'a pile back online but still faulted is not recovered');
  t.same(deviceCommand('device.pile-online', { pileId: 'default-F1', replicaId: 'r', protocol: 'ws', faulted: true, at }, 'working'),
    { stationId: 'default', command: { type: 'pileFault', pileNo: 'F1' } }, 'a pile that logs in faulted faults its station pile');
  t.ok('skip' in deviceCommand('device.pile-online', { pileId: 'default-F1', replicaId: 'r', protocol: 'ws', at }, 'off'),
    'an admin-switched-off pile stays off when it comes online');
  t.ok('skip' in deviceCommand('device.pile-recovered', { pileId: 'default-F9', at }, undefined), 'unknown pile skipped');
});

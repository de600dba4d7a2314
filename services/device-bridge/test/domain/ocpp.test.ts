// The OCPP door's pure rules: connector states, the fault a StatusNotification starts or ends, the jittered Boot
// interval, and which CALL carries each device.command.
import t from 'tap';
import { bootIntervalS, faultChange, pileStateOf, portStateOf } from '../../src/domain/ocpp.js';
import { acceptedBy, ocppCommand } from '../../src/ocpp-commands.js';

t.test('connector status words map to the port states 004 shows', async (t) => {
  t.same(['Available', 'Preparing', 'Finishing', 'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Faulted', 'Unavailable'].map((s) => portStateOf(s as never)),
    ['idle', 'preparing', 'finishing', 'charging', 'suspended', 'suspended', 'faulted', 'unavailable']);
  t.equal(pileStateOf('Unavailable'), 'unavailable');
  t.equal(pileStateOf('Available'), 'idle');
  t.equal(pileStateOf('Faulted'), undefined, 'a fault is the pile flag, not a state');
});

t.test('the pile is faulted while any connector is', async (t) => {
  const a = faultChange(new Set(), 2, 'Faulted');
  t.equal(a.change, 'fault');
  const b = faultChange(a.faulted, 0, 'Faulted');
  t.equal(b.change, undefined, 'already faulted: no second event');
  const c = faultChange(b.faulted, 2, 'Available');
  t.equal(c.change, undefined, 'connector 0 still faulted');
  t.equal(faultChange(c.faulted, 0, 'Available').change, 'recovered');
  t.equal(faultChange(new Set(), 1, 'Available').change, undefined);
});

t.test('the Boot interval is the heartbeat interval ±10%', async (t) => {
  t.equal(bootIntervalS(300_000, 0), 270);
  t.equal(bootIntervalS(300_000, 0.5), 300);
  t.equal(bootIntervalS(300_000, 0.999999), 330);
  t.equal(bootIntervalS(200, 0), 1, 'at least 1 s');
});

t.test('device.command as OCPP CALLs', async (t) => {
  const cp = { deviceId: 'CP', pileId: 's-P', stationId: 's', pileNo: 'P', ports: 2 };
  const tx = { issueIdTag: async () => 'TAG-1', transactionOf: async (_cp: unknown, sessionId: string) => (sessionId === 'known' ? 42 : undefined) };
  t.same(await ocppCommand({ command: 'start', portNo: 2, sessionId: 's1' }, cp, tx), { kind: 'call', method: 'RemoteStartTransaction', params: { connectorId: 2, idTag: 'TAG-1' } });
  t.same(await ocppCommand({ command: 'stop', portNo: 2, sessionId: 'known' }, cp, tx), { kind: 'call', method: 'RemoteStopTransaction', params: { transactionId: 42 } });
  t.match(await ocppCommand({ command: 'stop', portNo: 2, sessionId: 'other' }, cp, tx), { kind: 'answer', accepted: false });
  t.same(await ocppCommand({ command: 'availability', connectorId: 0, type: 'Inoperative' }, cp, tx), { kind: 'call', method: 'ChangeAvailability', params: { connectorId: 0, type: 'Inoperative' } });
  t.same(await ocppCommand({ command: 'get-configuration' }, cp, tx), { kind: 'call', method: 'GetConfiguration', params: {} });
  t.same(await ocppCommand({ command: 'trigger', message: 'StatusNotification', connectorId: 1 }, cp, tx), { kind: 'call', method: 'TriggerMessage', params: { requestedMessage: 'StatusNotification', connectorId: 1 } });
  await t.rejects(ocppCommand({ command: 'trigger', message: 'Bogus' }, cp, tx), { code: 'VALIDATION' });
  t.same(await ocppCommand({ command: 'config', config: [1, 2, 255] }, cp, tx), { kind: 'call', method: 'DataTransfer', params: { vendorId: 'VoltQ', messageId: 'config', data: 'AQL/' } });
  t.ok(acceptedBy('GetConfiguration', { configurationKey: [] }));
  t.ok(acceptedBy('ChangeConfiguration', { status: 'RebootRequired' }));
  t.notOk(acceptedBy('Reset', { status: 'Rejected' }));
});

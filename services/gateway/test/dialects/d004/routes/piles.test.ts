// Document 004's piles, ports and devices (004:313-562, 004:993-1035) and the operators' device registry, against
// stand-in device-bridge and scheduler RPCs on the test's bus (support/fake-walkup.ts): every answer's fields are
// the document's field table, refusals are 004's codes (2001, 2002, 2003, 401, 403, 5001, 5002).
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';
import { serveWalkUpFakes } from '../../../support/fake-walkup.js';

const h = await startServiceHarness({ label: 'gw004pl', busName: 'gateway-d004-piles-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
const fakes = serveFakes(h.bus);
const walk = serveWalkUpFakes(h.bus, fakes);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) {
  const res = await http.inject({ method, url, ...(payload ? { payload } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: res.json() };
}
const admin = (await call('POST', '/api/admin/login', undefined, { username: 'admin', password: 'admin-pass-1' })).body.data.token as string;
const user = (await call('POST', '/api/user/register', undefined, { username: 'piles004', password: 'piles-password' })).body.data.token as string;
const keys = (o: object) => Object.keys(o).sort();

// the field tables of 004 (004:328-370, 004:384-417, 004:430-452, 004:467-483, 004:497-522, 004:1006-1032)
const PILE_LIST = ['id', 'stationId', 'pileNo', 'pileType', 'status', 'powerRate', 'manufacturer', 'imei', 'totalPorts', 'floatingPower', 'autoStopEnabled', 'pluginWaitTime', 'removalWaitTime', 'supportsNewProtocol', 'protocolVersion', 'softwareVersion', 'hardwareVersion', 'ccid', 'voltage', 'ampereValue', 'onlineStatus', 'signalStrength', 'temperature', 'lastHeartbeatTime', 'installationDate', 'lastMaintenanceDate', 'description', 'updateTime', 'availablePorts', 'ports'].sort();
const PORT_BRIEF = ['id', 'portNo', 'portType', 'status', 'isDisabled'].sort();
const PILE_DETAIL = ['id', 'stationId', 'stationName', 'pileNo', 'pileType', 'status', 'powerRate', 'manufacturer', 'totalPorts', 'onlineStatus', 'signalStrength', 'temperature', 'lastHeartbeatTime', 'ports', 'updateTime'].sort();
const PORT_OF_DETAIL = [...PORT_BRIEF, 'voltage', 'currentAmpere', 'power', 'temperature', 'electricity'].sort();
const PILE_QR = ['id', 'stationId', 'stationName', 'pileNo', 'pileType', 'status', 'powerRate', 'deviceAddress', 'ports'].sort();
const PORT_LIST = ['id', 'pileId', 'pileNo', 'portNo', 'portType', 'status', 'currentOrderId', 'totalChargingTimes', 'totalChargingDuration', 'totalPowerConsumption'].sort();
const PORT_DETAIL = ['id', 'pileId', 'pileNo', 'portNo', 'portType', 'status', 'faultType', 'isDisabled', 'currentOrderId', 'lastOrderId', 'voltage', 'currentAmpere', 'power', 'temperature', 'electricity', 'totalChargingTimes', 'totalChargingDuration', 'totalPowerConsumption', 'lastCheckTime', 'updateTime'].sort();

t.test("a station's piles: the devices with their ports, 004's fields", async (t) => {
  const res = await call('GET', '/api/ChargingPile/station/walk', user);
  t.equal(res.status, 200);
  const [p1, p2] = res.body.data;
  t.same(res.body.data.map((p: { id: string }) => p.id), ['walk-P1', 'walk-P2']);
  t.same(keys(p1), PILE_LIST);
  t.same(keys(p1.ports[0]), PORT_BRIEF);
  t.match(p1, {
    id: 'walk-P1', stationId: 'walk', pileNo: 'P1', pileType: 2, status: 1, powerRate: 7, manufacturer: 'ACME', imei: 'IMEI001', totalPorts: 3,
    onlineStatus: 1, signalStrength: 80, temperature: 31.5, availablePorts: 2, supportsNewProtocol: true, protocolVersion: 'json',
    softwareVersion: '', ccid: '', lastMaintenanceDate: null, installationDate: '2025-01-01',
    lastHeartbeatTime: '2025-01-02T10:01:00.000+08:00',
  });
  t.same(p1.ports, [
    { id: 'walk-P1-1', portNo: '1', portType: 1, status: 1, isDisabled: false },
    { id: 'walk-P1-2', portNo: '2', portType: 1, status: 1, isDisabled: false },
    { id: 'walk-P1-3', portNo: '3', portType: 1, status: 3, isDisabled: false },
  ]);
  t.match(p2, { imei: 'CP002', status: 0, onlineStatus: 0, availablePorts: 0, lastHeartbeatTime: null, manufacturer: '', protocolVersion: 'ocpp1.6' });
  t.same((await call('GET', '/api/ChargingPile/station/walk?status=0', user)).body.data.map((p: { id: string }) => p.id), ['walk-P2'], 'status filter');
});

t.test("a queue station's piles are its modelled piles, one port each", async (t) => {
  const res = await call('GET', '/api/ChargingPile/station/default', user);
  t.same(res.body.data.map((p: { id: string; status: number; imei: string }) => [p.id, p.status, p.imei]), [['default-F1', 2, ''], ['default-F2', 1, ''], ['default-T1', 3, '']]);
  t.same(res.body.data[1].ports, [{ id: 'default-F2-1', portNo: '1', portType: 1, status: 1, isDisabled: false }]);
});

t.test('one pile, by id and by QR code', async (t) => {
  const res = await call('GET', '/api/pile/walk-P1', user);
  t.equal(res.status, 200);
  t.same(keys(res.body.data), PILE_DETAIL);
  t.same(keys(res.body.data.ports[0]), PORT_OF_DETAIL);
  t.match(res.body.data, { stationName: '步行充电站', onlineStatus: 1 });
  const queue = await call('GET', '/api/pile/default-F2', user);
  t.match(queue.body.data, { id: 'default-F2', stationName: 'VoltQ 北邮充电站', pileType: 1, status: 1, powerRate: 30 });
  for (const code of ['IMEI001', 'walk-P1', 'P1']) {
    const qr = await call('GET', `/api/ChargingPile/qrcode/${code}`, user);
    t.equal(qr.status, 200, code);
    t.same(keys(qr.body.data), PILE_QR);
    t.match(qr.body.data, { id: 'walk-P1', deviceAddress: 'IMEI001', stationName: '步行充电站' });
    t.same(keys(qr.body.data.ports[0]), PORT_BRIEF);
  }
  t.match(await call('GET', '/api/pile/nope', user), { status: 404, body: { code: 2002, data: null } });
  t.match(await call('GET', '/api/pile/default-F9', user), { status: 404, body: { code: 2002 } }, 'a queue station without that pile');
  t.match(await call('GET', '/api/ChargingPile/qrcode/nope', user), { status: 404, body: { code: 2002 } });
  t.match(await call('GET', '/api/ChargingPile/station/nope', user), { status: 404, body: { code: 2001 } });
});

t.test('ports: totals, and order ids only the caller may see', async (t) => {
  walk.devices.get('IMEI001')!.portStates[1]!.orderId = 'o-someone';
  t.teardown(() => { delete walk.devices.get('IMEI001')!.portStates[1]!.orderId; });
  const res = await call('GET', '/api/ChargingPort?pileId=walk-P1', user);
  t.equal(res.status, 200);
  t.same(keys(res.body.data[0]), PORT_LIST);
  t.same(res.body.data[0], { id: 'walk-P1-1', pileId: 'walk-P1', pileNo: 'P1', portNo: '1', portType: 1, status: 1, currentOrderId: null, totalChargingTimes: 3, totalChargingDuration: 5400, totalPowerConsumption: 12.5 });
  t.equal(res.body.data[1].currentOrderId, null, "another user's order is not shown");
  t.equal((await call('GET', '/api/ChargingPort?pileId=walk-P1', admin)).body.data[1].currentOrderId, 'o-someone', 'an operator sees it');
  const all = await call('GET', '/api/ChargingPort', user);
  t.same(all.body.data.map((p: { id: string }) => p.id).sort(), ['default-F1-1', 'default-F2-1', 'default-T1-1', 'walk-P1-1', 'walk-P1-2', 'walk-P1-3', 'walk-P2-1']);

  const port = await call('GET', '/api/port/walk-P1-1', user);
  t.equal(port.status, 200);
  t.same(keys(port.body.data), PORT_DETAIL);
  t.match(port.body.data, { id: 'walk-P1-1', pileId: 'walk-P1', portNo: '1', faultType: 0, lastOrderId: null, totalChargingTimes: 3, totalChargingDuration: 5400, temperature: 25, lastCheckTime: '2025-01-02T10:01:00.000+08:00' });
  const fault = await call('GET', '/api/port/walk-P1-3/status', user);
  t.same(keys(fault.body.data), PORT_DETAIL);
  t.match(fault.body.data, { status: 3, faultType: 1, totalChargingTimes: 0 });
  for (const id of ['walk-P1-9', 'walk-P1', 'nope-1', 'walk-P1-0']) t.match(await call('GET', `/api/port/${id}`, user), { status: 404, body: { code: 2003 } }, id);
  t.match(await call('GET', '/api/ChargingPort?pileId=nope', user), { status: 404, body: { code: 2002 } });
});

t.test('devices: the connected ones and one device, for any signed-in user', async (t) => {
  const list = await call('GET', '/api/devices', user);
  t.same(list.body.data, [{ imei: 'IMEI001', endpoint: 'ws://replica-1', connectTime: '2025-01-02T10:00:00.000+08:00' }]);
  t.same((await call('GET', '/api/devices/IMEI001/status', user)).body.data, { imei: 'IMEI001', isConnected: true, endpoint: 'ws://replica-1' });
  t.same((await call('GET', '/api/devices/CP002/status', user)).body.data, { imei: 'CP002', isConnected: false, endpoint: null });
  t.match(await call('GET', '/api/devices/NOPE/status', user), { status: 404, body: { code: 2002 } });
  t.match(await call('GET', '/api/devices', ''), { status: 401, body: { code: 9002 } });
});

t.test("operators' device registry: register (allow-list), list, remove", async (t) => {
  const body = { deviceId: 'CP-NEW', stationId: 'walk', protocol: 'ocpp1.6', pileNo: 'P9', pileType: 1, powerKw: 60.5, ports: 2, manufacturer: 'ACME' };
  const made = await call('POST', '/api/admin/devices', admin, body);
  t.same(made.body, { code: 0, message: 'success', data: { deviceId: 'CP-NEW', pileId: 'walk-P9', secret: 's3cret-s3cret-s3cret' } });
  t.same(fakes.last('device.register'), body, 'exactly the allowed fields');
  const before = fakes.count('device.register');
  t.match(await call('POST', '/api/admin/devices', admin, { ...body, deviceId: 'X2', secret: 'mine' }), { status: 400, body: { code: 9001 } }, 'no secret of the caller');
  t.match(await call('POST', '/api/admin/devices', admin, { ...body, deviceId: 'X3', powerKw: 7.0005 }), { status: 400, body: { code: 9001 } }, 'kW to the watt');
  t.match(await call('POST', '/api/admin/devices', admin, { ...body, deviceId: 'X4', stationId: 'nope' }), { status: 404, body: { code: 2001 } }, 'unknown station');
  t.equal(fakes.count('device.register'), before + 1, 'only the unknown station reached device-bridge');
  t.match(await call('POST', '/api/admin/devices', user, body), { status: 403, body: { code: 9003 } });

  const list = await call('GET', '/api/admin/devices?stationId=walk', admin);
  const added = list.body.data.find((d: { deviceId: string }) => d.deviceId === 'CP-NEW');
  t.match(added, { pileId: 'walk-P9', connected: false, replicaId: null, lastSeenAt: null, powerKw: 60.5, ports: 2 });
  t.match(list.body.data.find((d: { deviceId: string }) => d.deviceId === 'IMEI001'), { connected: true, replicaId: 'replica-1', lastSeenAt: '2025-01-02T10:01:00.000+08:00' });
  t.notOk(JSON.stringify(list.body).includes('s3cret'), 'the secret is answered at registration only');
  t.match(await call('GET', '/api/admin/devices', user), { status: 403 });
  t.match(await call('DELETE', '/api/admin/devices/CP-NEW', admin), { status: 200, body: { data: { deviceId: 'CP-NEW' } } });
  t.match(await call('DELETE', '/api/admin/devices/CP-NEW', admin), { status: 404, body: { code: 2002 } });
});

t.test('operator commands: the pile answers in data; refused, offline, silent', async (t) => {
  const ok = await call('POST', '/api/admin/devices/IMEI001/commands', admin, { command: 'reset', type: 'Soft' });
  t.same(ok.body, { code: 0, message: 'success', data: { status: 'Accepted' } });
  t.same(walk.pile.commands.at(-1), { deviceId: 'IMEI001', control: { command: 'reset', type: 'Soft' }, timeoutMs: 10_000 });
  await call('POST', '/api/admin/devices/IMEI001/commands', admin, { command: 'availability', connectorId: 0, type: 'Inoperative' });
  t.same(walk.pile.commands.at(-1)?.control, { command: 'availability', connectorId: 0, type: 'Inoperative' });
  await call('POST', '/api/admin/devices/IMEI001/commands', admin, { command: 'get-configuration' });
  t.same(walk.pile.commands.at(-1)?.control, { command: 'get-configuration' });
  walk.pile.answer = 'refuse';
  t.same((await call('POST', '/api/admin/devices/IMEI001/commands', admin, { command: 'change-configuration', key: 'HeartbeatInterval', value: '60' })).body.data, { status: 'Rejected' }, "a rejection is the pile's answer");
  walk.pile.answer = 'timeout';
  t.match(await call('POST', '/api/admin/devices/IMEI001/commands', admin, { command: 'trigger', message: 'StatusNotification', connectorId: 1 }), { status: 500, body: { code: 5002 } });
  walk.pile.answer = 'accept';
  t.match(await call('POST', '/api/admin/devices/CP002/commands', admin, { command: 'unlock', connectorId: 1 }), { status: 400, body: { code: 2004 } }, 'offline');
  const sent = walk.pile.commands.length;
  for (const body of [{ command: 'reset', type: 'Warm' }, { command: 'reset' }, { command: 'unlock', connectorId: 0 }, { command: 'reset', type: 'Soft', key: 'x' }, { command: 'start', portNo: 1 }]) {
    t.match(await call('POST', '/api/admin/devices/IMEI001/commands', admin, body), { status: 400, body: { code: 9001 } }, JSON.stringify(body));
  }
  t.equal(walk.pile.commands.length, sent, 'no command sent for a bad body');
  t.match(await call('POST', '/api/admin/devices/IMEI001/commands', user, { command: 'reset', type: 'Soft' }), { status: 403 });
});

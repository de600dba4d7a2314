// End to end (all services as processes, simulated walk-up piles over the JSON WebSocket door, the local WeChat
// sandbox as WeChat): issue 11's walk. A user finds the demo walk-up station nearby, scans a pile's code, recharges
// 50 yuan through the sandbox (the notify delivered twice credits once), creates an energy-limited order of 2 kWh
// paid from the balance; the simulated car charges, the order stops itself at 2 kWh, the bill's five-tier split
// matches the tariff to the fen, the balance is debited once and the statistics count the session.
import t from 'tap';
import { runOcppChargePoints, runWalkUpPiles, type OcppChargePoints, type WalkUpPiles } from '@voltq/pile-sim';
import { DEFAULT_TARIFF_SPEC } from '@voltq/tariff';
import { startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { DEMO_STATION, seedDemoStation, type DemoDevice } from '../../scripts/lib/demo-station.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';
import { eventually, GatewayClient } from '../support/gateway-client.js';

const namespace = testNamespace('e2ewalk');
const admin = { username: 'admin', password: 'e2e-admin-password-1' };
let platform: Platform;
let api: GatewayClient;
let devices: DemoDevice[];
let piles: WalkUpPiles;
let chargePoints: OcppChargePoints;

t.before(async () => {
  platform = await startPlatform({
    namespace,
    randomPorts: true,
    env: { VOLTQ_ADMIN_USER: admin.username, VOLTQ_ADMIN_PASSWORD: admin.password, LOG_LEVEL: 'warn' },
  });
  api = new GatewayClient(platform.gatewayUrl);
  devices = await seedDemoStation({ gatewayUrl: platform.gatewayUrl, admin });
  // a 60 kW car sped up 100 times: 2 kWh in about a second and a fifth of real time, a reading every 200 ms
  piles = await runWalkUpPiles({
    url: platform.env.DEVICE_BRIDGE_URL!,
    piles: devices.filter((d) => d.protocol === 'json').map((d) => ({ deviceId: d.deviceId, secret: d.secret, ports: d.ports, powerKw: d.powerKw })),
    speed: 100,
    meterIntervalMs: 200,
  });
  // the OCPP 1.6J charge point of the demo station, on the bridge's /ocpp door
  chargePoints = await runOcppChargePoints({
    url: platform.env.DEVICE_BRIDGE_URL!.replace(/\/piles$/, '/ocpp'),
    points: devices.filter((d) => d.protocol === 'ocpp1.6').map((d) => ({ deviceId: d.deviceId, secret: d.secret, connectors: d.ports, powerKw: d.powerKw })),
    speed: 200,
    meterIntervalMs: 200,
  });
});
t.teardown(async () => {
  await piles?.stop();
  await chargePoints?.stop();
  await platform?.stop();
  await removeNamespace(namespace);
});

/** Exact fen of `energyWms` at a price of `yuanPerKwh` (a decimal string), rounded half-up once. */
function fenOf(energyWms: number, yuanPerKwh: string): number {
  const [whole, frac = ''] = yuanPerKwh.split('.');
  const priceMilliFen = BigInt(whole!) * 100_000n + BigInt((frac + '000').slice(0, 3)) * 100n; // 1 yuan = 100 000 milli-fen
  const numerator = BigInt(energyWms) * priceMilliFen; // Wms × milli-fen per kWh
  const denominator = 3_600_000_000n * 1000n;
  return Number((numerator * 2n + denominator) / (2n * denominator));
}

t.test('a walk-up charge of 2 kWh paid from a WeChat-recharged balance', async (t) => {
  const [pile] = devices;
  t.ok(pile, 'the demo station has its devices');

  const login = await api.post('/api/user/wechat/login', { code: `walk-${Date.now()}`, userInfo: { nickName: 'Lin' } });
  t.equal(login.body?.code, 0, `WeChat login: ${JSON.stringify(login.body)}`);
  const token = login.body.data.token as string;

  // the station is found nearby, with its free ports
  const nearby = await api.get(`/api/station/nearby?latitude=${DEMO_STATION.latitude}&longitude=${DEMO_STATION.longitude}&radius=2000`, token);
  t.equal(nearby.body?.code, 0, JSON.stringify(nearby.body));
  const station = (nearby.body.data.list as { id: string; availablePorts?: number; totalPorts?: number }[]).find((s) => s.id === DEMO_STATION.stationId);
  t.ok(station, 'the demo station is nearby');
  t.match(station, { totalPorts: 6, availablePorts: 6 });

  // the user scans the first pile's code (its IMEI)
  const scanned = await api.get(`/api/ChargingPile/qrcode/${pile!.deviceId}`, token);
  t.equal(scanned.body?.code, 0, JSON.stringify(scanned.body));
  t.match(scanned.body.data, { id: pile!.pileId, stationId: DEMO_STATION.stationId, deviceAddress: pile!.deviceId, status: 1 });
  const ports = scanned.body.data.ports as { id: string; portNo: string; status: number; isDisabled: boolean }[];
  t.equal(ports.length, 2);
  t.ok(ports.every((p) => p.status === 1 && !p.isDisabled), 'both ports idle and enabled');

  // a 50 yuan recharge paid in the sandbox, notified twice
  const recharge = await api.post('/api/payment/recharge', { amount: 50, paymentMethod: 1 }, token);
  t.equal(recharge.body?.code, 0, JSON.stringify(recharge.body));
  const code = /pr=([\w-]+)$/.exec(recharge.body.data.qrCodeUrl as string)![1]!;
  const paid = await fetch(`${platform.wechatSandboxUrl}/sandbox/pay/${code}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twice: true }),
  });
  t.equal(paid.status, 200);
  await eventually(async () => ((await api.get('/api/user/info', token)).body?.data?.balance === 50 ? true : undefined));

  // an energy-limited order of 2 kWh on port 1, paid from the balance
  const created = await api.post('/api/order/create', { pileId: pile!.pileId, portId: ports[0]!.id, chargingMode: 4, chargingParameter: 2, paymentMethod: 3 }, token);
  t.equal(created.body?.code, 0, `create: ${JSON.stringify(created.body)}`);
  const orderId = created.body.data.orderId as string;
  t.match(created.body.data, { status: 1, paymentMethod: 3, deviceAddress: pile!.deviceId });

  // the other user cannot take the same port meanwhile
  const busy = await api.get(`/api/port/${ports[0]!.id}/status`, token);
  t.equal(busy.body?.data?.status, 2, 'the port is in use while charging');

  // the car charges; the order stops itself at 2 kWh and is billed
  let last: unknown;
  const done = await eventually(async () => {
    const res = await api.get(`/api/order/${orderId}`, token);
    last = res.body;
    return res.body?.data?.status === 2 && res.body.data.paymentStatus === 1 ? res : undefined;
  }, 30_000, 200).catch((err: Error) => { throw new Error(`${err.message}; the order: ${JSON.stringify(last)}`); });
  const order = done.body.data;
  t.equal(order.powerConsumption, 2, 'stopped at 2.00 kWh');
  t.equal(order.stopReason, 4, 'stopped by its energy limit');

  const bills = await api.get(`/api/bills?pageNum=1&pageSize=10`, token);
  t.equal(bills.body?.code, 0, JSON.stringify(bills.body));
  const bill = (bills.body.data.list ?? bills.body.data.items)[0] as { energyKwh: number; energyFeeYuan: number; serviceFeeYuan: number; totalYuan: number; tiers: { tier: string; energyKwh: number; energyFeeYuan: number }[]; orderId: string };
  t.equal(bill.orderId, orderId);
  t.equal(bill.energyKwh, 2);
  // the tier split by the default tariff, to the fen: each tier's energy at its price, the service fee per kWh
  const priceOf = (tier: string) => String(DEFAULT_TARIFF_SPEC.tiers.find((x) => x.tier === tier)!.priceYuanPerKwh);
  let energyFen = 0;
  for (const split of bill.tiers) {
    const wms = Math.round(split.energyKwh * 3_600_000_000);
    t.equal(Math.round(split.energyFeeYuan * 100), fenOf(wms, priceOf(split.tier)), `${split.tier}: its energy at its price`);
    energyFen += fenOf(wms, priceOf(split.tier));
  }
  t.equal(bill.tiers.reduce((sum, s) => sum + Math.round(s.energyKwh * 100), 0), 200, 'the tiers add up to 2 kWh');
  t.equal(Math.round(bill.serviceFeeYuan * 100), fenOf(2 * 3_600_000_000, String(DEFAULT_TARIFF_SPEC.serviceFeeYuanPerKwh)));
  t.ok(Math.abs(Math.round(bill.energyFeeYuan * 100) - energyFen) <= bill.tiers.length, 'the energy fee is the tiers rounded once');
  const totalFen = Math.round(bill.totalYuan * 100);
  t.equal(totalFen, Math.round(bill.energyFeeYuan * 100) + Math.round(bill.serviceFeeYuan * 100));
  // the order shows the five tiers
  const tierOf = { sharp: 'sharp', peak: 'peak', flat: 'flat', valley: 'valley', deepValley: 'deepValley' } as const;
  for (const [tier, field] of Object.entries(tierOf)) {
    const split = bill.tiers.find((s) => s.tier === tier);
    t.equal(order[`${field}Electricity`], split?.energyKwh ?? 0, `order ${field}Electricity`);
  }

  // the balance is debited once, by the bill's total
  const info = await eventually(async () => {
    const res = await api.get('/api/user/info', token);
    return res.body?.data?.balance === (5000 - totalFen) / 100 ? res : undefined;
  });
  t.equal(info.body.data.balance, (5000 - totalFen) / 100, 'debited once by the total');

  // the statistics count it
  const stats = await api.get('/api/statistics/charging?period=all', token);
  t.match(stats.body?.data, { totalChargingTimes: 1, totalPowerConsumption: 2, totalAmount: totalFen / 100 });

  // the port is free again and counts the session
  const port = await eventually(async () => {
    const res = await api.get(`/api/port/${ports[0]!.id}`, token);
    return res.body?.data?.status === 1 && res.body.data.totalChargingTimes === 1 ? res : undefined;
  });
  t.match(port.body.data, { totalPowerConsumption: 2, lastOrderId: orderId });
});

t.test('refusals by balance, port and occupancy; a stop on request', async (t) => {
  const user = async (name: string) => {
    const res = await api.post('/api/user/register', { username: `${name}${Date.now() % 1e8}`, password: 'a-long-password-1' });
    t.equal(res.body?.code, 0, JSON.stringify(res.body));
    return res.body.data.token as string;
  };
  const [poor, other] = [await user('poor'), await user('other')];
  const pile = devices[1]!;
  const port1 = `${pile.pileId}-1`;
  const noMoney = await api.post('/api/order/create', { pileId: pile.pileId, portId: port1, chargingMode: 1, chargingParameter: 0, paymentMethod: 3 }, poor);
  t.equal(noMoney.body?.code, 1005, `no balance: ${JSON.stringify(noMoney.body)}`);
  const missing = await api.post('/api/order/create', { pileId: pile.pileId, portId: `${pile.pileId}-9`, chargingMode: 1, chargingParameter: 0, paymentMethod: 1 }, poor);
  t.equal(missing.body?.code, 2003, `no such port: ${JSON.stringify(missing.body)}`);

  // a WeChat-paid order charging until full (the car is not full for a long while at 7 kW)
  const charging = await api.post('/api/order/create', { pileId: pile.pileId, portId: port1, chargingMode: 1, chargingParameter: 0, paymentMethod: 1 }, poor);
  t.equal(charging.body?.code, 0, `create: ${JSON.stringify(charging.body)}`);
  t.match(charging.body.data.paymentUrl, /^\/api\/payment\/wechat\/pay\?/, 'the prepay page');
  const orderId = charging.body.data.orderId as string;
  const taken = await api.post('/api/order/create', { pileId: pile.pileId, portId: port1, chargingMode: 1, chargingParameter: 0, paymentMethod: 1 }, other);
  t.equal(taken.body?.code, 2005, `the port is occupied: ${JSON.stringify(taken.body)}`);
  t.equal((await api.get(`/api/order/${orderId}`, other)).body?.code, 3001, "another user's order does not exist for them");
  t.equal((await api.post(`/api/order/${orderId}/stop`, { stopReason: 1 }, other)).body?.code, 3001);

  const stopped = await api.post(`/api/order/${orderId}/stop`, { stopReason: 1 }, poor);
  t.equal(stopped.body?.code, 0, `stop: ${JSON.stringify(stopped.body)}`);
  const ended = await eventually(async () => {
    const res = await api.get(`/api/order/${orderId}`, poor);
    return res.body?.data?.status === 2 ? res : undefined;
  }, 15_000, 200);
  t.equal(ended.body.data.stopReason, 1, 'stopped by the user');
  t.ok(ended.body.data.powerConsumption > 0, 'it charged something');
  t.equal((await api.post(`/api/order/${orderId}/stop`, { stopReason: 1 }, poor)).body?.code, 3003, 'a finished order cannot be stopped again');
});

t.test('an OCPP 1.6J charger: a WeChat-paid 1 kWh order through RemoteStartTransaction, metered and billed', async (t) => {
  const res = await api.post('/api/user/register', { username: `ocpp${Date.now() % 1e8}`, password: 'a-long-password-1' });
  const token = res.body.data.token as string;
  const charger = devices.find((d) => d.protocol === 'ocpp1.6')!;
  t.match((await api.get(`/api/devices/${charger.deviceId}/status`, token)).body.data, { imei: charger.deviceId, isConnected: true, endpoint: /^ocpp:\/\// });
  const created = await api.post('/api/order/create', { pileId: charger.pileId, portId: `${charger.pileId}-2`, chargingMode: 4, chargingParameter: 1, paymentMethod: 1 }, token);
  t.equal(created.body?.code, 0, `create: ${JSON.stringify(created.body)}`);
  const orderId = created.body.data.orderId as string;
  let last: unknown;
  const done = await eventually(async () => {
    const o = await api.get(`/api/order/${orderId}`, token);
    last = o.body;
    return o.body?.data?.status === 2 && o.body.data.totalAmount > 0 ? o : undefined;
  }, 30_000, 200).catch((err: Error) => { throw new Error(`${err.message}; the order: ${JSON.stringify(last)}`); });
  t.ok(done.body.data.powerConsumption >= 1, `at least 1 kWh metered (${done.body.data.powerConsumption})`);
  t.equal(done.body.data.stopReason, 4, 'stopped by its energy limit');
  const bills = await api.get('/api/bills?pageNum=1&pageSize=10', token);
  const bill = (bills.body.data.list ?? bills.body.data.items)[0] as { orderId: string; energyKwh: number };
  t.match(bill, { orderId, energyKwh: done.body.data.powerConsumption }, 'billed what the charger metered');
});

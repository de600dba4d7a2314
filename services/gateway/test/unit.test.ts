// The pure parts of the gateway: edge formatting, edge parsing and the error table.
import t from 'tap';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { JWT_AUDIENCE, JWT_ISSUER, OrderState, PileState, QueueState, type Jwks } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { bearerToken, JwksVerifier } from '../src/jwt.js';
import { toApiError } from '../src/errors.js';
import {
  billView,
  boardView,
  clockView,
  kwh,
  orderDetail004,
  orderListItem004,
  page004,
  reportView,
  requestCreated,
  requestView,
  stationConfigView,
  ORDER_STATE_API,
  orderStateOfApi,
  PILE_STATE_API,
  pileStateOfApi,
  statesFor004Status,
  withBill,
  yuan,
} from '../src/format.js';
import { energyWmsFromKwh, localDayRange, parseTime, powerWFromKw, reportPeriod } from '../src/parse.js';
import { configureParams } from '../src/routes/admin.js';
import { bill, board, KWH, order, T0 } from './fixtures.js';

const tz = 'Asia/Shanghai';
const ctx = { timeZone: tz, nowMs: T0 + 1_800_000 };

t.test('numbers at the edge: yuan and kWh half-up to two decimals', async (t) => {
  t.equal(yuan(1350), 13.5);
  t.equal(yuan(3000), 30);
  t.equal(yuan(1), 0.01);
  t.equal(kwh(30 * KWH), 30);
  t.equal(kwh(KWH / 200), 0.01, '0.005 kWh rounds up');
  t.equal(kwh(KWH / 200 - 1), 0, 'just below 0.005 rounds down');
  t.equal(kwh(Math.round(7.125 * KWH)), 7.13);
  t.equal(ORDER_STATE_API['fault-queued'], 'FAULT_QUEUED');
  t.equal(ORDER_STATE_API.waiting, 'WAITING');
});

t.test('state words: every contract state to /api and back', async (t) => {
  const orderStates = OrderState.anyOf.map((l) => l.const);
  t.same(orderStates.map((s) => ORDER_STATE_API[s]), ['WAITING', 'DISPATCHED', 'CHARGING', 'FAULT_QUEUED', 'FINISHED', 'CANCELLED', 'REFUSED']);
  for (const s of orderStates) t.equal(orderStateOfApi(ORDER_STATE_API[s]), s, `${s} round-trips`);
  for (const s of QueueState.anyOf.map((l) => l.const)) t.equal(orderStateOfApi(ORDER_STATE_API[s]), s, `queue state ${s} round-trips`);
  const pileStates = PileState.anyOf.map((l) => l.const);
  t.same(pileStates.map((s) => PILE_STATE_API[s]), ['IDLE', 'CHARGING', 'OFF', 'FAULT', 'OFFLINE']);
  for (const s of pileStates) t.equal(pileStateOfApi(PILE_STATE_API[s]), s, `${s} round-trips`);
  t.equal(orderStateOfApi('fault-queued'), undefined, 'only /api words map back');
  t.equal(pileStateOfApi('idle'), undefined);
});

t.test('document 004 order status codes both ways', async (t) => {
  t.equal(orderListItem004(order({ state: 'waiting' }), ctx).status, 0);
  t.equal(orderListItem004(order({ state: 'dispatched' }), ctx).status, 0);
  t.equal(orderListItem004(order({ state: 'charging' }), ctx).status, 1);
  t.equal(orderListItem004(order({ state: 'finished' }), ctx).status, 2);
  t.equal(orderListItem004(order({ state: 'cancelled' }), ctx).status, 3);
  t.equal(orderListItem004(order({ state: 'refused' }), ctx).status, 4);
  t.same(statesFor004Status(0), ['waiting', 'dispatched']);
  t.same(statesFor004Status(1), ['charging', 'fault-queued']);
  t.same(statesFor004Status(2), ['finished']);
});

t.test('document 004 order detail: fees, energy, tiers, times, pile', async (t) => {
  const finished = order({
    state: 'finished',
    pileNo: 'F1',
    powerW: 30_000,
    requestChargedWms: Math.round(27.5 * KWH),
    energyFeeFen: 1175,
    serviceFeeFen: 2200,
    requestFeeFen: 3375,
    tiers: [
      { tier: 'valley', energyWms: 25 * KWH, energyFeeFen: 1000 },
      { tier: 'flat', energyWms: Math.round(2.5 * KWH), energyFeeFen: 175 },
    ],
    chargingMs: 3_300_000,
    billIds: ['b-1'],
    sessions: [{ sessionId: 'o-1#1', pileNo: 'F1', powerW: 30_000, startedAt: T0, endedAt: T0 + 3_300_000, energyWms: Math.round(27.5 * KWH), billId: 'b-1' }],
    startedAt: T0,
    endedAt: T0 + 3_300_000,
    updatedAt: T0 + 3_300_500,
  });
  const d = orderDetail004(finished, ctx);
  t.equal(d.id, 'o-1');
  t.equal(d.orderNo, '20250102-0001');
  t.equal(d.userId, 2, 'numeric user id');
  t.equal(d.amount, 33.75);
  t.equal(d.totalAmount, 33.75);
  t.equal(d.serviceFee, 22);
  t.equal(d.powerConsumption, 27.5);
  t.equal(d.chargingTime, 3300);
  t.equal(d.power, 30);
  t.equal(d.valleyElectricity, 25);
  t.equal(d.valleyAmount, 10);
  t.equal(d.flatElectricity, 2.5);
  t.equal(d.flatAmount, 1.75);
  t.equal(d.peakElectricity, 0);
  t.equal(d.deepValleyAmount, 0);
  t.equal(d.startTime, '2025-01-02T10:00:00.000+08:00');
  t.equal(d.endTime, '2025-01-02T10:55:00.000+08:00');
  t.equal(d.updateTime, '2025-01-02T10:55:00.500+08:00');
  t.equal(d.status, 2);
  t.equal(d.stopReason, 4);
  t.equal(d.pileId, 'default-F1');
  t.equal(d.portNo, '1');
  t.equal(d.deviceAddress, 'default-F1');

  const running = order({ state: 'charging', pileNo: 'F1', sessions: [{ sessionId: 'o-1#1', pileNo: 'F1', powerW: 30_000, startedAt: T0 }], startedAt: T0 });
  const r = orderDetail004(running, ctx);
  t.equal(r.chargingTime, 1800, 'a running session counts up to now');
  t.equal(r.endTime, null);
  t.equal(r.stopReason, null);
  const waiting = orderDetail004(order(), ctx);
  t.equal(waiting.pileNo, null);
  t.equal(waiting.power, null);
  t.equal(waiting.startTime, null);
});

t.test('004 pages', async (t) => {
  const p = page004({ items: [order(), order({ orderId: 'o-2' })], total: 21, pageNum: 2, pageSize: 10 }, (o) => o.orderId);
  t.same(p, { total: 21, list: ['o-1', 'o-2'], pageNum: 2, pageSize: 10, pages: 3 });
  t.equal(page004({ items: [], total: 0, pageNum: 1, pageSize: 10 }, (x) => x).pages, 0);
});

t.test('queue request views', async (t) => {
  t.same(requestCreated(order({ position: 3 })), { orderId: 'o-1', queueNo: 'F1', state: 'WAITING', position: 3 });
  const v = requestView(order({ state: 'charging', pileNo: 'F1', position: 0, requestChargedWms: Math.round(12.345 * KWH), requestFeeFen: 2099 }), ctx);
  t.same(v, {
    orderId: 'o-1',
    queueNo: 'F1',
    mode: 'fast',
    energyKwh: 30,
    state: 'CHARGING',
    carsAhead: 0,
    chargedKwh: 12.35,
    feeYuan: 20.99,
    createdAt: '2025-01-02T10:00:00.000+08:00',
    pileNo: 'F1',
  });
  t.notOk('pileNo' in requestView(order(), ctx), 'no pileNo while waiting');
});

t.test('a cancelled order shows the bill of its stopped session even before the order links it', async (t) => {
  const b = bill({ billId: 'b-9', sessionId: 'o-1#2', energyWms: 5 * KWH, energyFeeFen: 500, serviceFeeFen: 400, totalFen: 900 });
  const base = order({ state: 'cancelled', requestChargedWms: 10 * KWH, requestFeeFen: 1800, energyFeeFen: 1000, serviceFeeFen: 800, billIds: ['b-1'],
    sessions: [{ sessionId: 'o-1#1', pileNo: 'F1', powerW: 30_000, startedAt: T0, endedAt: T0 + 1, energyWms: 10 * KWH, billId: 'b-1' }] });
  const unended = withBill(base, b);
  t.equal(unended.requestFeeFen, 2700);
  t.equal(unended.requestChargedWms, 15 * KWH, 'the stopped session was not recorded: its energy comes from the bill');
  t.same(unended.billIds, ['b-1', 'b-9']);
  const recorded = withBill({ ...base, sessions: [...base.sessions, { sessionId: 'o-1#2', pileNo: 'F1', powerW: 30_000, startedAt: T0, endedAt: T0 + 2, energyWms: 5 * KWH }], requestChargedWms: 15 * KWH }, b);
  t.equal(recorded.requestChargedWms, 15 * KWH, 'energy of a recorded session is not counted twice');
  t.equal(withBill({ ...base, billIds: ['b-1', 'b-9'] }, b).requestFeeFen, 1800, 'a linked bill is already in the totals');
});

t.test('bill, board, config and clock views', async (t) => {
  const b = billView(bill(), ctx);
  t.equal(b.totalYuan, 54);
  t.equal(b.energyFeeYuan, 30);
  t.equal(b.serviceFeeYuan, 24);
  t.equal(b.energyKwh, 30);
  t.equal(b.powerKw, 30);
  t.equal(b.startedAt, '2025-01-02T10:00:00.000+08:00');
  t.equal(b.endedAt, '2025-01-02T11:00:00.000+08:00');
  t.same(b.tiers, [{ tier: 'peak', energyKwh: 30, energyFeeYuan: 30 }]);
  t.equal(b.carId, null);

  const v = boardView(board(), ctx);
  t.equal(v.time, '2025-01-02T10:10:00.000+08:00');
  t.equal(v.piles[0]?.state, 'CHARGING');
  t.equal(v.piles[0]?.powerKw, 30);
  t.equal(v.piles[1]?.powerKw, 7);
  t.equal(v.piles[1]?.state, 'FAULT');
  t.match(v.piles[0]?.queue[0], { userId: 2, queueNo: 'F1', requestedKwh: 30, chargedKwh: 5, remainingKwh: 25, feeYuan: 9, state: 'CHARGING', carId: null });
  t.match(v.waitingArea[0], { userId: 3, carId: 'V2', queueNo: 'F2', state: 'WAITING', waitingMs: 60_000 });

  t.same(
    stationConfigView({ stationId: 'default', fastPiles: 2, slowPiles: 3, fastPowerW: 30_000, slowPowerW: 7_500, waitingAreaSize: 10, pileQueueLength: 3, faultPolicy: 'priority', dispatchMode: 'default' }),
    { stationId: 'default', fastPiles: 2, slowPiles: 3, fastPowerKw: 30, slowPowerKw: 7.5, waitingAreaSize: 10, pileQueueLength: 3, faultPolicy: 'priority', dispatchMode: 'default' },
  );
  t.same(clockView({ mode: 'manual', timeMs: T0, speed: 1 }, ctx), { mode: 'manual', time: '2025-01-02T10:00:00.000+08:00', speed: 1 });
});

t.test('edge parsing', async (t) => {
  t.equal(energyWmsFromKwh(7.5), 27_000_000_000);
  t.equal(energyWmsFromKwh(0.1), 360_000_000, 'decimal, not binary, 0.1');
  t.throws(() => energyWmsFromKwh(0), { code: 'VALIDATION' });
  t.equal(powerWFromKw(7.5, 'slowPowerKw'), 7500);
  t.equal(powerWFromKw(7.005, 'slowPowerKw'), 7005);
  t.throws(() => powerWFromKw(0.0001, 'x'), { code: 'VALIDATION' });
  t.equal(parseTime('2025-01-02T10:00:00', tz), T0, 'no offset = Asia/Shanghai wall time');
  t.equal(parseTime('2025-01-02T02:00:00Z', tz), T0);
  t.equal(parseTime('2025-01-02T10:00:00+08:00', tz), T0);
  t.throws(() => parseTime('yesterday', tz), { code: 'VALIDATION' });
  t.same(localDayRange('2025-01-02', tz, 'startDate'), { fromMs: Date.parse('2025-01-02T00:00:00+08:00'), toMs: Date.parse('2025-01-03T00:00:00+08:00') });
  t.throws(() => localDayRange('2025-02-30', tz, 'startDate'), { code: 'VALIDATION' });
  t.same(configureParams('default', { fastPowerKw: 60, FastChargingPileNum: 3, WaitingAreaSize: 6 }), { stationId: 'default', fastPiles: 3, waitingAreaSize: 6, fastPowerW: 60_000 });
  t.throws(() => configureParams('default', { fastPiles: 2, FastChargingPileNum: 3 }), { code: 'VALIDATION' });
  t.throws(() => configureParams('default', {}), { code: 'VALIDATION' });
});

t.test('error table: domain codes -> HTTP status + 004 business code', async (t) => {
  const map = (code: ConstructorParameters<typeof DomainError>[0], route?: Parameters<typeof toApiError>[1], details?: unknown) =>
    toApiError(new DomainError(code, `msg ${code}`, details), route);
  t.same(map('CONFLICT', 'register'), { status: 400, code: 1003, message: 'msg CONFLICT' });
  t.same(map('UNAUTHORIZED', 'login'), { status: 401, code: 1002, message: 'msg UNAUTHORIZED' });
  t.same(map('UNAUTHORIZED'), { status: 401, code: 9002, message: 'msg UNAUTHORIZED' });
  t.same(map('FORBIDDEN'), { status: 403, code: 9003, message: 'msg FORBIDDEN' });
  t.equal(map('NOT_FOUND', 'order').code, 3001);
  t.equal(map('NOT_FOUND', 'user').code, 1001);
  t.equal(map('NOT_FOUND', 'pile').code, 2002);
  t.equal(map('NOT_FOUND', 'order', { resource: 'station' }).code, 2001, "the thrower's resource wins");
  t.equal(map('NOT_FOUND', 'bill').status, 404);
  t.same(map('WAITING_AREA_FULL', 'order'), { status: 400, code: 3005, message: 'msg WAITING_AREA_FULL' });
  t.equal(map('NOT_MODIFIABLE', 'order').code, 3002);
  t.same(map('NOT_MODIFIABLE', 'order', { reason: 'NOT_IN_WAITING_AREA' }),
    { status: 400, code: 3002, message: 'msg NOT_MODIFIABLE', reason: 'NOT_IN_WAITING_AREA' }, "the station's refusal reason is kept");
  t.notOk('reason' in map('INTERNAL', undefined, { reason: 'SECRET' }), 'never on a 5xx');
  t.equal(map('PILE_STATE', 'pile').code, 5001);
  t.same(map('INTERNAL'), { status: 500, code: 9999, message: 'internal error' }, 'no internal detail leaks');
  t.equal(map('TIMEOUT').status, 500);
  t.equal(map('VALIDATION').status, 400);
  t.same(toApiError(new Error('db password is hunter2')), { status: 500, code: 9999, message: 'internal error' });
  t.same(toApiError(Object.assign(new Error('body/energyKwh must be number'), { statusCode: 400, validation: [] })), {
    status: 400,
    code: 9001,
    message: 'body/energyKwh must be number',
  });
  t.same(toApiError(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })), {
    status: 415,
    code: 9001,
    message: 'unsupported media type: send the body as application/json',
  }, "a framework refusal keeps its own 4xx status");
  t.same(toApiError(Object.assign(new Error('Request body is too large'), { statusCode: 413 })), { status: 413, code: 9001, message: 'Request body is too large' });
});

async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

async function token(key: { privateKey: CryptoKey; kid: string }, claims: Record<string, unknown> = { role: 'user' }, sub = '7', expSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setSubject(sub)
    .setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setIssuedAt(now).setExpirationTime(now + expSeconds).sign(key.privateKey);
}

t.test('JWT verification: refetch on an unknown kid, rate-limited', async (t) => {
  const a = await keyPair();
  const b = await keyPair();
  let published: Jwks = { keys: [a.jwk] };
  let fetches = 0;
  let now = 1_000_000;
  const verifier = new JwksVerifier({ fetchJwks: async () => (fetches++, published), minRefetchMs: 30_000, now: () => now });
  await verifier.refresh();
  t.equal(fetches, 1);
  const nowReal = Date.now();
  now = nowReal;
  t.same(await verifier.verify(await token(a)), { userId: '7', role: 'user' });
  t.equal(fetches, 1, 'a known key needs no fetch');

  published = { keys: [a.jwk, b.jwk] };
  t.same(await verifier.verify(await token(b, { role: 'admin' }, '1')), { userId: '1', role: 'admin' }, 'a new key is fetched');
  t.equal(fetches, 2);

  const c = await keyPair();
  await t.rejects(verifier.verify(await token(c)), { code: 'UNAUTHORIZED' });
  await t.rejects(verifier.verify(await token(c)), { code: 'UNAUTHORIZED' });
  t.equal(fetches, 2, 'no refetch within the interval');
  now += 30_000;
  await t.rejects(verifier.verify(await token(c)), { code: 'UNAUTHORIZED' });
  t.equal(fetches, 3, 'one refetch after it');

  await t.rejects(verifier.verify(await token(a, { role: 'user' }, '7', -10)), { code: 'UNAUTHORIZED', message: 'token expired' });
  await t.rejects(verifier.verify(await token(a, { role: 'root' })), { code: 'UNAUTHORIZED' }, 'unknown role');
  const wrongAudience = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'EdDSA', kid: a.kid }).setSubject('7')
    .setIssuer(JWT_ISSUER).setAudience('someone-else').setIssuedAt().setExpirationTime('1h').sign(a.privateKey);
  await t.rejects(verifier.verify(wrongAudience), { code: 'UNAUTHORIZED' });

  const down = new JwksVerifier({ fetchJwks: async () => { throw new DomainError('UNAVAILABLE', 'no auth'); } });
  await t.rejects(down.verify(await token(a)), { code: 'UNAVAILABLE' }, 'no keys at all is not the caller\'s fault');
  t.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  t.equal(bearerToken('bearer   x'), 'x');
  t.equal(bearerToken('Basic abc'), undefined);
  t.equal(bearerToken(undefined), undefined);
});

t.test('report periods: the local day, the ISO week (Monday first) and the calendar month holding the date', async (t) => {
  const sh = (text: string) => Date.parse(`${text}+08:00`);
  t.same(reportPeriod('day', '2025-01-02', tz), { fromMs: sh('2025-01-02T00:00:00'), toMs: sh('2025-01-03T00:00:00') });
  // Thursday 2025-01-02: the week runs Monday 2024-12-30 to Monday 2025-01-06, across the year
  t.same(reportPeriod('week', '2025-01-02', tz), { fromMs: sh('2024-12-30T00:00:00'), toMs: sh('2025-01-06T00:00:00') });
  t.same(reportPeriod('week', '2025-03-03', tz), { fromMs: sh('2025-03-03T00:00:00'), toMs: sh('2025-03-10T00:00:00') }, 'a Monday starts its week');
  t.same(reportPeriod('week', '2025-03-09', tz), { fromMs: sh('2025-03-03T00:00:00'), toMs: sh('2025-03-10T00:00:00') }, 'a Sunday ends it');
  t.same(reportPeriod('month', '2024-02-29', tz), { fromMs: sh('2024-02-01T00:00:00'), toMs: sh('2024-03-01T00:00:00') }, 'leap February');
  t.same(reportPeriod('month', '2024-12-31', tz), { fromMs: sh('2024-12-01T00:00:00'), toMs: sh('2025-01-01T00:00:00') });
  // another zone with daylight saving: local midnights, so the day of the change has 23 hours
  const berlin = reportPeriod('day', '2025-03-30', 'Europe/Berlin');
  t.same(berlin, { fromMs: Date.parse('2025-03-30T00:00:00+01:00'), toMs: Date.parse('2025-03-31T00:00:00+02:00') });
  t.equal(berlin.toMs - berlin.fromMs, 23 * 3_600_000);
  for (const bad of ['2025-02-30', '2025-13-01', '2025-1-2', 'today', '']) {
    t.throws(() => reportPeriod('day', bad, tz), { code: 'VALIDATION', message: /date must be a date YYYY-MM-DD/ }, JSON.stringify(bad));
  }
});

t.test('report view: the period with offsets, exact sums rounded half-up once', async (t) => {
  const view = reportView(
    { stationId: 'default', period: 'week', fromMs: Date.parse('2024-12-30T00:00:00+08:00'), toMs: Date.parse('2025-01-06T00:00:00+08:00') },
    {
      rows: [
        { pileNo: 'F1', sessions: 3, durationMs: 5_400_000, energyWms: Math.round(40.125 * KWH), energyFeeFen: 2355, serviceFeeFen: 3210, totalFen: 5565 },
        { pileNo: 'T1', sessions: 1, durationMs: 0, energyWms: KWH / 200 - 1, energyFeeFen: 0, serviceFeeFen: 0, totalFen: 0 },
      ],
    },
    { timeZone: tz },
  );
  t.same(view, {
    stationId: 'default',
    period: 'week',
    from: '2024-12-30T00:00:00.000+08:00',
    to: '2025-01-06T00:00:00.000+08:00',
    rows: [
      { pileNo: 'F1', sessions: 3, durationMs: 5_400_000, energyKwh: 40.13, energyFeeYuan: 23.55, serviceFeeYuan: 32.1, totalYuan: 55.65 },
      { pileNo: 'T1', sessions: 1, durationMs: 0, energyKwh: 0, energyFeeYuan: 0, serviceFeeYuan: 0, totalYuan: 0 },
    ],
  });
});

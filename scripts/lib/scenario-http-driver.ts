// The --url driver of scripts/scenario: drives a running platform through the gateway's /api, exactly as apps
// and an admin would (one user per car, an admin for the piles and the manual clock), and reports the station
// in the same display form as the in-process EngineDriver, so both print the same bytes.
import { randomBytes, randomUUID } from 'node:crypto';
import type { DriverOutcome, ScenarioDriver, ScenarioSettings, StationSnapshot } from '@voltq/scheduling';
import { WMS_PER_KWH } from '@voltq/tariff';

type Mode = 'fast' | 'slow';

interface ApiAnswer {
  status: number;
  code: number;
  message: string;
  data: any;
}

/** Business codes of document 004 that mean "no such (active) order" for a change or a cancel. */
const ORDER_GONE_CODES = new Set([3001, 3002, 3003, 3004, 9004, 9005]);
/** Piles whose queue a station shows (the others print FAULT). */
const WORKING_PILE_STATES = new Set(['IDLE', 'CHARGING', 'WORKING']);
const DAY_MS = 24 * 3600 * 1000;

export interface HttpDriverOptions {
  url: string;
  adminUser: string;
  adminPassword: string;
  stationId?: string;
}

export class HttpDriver implements ScenarioDriver {
  private adminToken = '';
  private clockMs: number;
  private readonly runId = randomBytes(3).toString('hex');
  private readonly stationId: string;
  /** carId -> its user's token, the car's id on the platform and the id of its latest request. */
  private readonly cars = new Map<string, { token: string; platformCarId: string; orderId?: string }>();

  private constructor(private readonly settings: ScenarioSettings, startMs: number, private readonly options: HttpDriverOptions) {
    this.clockMs = startMs;
    this.stationId = options.stationId ?? 'default';
  }

  /** Logs in as admin, puts the clock in manual mode at the scenario's start and configures the station. */
  static async open(settings: ScenarioSettings, startMs: number, options: HttpDriverOptions): Promise<HttpDriver> {
    const driver = new HttpDriver(settings, startMs, options);
    const login = await driver.call('POST', '/api/admin/login', { username: options.adminUser, password: options.adminPassword });
    if (login.code !== 0) throw new Error(`admin login failed: ${login.message}`);
    driver.adminToken = login.data.token;
    await driver.must('PUT', '/api/admin/clock', { mode: 'manual', time: new Date(startMs).toISOString() }, driver.adminToken);
    const s = settings;
    await driver.must('PUT', `/api/admin/stations/${driver.stationId}/config`, {
      fastPiles: s.fastPiles, slowPiles: s.slowPiles, fastPowerKw: s.fastPowerW / 1000, slowPowerKw: s.slowPowerW / 1000,
      waitingAreaSize: s.waitingAreaSize, pileQueueLength: s.pileQueueLength, faultPolicy: s.faultPolicy,
      dispatchMode: s.dispatchMode, timeZone: s.timeZone,
    }, driver.adminToken);
    // A fresh configuration may keep piles an earlier run left faulted or off: switch every pile on.
    const board = await driver.board();
    for (const pile of board.piles) {
      if (!WORKING_PILE_STATES.has(pile.state)) await driver.must('POST', `/api/admin/piles/${pile.pileNo}/status?stationId=${driver.stationId}`, { status: 'on' }, driver.adminToken);
    }
    return driver;
  }

  async apply(atMs: number, carId: string, mode: Mode, energyWms: number): Promise<DriverOutcome> {
    await this.clockTo(atMs);
    const car = await this.userOf(carId);
    // a fresh key per event: a scenario applying twice means two requests (the second refused while the first is live)
    const res = await this.call('POST', '/api/queue/requests', { mode, energyKwh: kwhNumber(energyWms), carId: car.platformCarId, stationId: this.stationId }, car.token, randomUUID());
    if (res.code === 0) {
      car.orderId = res.data.orderId;
      return { ok: true };
    }
    return refused(res, 'BAD_ENERGY');
  }

  async cancel(atMs: number, carId: string): Promise<DriverOutcome> {
    await this.clockTo(atMs);
    const car = this.cars.get(carId);
    if (!car?.orderId) return { ok: false, code: 'ORDER_NOT_FOUND' };
    const res = await this.call('DELETE', `/api/queue/requests/${car.orderId}`, undefined, car.token);
    return res.code === 0 ? { ok: true } : refusedChange(res);
  }

  async change(atMs: number, carId: string, mode: Mode | null, energyWms: number | null): Promise<DriverOutcome> {
    await this.clockTo(atMs);
    const car = this.cars.get(carId);
    if (!car?.orderId) return { ok: false, code: 'ORDER_NOT_FOUND' };
    const body: Record<string, unknown> = {};
    if (mode !== null) body.mode = mode;
    if (energyWms !== null) body.energyKwh = kwhNumber(energyWms);
    const res = await this.call('PATCH', `/api/queue/requests/${car.orderId}`, body, car.token);
    return res.code === 0 ? { ok: true } : refusedChange(res);
  }

  async pileFault(atMs: number, pileNo: string): Promise<DriverOutcome> {
    return this.pileStatus(atMs, pileNo, 'fault');
  }

  async pileRecover(atMs: number, pileNo: string): Promise<DriverOutcome> {
    return this.pileStatus(atMs, pileNo, 'on');
  }

  async snapshot(atMs: number): Promise<StationSnapshot> {
    await this.clockTo(atMs);
    const board = await this.board();
    const two = (n: number) => n.toFixed(2);
    return {
      piles: board.piles.map((p: any) => ({
        pileNo: p.pileNo,
        state: WORKING_PILE_STATES.has(p.state) ? 'working' : p.state === 'OFF' ? 'off' : 'fault',
        queue: p.queue.map((c: any) => ({ carId: scenarioCarId(c.carId), chargedKwh: two(c.chargedKwh), feeYuan: two(c.feeYuan) })),
      })),
      waiting: board.waitingArea.map((c: any) => ({ carId: scenarioCarId(c.carId), mode: c.mode, requestedKwh: two(c.requestedKwh) })),
      faultQueue: board.faultQueue.map((c: any) => ({ carId: scenarioCarId(c.carId), mode: c.mode, remainingKwh: two(c.remainingKwh) })),
    };
  }

  /**
   * Runs the clock a day at a time until no working pile holds a car (cars that can never be placed stay where
   * they are, as in the engine), then reads the last completion from the cars' finished orders.
   */
  async finish(atMs: number): Promise<number | null> {
    await this.clockTo(atMs);
    for (let day = 0; day < 400; day++) {
      const board = await this.board();
      const busy = board.piles.some((p: any) => WORKING_PILE_STATES.has(p.state) && p.queue.length > 0);
      if (!busy) break;
      await this.clockTo(this.clockMs + DAY_MS);
    }
    return this.lastCompletion();
  }

  async close(): Promise<void> {}

  /** Every request that is no longer on the station has been finished or cancelled; orders follow the station's
   * events asynchronously, so wait until they all say so, then take the latest finish. */
  private async lastCompletion(): Promise<number | null> {
    const board = await this.board();
    const onStation = new Set<string>([
      ...board.piles.flatMap((p: any) => p.queue.map((c: any) => c.orderId)),
      ...board.waitingArea.map((c: any) => c.orderId),
      ...board.faultQueue.map((c: any) => c.orderId),
    ]);
    const deadline = Date.now() + 30_000;
    for (;;) {
      let last: number | null = null;
      let settled = true;
      for (const car of this.cars.values()) {
        for (let pageNum = 1; ; pageNum++) {
          const page = await this.must('GET', `/api/orders?pageNum=${pageNum}&pageSize=100`, undefined, car.token);
          for (const order of page.list) {
            if (order.status === 2 && order.endTime) last = Math.max(last ?? 0, Date.parse(order.endTime));
            else if (order.status !== 3 && !onStation.has(order.id)) settled = false;
          }
          if (pageNum >= page.pages) break;
        }
      }
      if (settled) return last;
      if (Date.now() > deadline) throw new Error('orders did not settle within 30 s of the last completion');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async pileStatus(atMs: number, pileNo: string, status: 'fault' | 'on'): Promise<DriverOutcome> {
    await this.clockTo(atMs);
    const res = await this.call('POST', `/api/admin/piles/${pileNo}/status?stationId=${this.stationId}`, { status }, this.adminToken);
    return res.code === 0 ? { ok: true } : refused(res, 'UNKNOWN_PILE');
  }

  private async board(): Promise<any> {
    return this.must('GET', `/api/admin/stations/${this.stationId}/board`, undefined, this.adminToken);
  }

  /** Manual clock: moving it processes every due completion at its own instant before the call returns. */
  private async clockTo(atMs: number): Promise<void> {
    if (atMs <= this.clockMs) return;
    await this.must('POST', '/api/admin/clock/advance', { to: new Date(atMs).toISOString() }, this.adminToken);
    this.clockMs = atMs;
  }

  private async userOf(carId: string): Promise<{ token: string; platformCarId: string; orderId?: string }> {
    const known = this.cars.get(carId);
    if (known) return known;
    const username = `s${this.runId}${carId}`.slice(0, 20).padEnd(5, '0');
    const password = `scenario-${this.runId}`;
    const registered = await this.must('POST', '/api/user/register', { username, password });
    // a request names only the caller's own cars, and car ids are unique on the platform: one per run and car
    const platformCarId = `${carId}${RUN_SEPARATOR}${this.runId}`;
    await this.must('POST', '/api/user/cars', { plate: carId.slice(0, 32), carId: platformCarId }, registered.token as string);
    const car = { token: registered.token as string, platformCarId };
    this.cars.set(carId, car);
    return car;
  }

  private async must(method: string, path: string, body?: unknown, token?: string): Promise<any> {
    const res = await this.call(method, path, body, token);
    if (res.code !== 0) throw new Error(`${method} ${path} failed: ${res.status} ${res.code} ${res.message}`);
    return res.data;
  }

  private async call(method: string, path: string, body?: unknown, token?: string, idempotencyKey?: string): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(new URL(path, this.options.url), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const answer = (await res.json()) as Omit<ApiAnswer, 'status'>;
    if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${answer.message}`);
    return { status: res.status, ...answer };
  }
}

/** Between a scenario's car id and the run's id in the car id registered on the platform. */
const RUN_SEPARATOR = '~';

/** The scenario's own car id (Vn) of a platform car id this driver registered. */
function scenarioCarId(platformCarId: unknown): unknown {
  return typeof platformCarId === 'string' ? platformCarId.split(RUN_SEPARATOR)[0] : platformCarId;
}

/** The engine's refusal code the gateway passes on as `data.reason`; `fallback` for the gateway's own input checks. */
function refused(res: ApiAnswer, fallback: string): DriverOutcome {
  const reason = res.data?.reason;
  return { ok: false, code: typeof reason === 'string' ? reason : fallback };
}

/** A change or cancel of a request the order service already knows is over is, to the station, an unknown one. */
function refusedChange(res: ApiAnswer): DriverOutcome {
  if (typeof res.data?.reason === 'string') return { ok: false, code: res.data.reason };
  return { ok: false, code: ORDER_GONE_CODES.has(res.code) ? 'ORDER_NOT_FOUND' : 'BAD_ENERGY' };
}

/** Exact kWh as a JSON number: energy is a whole number of Wh in scenarios (kWh with up to 3 decimals). */
function kwhNumber(energyWms: number): number {
  const wh = energyWms / (WMS_PER_KWH / 1000);
  if (!Number.isInteger(wh)) throw new Error(`${energyWms} Wms is not a whole number of Wh`);
  return Number(`${Math.trunc(wh / 1000)}.${String(Math.abs(wh % 1000)).padStart(3, '0')}`);
}

// A simulated OCPP 1.6J charge point on ocpp-rpc's strict client (every call and answer checked against the OCPP
// 1.6 JSON schemas, so a message the simulator gets wrong fails here, not in the bridge): HTTP Basic auth, Boot,
// heartbeats at the Boot answer's interval, a StatusNotification per connector, card (Authorize) and remote starts,
// MeterValues every meterIntervalMs, stops (remote, car full, fault, unlock, reset) and the operator commands.
// Each connector's energy is a walk-up PortModel (ports.ts), so `speed` and `carKwh` mean what they mean there.
//
// Transaction messages (Start/MeterValues/Stop) always go through one ordered queue, online or not, as OCPP asks
// of a charge point: while the link is down they wait with their original timestamps and are replayed in order
// after the reconnect. A message of a transaction is built when it is sent, so one queued behind an unanswered
// StartTransaction (a start made offline) carries the transactionId that the replayed start is answered with.
import { EventEmitter } from 'node:events';
import { RPCClient, createRPCError } from 'ocpp-rpc';
import type { IHandlersOption } from 'ocpp-rpc';
import { startFleet } from './fleet.js';
import { PortModel } from './ports.js';

export type OcppStatus = 'Available' | 'Preparing' | 'Charging' | 'SuspendedEV' | 'Finishing' | 'Unavailable' | 'Faulted';
export type OcppStopReason =
  | 'EmergencyStop' | 'EVDisconnected' | 'HardReset' | 'Local' | 'Other' | 'PowerLoss' | 'Reboot' | 'Remote' | 'SoftReset'
  | 'UnlockCommand' | 'DeAuthorized';
export type TransactionAction = 'StartTransaction' | 'MeterValues' | 'StopTransaction';

export interface SimChargePointOptions {
  /** the central system's OCPP endpoint without the id, e.g. `ws://127.0.0.1:8085/ocpp` (the id is appended) */
  url: string;
  /** the charge point identity (the registered device id) and its secret (HTTP Basic password) */
  deviceId: string;
  secret: string;
  /** connectors 1..n (default 1) */
  connectors?: number;
  /** the power a car draws on each connector (default 7 kW) */
  powerW?: number;
  /** simulated energy per real ms multiplied (default 1) */
  speed?: number;
  /** MeterValues per charging connector this often (real ms; default 1000) */
  meterIntervalMs?: number;
  /** a car is full after this many kWh: StopTransaction reason Other (default: never full) */
  carKwh?: number;
  /** outbound call timeout (default 10 s); a transaction message timed out is sent again */
  callTimeoutMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** MeterValues kept while offline at most (older Start/Stop are always kept); default 10,000 */
  maxQueuedMeterValues?: number;
  log?: (line: string) => void;
}

export type CardStartAnswer = { accepted: true; connectorId: number } | { accepted: false; reason: string };

/** one session as the charge point knows it; transactionId arrives with the StartTransaction answer */
interface LocalTransaction {
  localId: number;
  connectorId: number;
  idTag: string;
  transactionId?: number;
  /** the central system's StartTransaction answer was not Accepted, or the start was dropped */
  dead?: boolean;
}

interface Connector {
  connectorId: number;
  port: PortModel;
  status: OcppStatus;
  tx?: LocalTransaction;
  faulted: boolean;
  /** ChangeAvailability Inoperative: Unavailable, refuses starts; `pendingInoperative` once the session ends */
  operative: boolean;
  pendingInoperative: boolean;
}

interface Queued {
  action: TransactionAction;
  tx: LocalTransaction;
  /** the params, built at send time (the transactionId may have been learned meanwhile) */
  build: (tx: LocalTransaction) => Record<string, unknown>;
}

interface ConfigKey {
  value: string;
  readonly: boolean;
}

const WMS_PER_WH = 3_600_000;
const toWh = (wms: number) => Math.floor(wms / WMS_PER_WH);
const iso = (ms: number) => new Date(ms).toISOString();

function isRpcError(err: unknown): err is Error & { rpcErrorCode: string } {
  return typeof err === 'object' && err !== null && 'rpcErrorCode' in err;
}

/**
 * Events: 'online' (Boot accepted: { interval }), 'offline', 'reconnecting' ({ attempt, delayMs }), 'refused' (the
 * upgrade was answered 401/404: the charge point gives up), 'status' ({ connectorId, status }), 'session-started'
 * ({ connectorId, idTag, meterStartWh }), 'session-stopped' ({ connectorId, idTag, meterStopWh, reason }), 'sent'
 * ({ action, params, answer } for each transaction message the central system answered), 'dropped' ({ action,
 * error }), 'call' ({ method, params } for each call of the central system).
 */
export class SimChargePoint extends EventEmitter {
  /** Boot accepted on the current connection */
  online = false;
  readonly connectors = new Map<number, Connector>();
  readonly powerW: number;
  private readonly rpc: RPCClient;
  private stopped = true;
  private connected = false;
  private attempt = 0;
  private localIds = 0;
  private readonly queue: Queued[] = [];
  private pumping = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private meterTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private bootTimer: NodeJS.Timeout | undefined;
  private readonly config = new Map<string, ConfigKey>();
  private meterIntervalMs: number;

  constructor(private readonly opts: SimChargePointOptions) {
    super();
    this.powerW = opts.powerW ?? 7000;
    const count = opts.connectors ?? 1;
    for (let connectorId = 1; connectorId <= count; connectorId++) {
      this.connectors.set(connectorId, {
        connectorId,
        port: new PortModel(connectorId, {
          powerW: this.powerW,
          ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
          ...(opts.carKwh !== undefined ? { carWms: Math.round(opts.carKwh * 1000 * WMS_PER_WH) } : {}),
        }),
        status: 'Available',
        faulted: false,
        operative: true,
        pendingInoperative: false,
      });
    }
    const meterS = Math.max(1, Math.round((opts.meterIntervalMs ?? 1000) / 1000));
    const keys: [string, string, boolean][] = [
      ['HeartbeatInterval', '300', false],
      ['MeterValueSampleInterval', String(meterS), false],
      ['MeterValuesSampledData', 'Energy.Active.Import.Register,Power.Active.Import,Voltage,Current.Import', false],
      ['NumberOfConnectors', String(count), true],
      ['LocalAuthorizeOffline', 'true', false],
      ['AuthorizeRemoteTxRequests', 'false', false],
      ['ConnectionTimeOut', '60', false],
      ['StopTransactionOnEVSideDisconnect', 'true', true],
      ['SupportedFeatureProfiles', 'Core,RemoteTrigger', true],
    ];
    for (const [key, value, readonly] of keys) this.config.set(key, { value, readonly });
    // the option is in ms (tests deliver readings in fractions of a second); the OCPP key stays whole seconds
    this.meterIntervalMs = opts.meterIntervalMs ?? 1000;

    this.rpc = new RPCClient({
      endpoint: opts.url.replace(/\/+$/, ''),
      identity: opts.deviceId,
      password: opts.secret,
      protocols: ['ocpp1.6'],
      strictMode: true,
      // reconnects are ours: ocpp-rpc's own would retry a 401 forever and never boot again
      reconnect: false,
      callTimeoutMs: opts.callTimeoutMs ?? 10_000,
    } as unknown as ConstructorParameters<typeof RPCClient>[0]);
    this.rpc.on('strictValidationFailure', (e: { method?: string; error?: Error; outbound?: boolean }) =>
      this.log(`schema violation (${e.outbound ? 'ours' : "the central system's"}) in ${e.method}: ${e.error?.message}`));
    this.rpc.on('open', () => {
      this.connected = true;
      void this.boot();
    });
    this.rpc.on('close', () => this.onClose());
    this.registerHandlers();
  }

  get deviceId(): string {
    return this.opts.deviceId;
  }

  /** transaction messages waiting to be sent (or answered) */
  get queued(): number {
    return this.queue.length;
  }

  /** the energy register of a connector now, in Wh */
  registerWh(connectorId: number): number {
    return toWh(this.connector(connectorId).port.meter(Date.now()));
  }

  /** the transactionId of the connector's running session, once the central system answered its start */
  transactionId(connectorId: number): number | undefined {
    return this.connector(connectorId).tx?.transactionId;
  }

  private log(text: string): void {
    this.opts.log?.(`${this.opts.deviceId} [ocpp] ${text}`);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.meterTimer = setInterval(() => this.meterTick(), this.meterIntervalMs);
    this.connect();
  }

  /** Closes the link and stops reconnecting (queued messages are kept in memory but not sent). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.bootTimer);
    clearInterval(this.meterTimer);
    this.stopHeartbeats();
    await this.rpc.close({ code: 1000, reason: 'simulator stopped' });
  }

  private connect(): void {
    if (this.stopped) return;
    this.rpc.connect().catch((err: Error & { code?: number }) => {
      if (err.code === 401 || err.code === 404) {
        // a wrong secret or an unknown id does not get better by retrying
        this.stopped = true;
        clearInterval(this.meterTimer);
        this.log(`refused at the upgrade (${err.code})`);
        this.emit('refused', { code: err.code });
        return;
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    // exponential backoff with full jitter, so a restarted bridge is not hit by every charge point at once
    const min = this.opts.backoffMinMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 30_000;
    const attempt = ++this.attempt;
    const delayMs = Math.round(Math.random() * Math.min(max, min * 2 ** (attempt - 1)) + min / 2);
    this.emit('reconnecting', { attempt, delayMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  private onClose(): void {
    // a failed connect() also closes; that one is retried by connect() itself
    if (!this.connected) return;
    this.connected = false;
    const wasOnline = this.online;
    this.online = false;
    this.stopHeartbeats();
    clearTimeout(this.bootTimer);
    if (wasOnline) this.log(`offline (${this.queue.length} transaction messages queued)`);
    this.emit('offline');
    this.scheduleReconnect();
  }

  /** Boot on every connection (the central system learns the connectors' state again), then status and replay. */
  private async boot(): Promise<void> {
    let answer: { status: string; interval: number; currentTime: string };
    try {
      answer = (await this.rpc.call('BootNotification', {
        chargePointVendor: 'VoltQ',
        chargePointModel: 'Sim',
        chargePointSerialNumber: this.opts.deviceId.slice(0, 25),
        firmwareVersion: '0.1.0',
      })) as typeof answer;
    } catch (err) {
      this.log(`BootNotification failed: ${(err as Error).message}`);
      return; // the link dropped (onClose reconnects) or the answer was invalid: wait for the next connection
    }
    if (answer.status !== 'Accepted') {
      // Pending/Rejected: nothing but Boot until accepted, again after `interval`
      const retryMs = Math.max(1, answer.interval || 10) * 1000;
      this.log(`boot ${answer.status}; again in ${retryMs} ms`);
      this.bootTimer = setTimeout(() => void (this.connected && this.boot()), retryMs);
      return;
    }
    this.online = true;
    this.attempt = 0;
    const intervalS = Math.max(1, answer.interval);
    this.config.get('HeartbeatInterval')!.value = String(intervalS);
    this.startHeartbeats(intervalS * 1000);
    this.log(`online (heartbeat every ${intervalS} s, ${this.queue.length} transaction messages to replay)`);
    this.emit('online', { interval: intervalS });
    await this.notify(0, 'Available');
    for (const c of this.connectors.values()) await this.notify(c.connectorId, c.status, c.faulted ? 'OtherError' : 'NoError');
    void this.pump();
  }

  private startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setInterval(() => {
      if (this.online) this.rpc.call('Heartbeat', {}).catch((err: Error) => this.log(`Heartbeat failed: ${err.message}`));
    }, intervalMs);
  }

  private stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** StatusNotification now if online; offline the latest status is sent after the next boot. */
  private async notify(connectorId: number, status: OcppStatus, errorCode = 'NoError'): Promise<void> {
    if (!this.online) return;
    try {
      await this.rpc.call('StatusNotification', { connectorId, errorCode, status, timestamp: iso(Date.now()) });
    } catch (err) {
      this.log(`StatusNotification failed: ${(err as Error).message}`);
    }
  }

  private setStatus(c: Connector, status: OcppStatus): void {
    c.status = status;
    this.emit('status', { connectorId: c.connectorId, status });
    void this.notify(c.connectorId, status, status === 'Faulted' ? 'OtherError' : 'NoError');
  }

  /** the status a connector without a session rests in */
  private idleStatus(c: Connector): OcppStatus {
    if (c.faulted) return 'Faulted';
    return c.operative ? 'Available' : 'Unavailable';
  }

  private connector(connectorId: number): Connector {
    const c = this.connectors.get(connectorId);
    if (!c) throw new Error(`${this.opts.deviceId} has no connector ${connectorId}`);
    return c;
  }

  private free(c: Connector): boolean {
    return !c.faulted && c.operative && !c.port.session;
  }

  // ---- transaction messages ----

  private enqueue(entry: Queued): void {
    if (entry.action === 'MeterValues') {
      const meters = this.queue.filter((q) => q.action === 'MeterValues').length;
      if (meters >= (this.opts.maxQueuedMeterValues ?? 10_000)) return; // a long outage keeps the first readings
    }
    this.queue.push(entry);
    void this.pump();
  }

  /** Sends the queue in order, one message at a time; a dropped link leaves the head for after the reconnect. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.online && this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.action !== 'StartTransaction' && (head.tx.dead || head.tx.transactionId === undefined)) {
          // its start was refused or dropped: there is no transaction to report on
          this.queue.shift();
          this.emit('dropped', { action: head.action, error: 'no transaction' });
          continue;
        }
        const params = head.build(head.tx);
        let answer: Record<string, unknown>;
        try {
          answer = (await this.rpc.call(head.action, params)) as Record<string, unknown>;
        } catch (err) {
          if (isRpcError(err)) {
            // a CALLERROR does not get better by resending (the central system must answer these; say so loudly)
            this.log(`${head.action} answered ${err.rpcErrorCode}: ${err.message}; dropped`);
            this.queue.shift();
            if (head.action === 'StartTransaction') head.tx.dead = true;
            this.emit('dropped', { action: head.action, error: err.rpcErrorCode });
            continue;
          }
          // timeout or link trouble: the same message again (the central system is idempotent), after a reconnect
          if (!this.online) break;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        this.queue.shift();
        if (head.action === 'StartTransaction') this.onStartAnswer(head.tx, answer);
        this.emit('sent', { action: head.action, params, answer });
      }
    } finally {
      this.pumping = false;
    }
  }

  private onStartAnswer(tx: LocalTransaction, answer: Record<string, unknown>): void {
    tx.transactionId = answer.transactionId as number;
    const status = (answer.idTagInfo as { status?: string } | undefined)?.status;
    if (status === 'Accepted') return;
    this.log(`transaction ${tx.transactionId} (${tx.idTag}) not accepted (${status}): stopping it`);
    const c = this.connectors.get(tx.connectorId);
    if (c?.tx === tx) this.endSession(c, 'DeAuthorized');
  }

  /**
   * Takes the connector for a session at once; its messages go out now or, for a remote start, once its answer is
   * on the wire (`defer`), so that the central system sees Accepted before the StartTransaction it announced.
   */
  private beginSession(c: Connector, idTag: string, defer?: (fn: () => void) => void): void {
    const now = Date.now();
    const started = c.port.start({ sessionId: `local-${this.localIds + 1}` }, now);
    if (!started.accepted) return;
    const tx: LocalTransaction = { localId: ++this.localIds, connectorId: c.connectorId, idTag };
    c.tx = tx;
    const meterStartWh = toWh(started.meterWms);
    if (defer) return defer(() => this.announceStart(c, tx, meterStartWh, now));
    this.announceStart(c, tx, meterStartWh, now);
  }

  private announceStart(c: Connector, tx: LocalTransaction, meterStartWh: number, now: number): void {
    const idTag = tx.idTag;
    this.setStatus(c, 'Preparing');
    this.enqueue({
      action: 'StartTransaction',
      tx,
      build: () => ({ connectorId: c.connectorId, idTag, meterStart: meterStartWh, timestamp: iso(now) }),
    });
    this.setStatus(c, 'Charging');
    this.log(`connector ${c.connectorId}: ${idTag} charging from ${meterStartWh} Wh`);
    this.emit('session-started', { connectorId: c.connectorId, idTag, meterStartWh });
  }

  /** Ends the connector's session: StopTransaction (queued), Finishing, then its resting status. */
  private endSession(c: Connector, reason: OcppStopReason): void {
    const tx = c.tx;
    const now = Date.now();
    const ended = c.port.stop(now);
    c.tx = undefined;
    if (!ended || !tx) return;
    const meterStopWh = toWh(ended.energyWms);
    this.setStatus(c, 'Finishing');
    this.enqueue({
      action: 'StopTransaction',
      tx,
      build: (t) => ({ transactionId: t.transactionId, idTag: t.idTag, meterStop: meterStopWh, timestamp: iso(now), reason }),
    });
    if (c.pendingInoperative) {
      c.operative = false;
      c.pendingInoperative = false;
    }
    // the driver unplugs: the connector is free again
    this.setStatus(c, this.idleStatus(c));
    this.log(`connector ${c.connectorId}: ${tx.idTag} stopped (${reason}) at ${meterStopWh} Wh`);
    this.emit('session-stopped', { connectorId: c.connectorId, idTag: tx.idTag, meterStopWh, reason });
  }

  private sampledValues(c: Connector, nowMs: number): Record<string, unknown>[] {
    const powerW = c.port.powerW;
    const voltageV = this.powerW >= 20_000 ? 750 : 230; // DC fast chargers vs AC
    const currentA = Math.round((powerW / voltageV) * 10) / 10;
    return [
      { value: String(toWh(c.port.meter(nowMs))), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
      { value: String(powerW), measurand: 'Power.Active.Import', unit: 'W', context: 'Sample.Periodic' },
      { value: String(voltageV), measurand: 'Voltage', unit: 'V', context: 'Sample.Periodic' },
      { value: String(currentA), measurand: 'Current.Import', unit: 'A', context: 'Sample.Periodic' },
    ];
  }

  private queueMeterValues(c: Connector, nowMs: number, context?: 'Trigger'): void {
    const tx = c.tx;
    if (!tx) return;
    const sampledValue = this.sampledValues(c, nowMs).map((v) => (context ? { ...v, context } : v));
    this.enqueue({
      action: 'MeterValues',
      tx,
      build: (t) => ({ connectorId: c.connectorId, transactionId: t.transactionId, meterValue: [{ timestamp: iso(nowMs), sampledValue }] }),
    });
  }

  /** Each charging connector reads its meter (queued while offline); a full car stops by itself. */
  meterTick(): void {
    const now = Date.now();
    for (const c of this.connectors.values()) {
      if (!c.port.session) continue;
      if (c.port.due(now)) {
        this.endSession(c, 'Other');
        continue;
      }
      this.queueMeterValues(c, now);
    }
  }

  // ---- what a driver or an operator does at the charge point ----

  /**
   * A card presented at a connector: Authorize, and StartTransaction when Accepted. Offline the card is taken
   * without asking (LocalAuthorizeOffline) and its start waits in the queue like every transaction message.
   */
  async cardStart(connectorId: number, idTag: string): Promise<CardStartAnswer> {
    const c = this.connector(connectorId);
    if (!this.free(c)) return { accepted: false, reason: c.port.session ? 'connector busy' : 'connector unavailable' };
    if (this.online) {
      const answer = (await this.rpc.call('Authorize', { idTag })) as { idTagInfo: { status: string } };
      if (answer.idTagInfo.status !== 'Accepted') return { accepted: false, reason: answer.idTagInfo.status };
    } else if (this.config.get('LocalAuthorizeOffline')!.value !== 'true') {
      return { accepted: false, reason: 'offline' };
    }
    if (!this.free(c)) return { accepted: false, reason: 'connector busy' };
    this.beginSession(c, idTag);
    return { accepted: true, connectorId };
  }

  /** The driver stops at the charge point (reason Local). */
  localStop(connectorId: number): void {
    this.endSession(this.connector(connectorId), 'Local');
  }

  /** A fault on the connector: its session ends (reason Other) and it reports Faulted until recover(). */
  fault(connectorId: number): void {
    const c = this.connector(connectorId);
    c.faulted = true;
    this.endSession(c, 'Other'); // a running session ends in Faulted already
    if (c.status !== 'Faulted') this.setStatus(c, 'Faulted');
  }

  recover(connectorId: number): void {
    const c = this.connector(connectorId);
    if (!c.faulted) return;
    c.faulted = false;
    this.setStatus(c, this.idleStatus(c));
  }

  // ---- the central system's calls ----

  private registerHandlers(): void {
    const on = (method: string, handler: (params: Record<string, unknown>) => Record<string, unknown>) => {
      this.rpc.handle(method, async ({ params }: IHandlersOption) => {
        this.emit('call', { method, params });
        return handler((params ?? {}) as Record<string, unknown>);
      });
    };
    // what a handler starts happens after its answer is on the wire, as on a real charge point
    const after = (fn: () => void) => setTimeout(fn, 0);

    on('RemoteStartTransaction', (p) => {
      const wanted = p.connectorId as number | undefined;
      const c = wanted !== undefined ? this.connectors.get(wanted) : [...this.connectors.values()].find((x) => this.free(x));
      if (!c || !this.free(c)) return { status: 'Rejected' };
      // taken at once so that a second remote start for it is rejected
      this.beginSession(c, p.idTag as string, after);
      return { status: 'Accepted' };
    });
    on('RemoteStopTransaction', (p) => {
      const c = [...this.connectors.values()].find((x) => x.tx?.transactionId === p.transactionId);
      if (!c) return { status: 'Rejected' };
      after(() => this.endSession(c, 'Remote'));
      return { status: 'Accepted' };
    });
    on('Reset', (p) => {
      const reason: OcppStopReason = p.type === 'Hard' ? 'HardReset' : 'SoftReset';
      after(() => {
        for (const c of this.connectors.values()) this.endSession(c, reason);
        this.log(`${String(p.type)} reset: rebooting`);
        // the reboot: the link closes, the reconnect boots again and replays what is queued
        this.attempt = 0;
        void this.rpc.close({ code: 1012, reason: 'reset' });
      });
      return { status: 'Accepted' };
    });
    on('UnlockConnector', (p) => {
      const c = this.connectors.get(p.connectorId as number);
      if (!c) return { status: 'NotSupported' };
      after(() => this.endSession(c, 'UnlockCommand'));
      return { status: 'Unlocked' };
    });
    on('ChangeAvailability', (p) => {
      const operative = p.type === 'Operative';
      const targets = p.connectorId === 0 ? [...this.connectors.values()] : [this.connectors.get(p.connectorId as number)];
      if (targets.some((c) => !c)) return { status: 'Rejected' };
      let scheduled = false;
      for (const c of targets as Connector[]) {
        if (!operative && c.port.session) {
          c.pendingInoperative = true;
          scheduled = true;
          continue;
        }
        c.pendingInoperative = false;
        c.operative = operative;
        if (!c.port.session) after(() => this.setStatus(c, this.idleStatus(c)));
      }
      return { status: scheduled ? 'Scheduled' : 'Accepted' };
    });
    on('GetConfiguration', (p) => {
      const wanted = (p.key as string[] | undefined) ?? [...this.config.keys()];
      const configurationKey = wanted.filter((k) => this.config.has(k)).map((key) => ({ key, ...this.config.get(key)! }));
      const unknownKey = wanted.filter((k) => !this.config.has(k));
      return { configurationKey, ...(unknownKey.length ? { unknownKey } : {}) };
    });
    on('ChangeConfiguration', (p) => {
      const key = p.key as string;
      const value = p.value as string;
      const entry = this.config.get(key);
      if (!entry) return { status: 'NotSupported' };
      if (entry.readonly) return { status: 'Rejected' };
      if (key === 'HeartbeatInterval' || key === 'MeterValueSampleInterval' || key === 'ConnectionTimeOut') {
        const seconds = Number(value);
        if (!Number.isInteger(seconds) || seconds <= 0) return { status: 'Rejected' };
        if (key === 'HeartbeatInterval' && this.online) after(() => this.startHeartbeats(seconds * 1000));
        if (key === 'MeterValueSampleInterval') {
          this.meterIntervalMs = seconds * 1000;
          if (!this.stopped) {
            clearInterval(this.meterTimer);
            this.meterTimer = setInterval(() => this.meterTick(), this.meterIntervalMs);
          }
        }
      } else if (key === 'LocalAuthorizeOffline' || key === 'AuthorizeRemoteTxRequests') {
        if (value !== 'true' && value !== 'false') return { status: 'Rejected' };
      }
      entry.value = value;
      return { status: 'Accepted' };
    });
    on('TriggerMessage', (p) => {
      const connectorId = p.connectorId as number | undefined;
      const targets = connectorId !== undefined ? [this.connectors.get(connectorId)] : [...this.connectors.values()];
      if (targets.some((c) => !c)) return { status: 'Rejected' };
      const call = (method: string, params: Record<string, unknown>) =>
        after(() => void this.rpc.call(method, params).catch((err: Error) => this.log(`${method} failed: ${err.message}`)));
      switch (p.requestedMessage) {
        case 'BootNotification':
          after(() => void this.boot());
          break;
        case 'Heartbeat':
          call('Heartbeat', {});
          break;
        case 'StatusNotification':
          for (const c of targets as Connector[]) after(() => void this.notify(c.connectorId, c.status, c.faulted ? 'OtherError' : 'NoError'));
          break;
        case 'MeterValues':
          for (const c of targets as Connector[]) after(() => this.queueMeterValues(c, Date.now(), 'Trigger'));
          break;
        case 'DiagnosticsStatusNotification':
          call('DiagnosticsStatusNotification', { status: 'Idle' });
          break;
        case 'FirmwareStatusNotification':
          call('FirmwareStatusNotification', { status: 'Idle' });
          break;
        default:
          return { status: 'NotImplemented' };
      }
      return { status: 'Accepted' };
    });
    on('DataTransfer', () => ({ status: 'Accepted' }));
    this.rpc.handle(({ method }: IHandlersOption) => {
      this.emit('call', { method, params: undefined });
      throw createRPCError('NotImplemented', `${String(method)} is not simulated`);
    });
  }
}

// ---- running several from code (tests, scripts/start) or the CLI ----

export interface OcppChargePointSpec {
  deviceId: string;
  secret: string;
  /** connectors (default 1) */
  connectors?: number;
  /** the power a car draws (default 7 kW) */
  powerKw?: number;
}

export interface RunOcppOptions {
  /** the OCPP endpoint without the id, e.g. `ws://127.0.0.1:8085/ocpp` */
  url: string;
  points: OcppChargePointSpec[];
  speed?: number;
  meterIntervalMs?: number;
  carKwh?: number;
  /** resolve only once every charge point is booted (default true; at most readyTimeoutMs) */
  waitOnline?: boolean;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface OcppChargePoints {
  points: SimChargePoint[];
  get(deviceId: string): SimChargePoint;
  stop(): Promise<void>;
}

/** Starts the charge points; resolves when all are booted (or throws after readyTimeoutMs, having stopped them). */
export async function runOcppChargePoints(opts: RunOcppOptions): Promise<OcppChargePoints> {
  const points = opts.points.map((spec) => new SimChargePoint({
    url: opts.url,
    deviceId: spec.deviceId,
    secret: spec.secret,
    connectors: spec.connectors ?? 1,
    powerW: Math.round((spec.powerKw ?? 7) * 1000),
    ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
    ...(opts.meterIntervalMs !== undefined ? { meterIntervalMs: opts.meterIntervalMs } : {}),
    ...(opts.carKwh !== undefined ? { carKwh: opts.carKwh } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  }));
  const fleet = await startFleet(points, { ...opts, what: 'OCPP charge point', refused: 'refused at the upgrade (unknown id or wrong secret)' });
  return { points, ...fleet };
}

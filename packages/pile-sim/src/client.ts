// A simulated pile speaking the JSON pile protocol over WebSocket or TCP: logs in, heartbeats, reports meter
// values while charging, answers start/stop, reports faults/recoveries on request, reconnects with backoff.
// With `ports` it is a walk-up pile: each port (ports.ts) takes its own start/stop, meters every meterIntervalMs,
// stops by itself at the target or when the car is full, and starts with a card (cardStart).
import { EventEmitter } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { LineSplitter } from './framing.js';
import type { PileMessage, ServerMessage, StopReason } from './protocol.js';
import type { SimDoor } from './args.js';
import { PortModel } from './ports.js';

export interface SimPileOptions {
  /** the pile id (a seeded queue pile logs in with it); a walk-up pile may give only its deviceId */
  pileId?: string;
  /** a registered device's id: the login id when given */
  deviceId?: string;
  secret: string;
  door: SimDoor;
  wsUrl: string;
  tcp: { host: string; port: number };
  /** charging power; default 30 kW for F* piles, 10 kW otherwise */
  powerW?: number;
  /** a walk-up pile with this many ports (1..n): per-port sessions, meters, card starts */
  ports?: number;
  /** walk-up: a `meter` per charging port this often (real ms; default 1000) */
  meterIntervalMs?: number;
  /** walk-up: simulated energy per real second multiplied (default 1) */
  speed?: number;
  /** walk-up: what a car takes before it is full, kWh (default: never full) */
  carKwh?: number;
  /** walk-up: answer commands (tests turn it off to see the bridge's timeout); default true */
  answerCommands?: boolean;
  /** send heartbeats (tests turn them off to simulate a silent pile) */
  heartbeats?: boolean;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** a connection that stayed up this long resets the backoff; shorter ones count as flaps (default 10 s) */
  stableAfterMs?: number;
  log?: (line: string) => void;
}

interface Link {
  send(text: string): void;
  close(): void;
}

type AnyServerMessage = ServerMessage | { type: string; [k: string]: unknown };
/** A bridge message as request() answers it. */
export type BridgeAnswer = { type: string; [k: string]: unknown };

/**
 * Events: 'online' (login.ok), 'message' (every server message), 'command' (start/stop), 'offline' (link closed),
 * 'reconnecting' ({ attempt, delayMs }), 'refused' (AUTH_FAILED: the pile gives up), 'replaced' (REPLACED: another
 * connection took the pile over; this one gives up, or two simulators would take it from each other forever).
 */
export class SimPile extends EventEmitter {
  online = false;
  faulted = false;
  charging: { sessionId?: string; commandId?: string; sinceMs: number; baseWms: number } | undefined;
  /** cumulative energy register */
  energyWms = 0;
  private link: Link | undefined;
  private stopped = true;
  private attempt = 0;
  private onlineSinceMs: number | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private meterTimer: NodeJS.Timeout | undefined;
  /** answers awaited by request(), by message id */
  private readonly answers = new Map<string, (m: BridgeAnswer) => void>();
  /** the pile id the bridge answered at login (a walk-up pile may know only its device id) */
  private loggedInAs: string | undefined;
  readonly powerW: number;
  /** walk-up ports by number (empty for a queue pile) */
  readonly ports = new Map<number, PortModel>();

  constructor(private readonly opts: SimPileOptions) {
    super();
    if (opts.pileId === undefined && opts.deviceId === undefined) throw new Error('SimPile: pileId or deviceId');
    this.powerW = opts.powerW ?? (/-F\d*$/.test(opts.pileId ?? '') ? 30_000 : 10_000);
    for (let portNo = 1; portNo <= (opts.ports ?? 0); portNo++) {
      this.ports.set(portNo, new PortModel(portNo, {
        powerW: this.powerW,
        ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
        ...(opts.carKwh !== undefined ? { carWms: Math.round(opts.carKwh * 3_600_000_000) } : {}),
      }));
    }
  }

  get pileId(): string {
    return this.loggedInAs ?? this.opts.pileId ?? this.opts.deviceId!;
  }

  get deviceId(): string {
    return this.opts.deviceId ?? this.opts.pileId!;
  }

  get walkUp(): boolean {
    return this.ports.size > 0;
  }

  private log(text: string): void {
    this.opts.log?.(`${this.opts.deviceId ?? this.opts.pileId} [${this.opts.door}] ${text}`);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeats();
    clearInterval(this.meterTimer);
    const link = this.link;
    if (!link) return;
    const closed = new Promise<void>((resolve) => this.once('offline', () => resolve()));
    const wait = (ms: number) => Promise.race([closed, new Promise((r) => setTimeout(r, ms))]);
    if (this.online) {
      // the bridge acknowledges the logout and closes the connection itself
      this.send({ type: 'logout', reason: 'simulator stopped' });
      await wait(1000);
    }
    if (this.link === link) {
      link.close();
      await wait(2000);
    }
  }

  /** Sends one protocol message (returns the id it was given). */
  send(msg: PileMessage | Record<string, unknown>): string {
    const id = `${++this.seq}`;
    this.link?.send(JSON.stringify({ ...msg, id }));
    return id;
  }

  /** Sends a message and resolves with the bridge's answer to it (same id); rejects after timeoutMs. */
  request(msg: PileMessage | Record<string, unknown>, timeoutMs = 5000): Promise<BridgeAnswer> {
    return new Promise((resolve, reject) => {
      if (!this.online) return reject(new Error(`${this.pileId} is not online`));
      const id = `${++this.seq}`;
      const timer = setTimeout(() => {
        this.answers.delete(id);
        reject(new Error(`no answer to ${String(msg.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.answers.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.link?.send(JSON.stringify({ ...msg, id }));
    });
  }

  /**
   * A card presented at a walk-up port: the bridge checks it (card.start); accepted, the port charges the session
   * the bridge made. Resolves with that session id, or with the bridge's error code (CARD_REFUSED, ...).
   */
  async cardStart(portNo: number, cardId: string, opts: { targetEnergyWms?: number } = {}): Promise<{ sessionId: string } | { refused: string }> {
    const port = this.port(portNo);
    if (port.session) return { refused: 'PORT_BUSY' };
    const answer = await this.request({ type: 'card.start', portNo, cardId, energyWms: port.meter(Date.now()) });
    if (answer.type !== 'card.ok') return { refused: String(answer.code ?? answer.type) };
    const sessionId = String(answer.sessionId);
    const started = port.start({ sessionId, cardId, ...(opts.targetEnergyWms !== undefined ? { targetEnergyWms: opts.targetEnergyWms } : {}) }, Date.now());
    if (!started.accepted) {
      // the port changed meanwhile: the session the bridge opened ends at once
      this.send({ type: 'session.stopped', portNo, sessionId, energyWms: port.registerWms, reason: 'other' });
      return { refused: started.reason };
    }
    this.send({ type: 'status', portNo, state: 'charging', meter: { energyWms: started.meterWms, powerW: port.powerW } });
    this.log(`port ${portNo}: card ${cardId} charging session ${sessionId}`);
    this.emit('session-started', { portNo, sessionId, cardId });
    return { sessionId };
  }

  /** The car leaves the port: a running session ends (reason unplugged); starts are refused until plug(). */
  unplug(portNo: number): void {
    const port = this.port(portNo);
    this.endSession(port, 'unplugged');
    port.unplug();
  }

  plug(portNo: number): void {
    this.port(portNo).plug();
  }

  private port(portNo: number): PortModel {
    const port = this.ports.get(portNo);
    if (!port) throw new Error(`${this.pileId} has no port ${portNo}`);
    return port;
  }

  /** Sends raw text as one message (tests: malformed input). */
  sendRaw(text: string): void {
    this.link?.send(text);
  }

  fault(reason = 'simulated fault'): void {
    this.faulted = true;
    this.finishCharging();
    for (const port of this.ports.values()) this.endSession(port, 'fault');
    if (this.online) this.send({ type: 'fault', reason, errorCode: 'SIMULATED' });
  }

  recover(): void {
    this.faulted = false;
    if (this.online) this.send({ type: 'recovered' });
  }

  /** Stop heartbeating (the bridge should declare the pile offline). */
  silence(): void {
    this.opts.heartbeats = false;
    this.stopHeartbeats();
  }

  private connect(): void {
    if (this.stopped) return;
    const onMessage = (text: string) => this.onMessage(text);
    const onClose = () => this.onClose();
    this.link = this.opts.door === 'ws' ? openWs(this.opts.wsUrl, onMessage, onClose, () => this.login()) : openTcp(this.opts.tcp, onMessage, onClose, () => this.login());
  }

  private login(): void {
    const as = this.opts.deviceId !== undefined ? { deviceId: this.opts.deviceId } : { pileId: this.opts.pileId };
    this.link?.send(JSON.stringify({ type: 'login', id: 'login', ...as, secret: this.opts.secret }));
  }

  private onMessage(text: string): void {
    let msg: AnyServerMessage;
    try {
      msg = JSON.parse(text) as AnyServerMessage;
    } catch {
      this.log(`unreadable message from the bridge: ${text.slice(0, 200)}`);
      return;
    }
    this.emit('message', msg);
    const answerId = (msg as { id?: unknown }).id;
    const waiter = typeof answerId === 'string' ? this.answers.get(answerId) : undefined;
    if (waiter) {
      this.answers.delete(answerId as string);
      waiter(msg as BridgeAnswer);
    }
    switch (msg.type) {
      case 'login.ok': {
        const ok = msg as Extract<ServerMessage, { type: 'login.ok' }>;
        this.online = true;
        // the backoff is reset only once the connection proves stable (onClose): a login that is closed right away
        // again is a flap, and flaps must keep backing off
        this.onlineSinceMs = Date.now();
        this.log(`online (heartbeat every ${ok.heartbeatIntervalMs} ms${ok.faulted ? ', still faulted' : ''})`);
        this.loggedInAs = ok.pileId;
        this.startHeartbeats(ok.heartbeatIntervalMs);
        // tell the bridge where we are after a reconnect
        if (this.walkUp) {
          for (const port of this.ports.values()) {
            this.send({ type: 'status', portNo: port.portNo, state: port.state, meter: { energyWms: port.meter(Date.now()), powerW: port.powerW } });
          }
          this.startMeters();
        } else {
          this.send({ type: 'status', state: this.charging ? 'charging' : 'idle', meter: { energyWms: this.meter() } });
        }
        if (this.faulted && !ok.faulted) this.send({ type: 'fault', reason: 'fault persists after reconnect', errorCode: 'SIMULATED' });
        if (!this.faulted && ok.faulted) this.send({ type: 'recovered' });
        this.emit('online', ok);
        return;
      }
      case 'start':
      case 'stop':
        if (this.walkUp) this.onPortCommand(msg as Extract<ServerMessage, { type: 'start' | 'stop' }>);
        else this.onCommand(msg as Extract<ServerMessage, { type: 'start' | 'stop' }>);
        return;
      case 'config':
      case 'command':
        this.onOperatorCommand(msg as Extract<ServerMessage, { type: 'config' | 'command' }>);
        return;
      case 'error': {
        const err = msg as Extract<ServerMessage, { type: 'error' }>;
        this.log(`error ${err.code}: ${err.message}`);
        if (err.code === 'AUTH_FAILED' || err.code === 'REMOVED') {
          // a wrong secret does not get better by retrying
          this.stopped = true;
          this.emit('refused', err);
        } else if (err.code === 'REPLACED') {
          // someone else now speaks for this pile; reconnecting would take it back and start a ping-pong
          this.stopped = true;
          clearTimeout(this.retryTimer);
          this.opts.log?.(`pile ${this.opts.pileId} was taken over by another connection; not reconnecting`);
          this.emit('replaced', err);
        }
        return;
      }
    }
  }

  private onCommand(cmd: Extract<ServerMessage, { type: 'start' | 'stop' }>): void {
    this.emit('command', cmd);
    if (cmd.type === 'start') {
      if (this.faulted) {
        this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: false, reason: 'pile is faulted' });
        return;
      }
      // the same command again (re-sent after a lost answer): acknowledge it again, keep charging
      if (this.charging?.commandId === cmd.commandId) {
        this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true });
        return;
      }
      if (this.charging) this.finishCharging();
      this.charging = { ...(cmd.sessionId ? { sessionId: cmd.sessionId } : {}), commandId: cmd.commandId, sinceMs: Date.now(), baseWms: this.energyWms };
      this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true });
      this.send({ type: 'status', state: 'charging', meter: this.meterFields() });
      this.log(`charging${cmd.sessionId ? ` session ${cmd.sessionId}` : ''}`);
    } else {
      // a stop names its session: one for a session that is over already (delivered late, after the next start)
      // is answered without stopping the charge that runs now
      if (cmd.sessionId && this.charging?.sessionId && cmd.sessionId !== this.charging.sessionId) {
        this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true });
        this.log(`stop for session ${cmd.sessionId}, which is over: still charging session ${this.charging.sessionId}`);
        return;
      }
      this.finishCharging();
      this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true });
      this.send({ type: 'status', state: 'idle', meter: { energyWms: this.energyWms } });
      this.log('stopped charging');
    }
  }

  // ---- walk-up ports ----

  private onPortCommand(cmd: Extract<ServerMessage, { type: 'start' | 'stop' }>): void {
    this.emit('command', cmd);
    if (this.opts.answerCommands === false) return;
    const portNo = cmd.portNo ?? 1;
    const port = this.ports.get(portNo);
    if (!port) {
      this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: false, reason: `no port ${portNo}` });
      return;
    }
    const now = Date.now();
    if (cmd.type === 'start') {
      const answer = this.faulted
        ? { accepted: false as const, reason: 'pile is faulted' }
        : port.start({ sessionId: cmd.sessionId ?? cmd.commandId, commandId: cmd.commandId, ...(cmd.targetEnergyWms !== undefined ? { targetEnergyWms: cmd.targetEnergyWms } : {}) }, now);
      if (!answer.accepted) {
        this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: false, reason: answer.reason, data: { status: 'Rejected', reason: answer.reason } });
        return;
      }
      this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true, meterWms: answer.meterWms, data: { status: 'Accepted' } });
      if (answer.repeated) return;
      this.send({ type: 'status', portNo, state: 'charging', meter: { energyWms: answer.meterWms, powerW: port.powerW } });
      this.log(`port ${portNo}: charging session ${port.session!.sessionId}`);
      this.emit('session-started', { portNo, sessionId: port.session!.sessionId });
      return;
    }
    // a stop for a session that is over (or another one) is answered without touching what runs now
    if (!port.session || (cmd.sessionId !== undefined && cmd.sessionId !== port.session.sessionId)) {
      this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true, data: { status: 'Accepted', note: 'no such session running' } });
      return;
    }
    this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true, data: { status: 'Accepted' } });
    this.endSession(port, 'remote');
  }

  private onOperatorCommand(cmd: Extract<ServerMessage, { type: 'config' | 'command' }>): void {
    this.emit('command', cmd);
    if (this.opts.answerCommands === false) return;
    const data: Record<string, unknown> = { status: 'Accepted' };
    if (cmd.type === 'command' && cmd.command === 'get-configuration') {
      data.configurationKey = [{ key: 'MeterValueSampleInterval', readonly: false, value: String(Math.round((this.opts.meterIntervalMs ?? 1000) / 1000)) }];
    }
    if (cmd.type === 'command' && cmd.command === 'unlock') data.status = 'Unlocked';
    this.send({ type: 'command.ack', commandId: cmd.commandId, accepted: true, data });
  }

  /** Ends a port's session: the final reading, session.stopped with its reason, the port idle again. */
  private endSession(port: PortModel, reason: StopReason): void {
    const ended = port.stop(Date.now());
    if (!ended) return;
    if (this.online) {
      this.send({ type: 'meter', portNo: port.portNo, sessionId: ended.sessionId, energyWms: ended.energyWms, powerW: 0, ...electrics(0, this.powerW) });
      this.send({ type: 'session.stopped', portNo: port.portNo, sessionId: ended.sessionId, energyWms: ended.energyWms, reason });
      this.send({ type: 'status', portNo: port.portNo, state: port.state, meter: { energyWms: ended.energyWms, powerW: 0 } });
    }
    this.log(`port ${port.portNo}: session ${ended.sessionId} stopped (${reason}) at ${ended.energyWms} Wms`);
    this.emit('session-stopped', { portNo: port.portNo, sessionId: ended.sessionId, energyWms: ended.energyWms, reason });
  }

  private startMeters(): void {
    clearInterval(this.meterTimer);
    this.meterTimer = setInterval(() => this.meterTick(), this.opts.meterIntervalMs ?? 1000);
  }

  /** Each charging port reports its reading; one that reached its target or a full car stops by itself. */
  meterTick(): void {
    if (!this.online) return;
    const now = Date.now();
    for (const port of this.ports.values()) {
      if (!port.session) continue;
      const due = port.due(now);
      if (due) {
        this.endSession(port, due);
        continue;
      }
      this.send({ type: 'meter', portNo: port.portNo, sessionId: port.session.sessionId, energyWms: port.meter(now), powerW: port.powerW, ...electrics(port.powerW, this.powerW) });
    }
  }

  /** the register now: energy so far plus what the running charge delivered (power x real time) */
  private meter(): number {
    if (!this.charging) return this.energyWms;
    return this.charging.baseWms + this.powerW * (Date.now() - this.charging.sinceMs);
  }

  private meterFields(): { energyWms: number; powerW: number; sessionId?: string } {
    return { energyWms: this.meter(), powerW: this.charging ? this.powerW : 0, ...(this.charging?.sessionId ? { sessionId: this.charging.sessionId } : {}) };
  }

  private finishCharging(): void {
    if (!this.charging) return;
    this.energyWms = this.meter();
    this.charging = undefined;
  }

  private startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    if (this.opts.heartbeats === false) return;
    this.heartbeatTimer = setInterval(() => {
      this.send({ type: 'heartbeat' });
      if (this.charging) this.send({ type: 'meter', ...this.meterFields() });
    }, intervalMs);
  }

  private stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private onClose(): void {
    clearInterval(this.meterTimer);
    const wasOnline = this.online;
    const upMs = this.onlineSinceMs === undefined ? 0 : Date.now() - this.onlineSinceMs;
    this.online = false;
    this.onlineSinceMs = undefined;
    this.link = undefined;
    this.stopHeartbeats();
    if (wasOnline) this.log('offline');
    this.emit('offline');
    if (this.stopped) return;
    // exponential backoff with full jitter, so a restarted bridge is not hit by every pile at once
    const min = this.opts.backoffMinMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 30_000;
    if (wasOnline && upMs >= (this.opts.stableAfterMs ?? 10_000)) this.attempt = 0;
    const attempt = ++this.attempt;
    const delayMs = Math.round(Math.random() * Math.min(max, min * 2 ** (attempt - 1)) + min / 2);
    this.emit('reconnecting', { attempt, delayMs });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }
}

/** Plausible electrics of a reading: DC piles (20 kW and more) at 750 V, AC at 220 V. */
function electrics(powerW: number, ratedW: number): { voltageV: number; currentA: number; temperatureC: number } {
  const voltageV = ratedW >= 20_000 ? 750 : 220;
  return { voltageV, currentA: Math.round((powerW / voltageV) * 10) / 10, temperatureC: Math.round((25 + (15 * powerW) / Math.max(1, ratedW)) * 10) / 10 };
}

function openWs(url: string, onMessage: (t: string) => void, onClose: () => void, onOpen: () => void): Link {
  const ws = new WebSocket(url);
  ws.on('open', onOpen);
  ws.on('message', (data, isBinary) => {
    if (!isBinary) onMessage(data.toString());
  });
  ws.on('close', onClose);
  ws.on('error', () => undefined); // 'close' follows
  return {
    send: (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close: () => ws.close(1000),
  };
}

function openTcp(addr: { host: string; port: number }, onMessage: (t: string) => void, onClose: () => void, onOpen: () => void): Link {
  const socket = net.connect(addr.port, addr.host);
  socket.setNoDelay(true);
  const splitter = new LineSplitter(1_048_576);
  socket.on('connect', onOpen);
  socket.on('data', (chunk) => {
    for (const frame of splitter.push(chunk)) if ('line' in frame) onMessage(frame.line);
  });
  socket.on('close', onClose);
  socket.on('error', () => undefined); // 'close' follows
  return {
    send: (text) => {
      if (socket.writable) socket.write(text + '\n');
    },
    close: () => socket.end(),
  };
}

// A simulated pile speaking the JSON pile protocol over WebSocket or TCP: logs in, heartbeats, reports meter
// values while charging, answers start/stop, reports faults/recoveries on request, reconnects with backoff.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { LineSplitter } from './framing.js';
import type { PileMessage, ServerMessage } from './protocol.js';
import type { SimDoor } from './args.js';

export interface SimPileOptions {
  pileId: string;
  secret: string;
  door: SimDoor;
  wsUrl: string;
  tcp: { host: string; port: number };
  /** charging power; default 30 kW for F* piles, 10 kW otherwise */
  powerW?: number;
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
  readonly powerW: number;

  constructor(private readonly opts: SimPileOptions) {
    super();
    this.powerW = opts.powerW ?? (/-F\d*$/.test(opts.pileId) ? 30_000 : 10_000);
  }

  get pileId(): string {
    return this.opts.pileId;
  }

  private log(text: string): void {
    this.opts.log?.(`${this.opts.pileId} [${this.opts.door}] ${text}`);
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

  /** Sends raw text as one message (tests: malformed input). */
  sendRaw(text: string): void {
    this.link?.send(text);
  }

  fault(reason = 'simulated fault'): void {
    this.faulted = true;
    this.finishCharging();
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
    this.link?.send(JSON.stringify({ type: 'login', id: 'login', pileId: this.opts.pileId, secret: this.opts.secret }));
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
    switch (msg.type) {
      case 'login.ok': {
        const ok = msg as Extract<ServerMessage, { type: 'login.ok' }>;
        this.online = true;
        // the backoff is reset only once the connection proves stable (onClose): a login that is closed right away
        // again is a flap, and flaps must keep backing off
        this.onlineSinceMs = Date.now();
        this.log(`online (heartbeat every ${ok.heartbeatIntervalMs} ms${ok.faulted ? ', still faulted' : ''})`);
        this.startHeartbeats(ok.heartbeatIntervalMs);
        // tell the bridge where we are after a reconnect
        this.send({ type: 'status', state: this.charging ? 'charging' : 'idle', meter: { energyWms: this.meter() } });
        if (this.faulted && !ok.faulted) this.send({ type: 'fault', reason: 'fault persists after reconnect', errorCode: 'SIMULATED' });
        if (!this.faulted && ok.faulted) this.send({ type: 'recovered' });
        this.emit('online', ok);
        return;
      }
      case 'start':
      case 'stop':
        this.onCommand(msg as Extract<ServerMessage, { type: 'start' | 'stop' }>);
        return;
      case 'error': {
        const err = msg as Extract<ServerMessage, { type: 'error' }>;
        this.log(`error ${err.code}: ${err.message}`);
        if (err.code === 'AUTH_FAILED') {
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

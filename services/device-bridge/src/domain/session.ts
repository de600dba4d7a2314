// One pile connection's protocol state machine: pure (no I/O, time passed in). It turns incoming text into
// effects; the hub (hub.ts) executes them (authentication, Redis, events) and sends the answers, so an answer
// to a pile always means the effect was stored.
import type { PileCommand } from '@voltq/contracts';
import { parsePileMessage, type CommandFields, type Meter, type PileErrorCode, type PileState, type ServerMessage } from '@voltq/pile-sim/protocol';

export type Door = 'ws' | 'tcp';

export interface PileIdentity {
  pileId: string;
  stationId: string;
  pileNo: string;
}

/** Why a connection ended; also the `reason` of `device.pile-offline`. */
export type CloseReason =
  | 'logout'
  | 'connection-closed'
  | 'heartbeat-timeout'
  | 'login-timeout'
  | 'auth-failed'
  | 'replaced'
  | 'shutdown';

export type Effect =
  | { kind: 'send'; msg: ServerMessage }
  | { kind: 'authenticate'; pileId: string; secret: string; id?: string }
  | { kind: 'heartbeat'; id?: string }
  | { kind: 'status'; state: PileState; meter?: Meter; id?: string }
  | { kind: 'meter'; meter: Meter; id?: string }
  | { kind: 'fault'; reason: string; errorCode?: string; id?: string }
  | { kind: 'recovered'; id?: string }
  | { kind: 'command-ack'; commandId: string; accepted: boolean; reason?: string; id?: string }
  | { kind: 'logout'; reason?: string; id?: string }
  | { kind: 'close'; reason: CloseReason };

export type Phase = 'connected' | 'authenticating' | 'online' | 'closed';

export interface SessionOptions {
  heartbeatIntervalMs: number;
  /** missed intervals before the pile counts as lost */
  heartbeatMisses: number;
  loginTimeoutMs: number;
}

function error(code: PileErrorCode, message: string, id?: string, details?: unknown): Effect {
  const msg: ServerMessage = { type: 'error', code, message };
  if (id !== undefined) msg.id = id;
  if (details !== undefined) msg.details = details;
  return { kind: 'send', msg };
}

export class PileSession {
  phase: Phase = 'connected';
  identity: PileIdentity | undefined;
  private lastSeenMs: number;
  private readonly openedMs: number;

  constructor(
    readonly door: Door,
    private readonly opts: SessionOptions,
    nowMs: number,
  ) {
    this.openedMs = nowMs;
    this.lastSeenMs = nowMs;
  }

  /** Silence longer than this means the pile is lost. */
  get livenessMs(): number {
    return this.opts.heartbeatIntervalMs * this.opts.heartbeatMisses;
  }

  /** One message from the pile. Bad input yields an error answer and nothing else. */
  receive(text: string, nowMs: number): Effect[] {
    if (this.phase === 'closed') return [];
    const parsed = parsePileMessage(text);
    if (!parsed.ok) return [error(parsed.code, parsed.message, parsed.id, parsed.details)];
    const msg = parsed.msg;

    if (this.phase !== 'online') {
      if (msg.type !== 'login') return [error('NOT_LOGGED_IN', `log in first: "${msg.type}" refused before login`, msg.id)];
      if (this.phase === 'authenticating') return [error('ALREADY_LOGGED_IN', 'a login is already in progress', msg.id)];
      this.phase = 'authenticating';
      return [{ kind: 'authenticate', pileId: msg.pileId, secret: msg.secret, ...(msg.id ? { id: msg.id } : {}) }];
    }

    // any valid message proves the pile is alive (as in OCPP); heartbeats exist for quiet periods
    this.lastSeenMs = nowMs;
    const id = msg.id ? { id: msg.id } : {};
    switch (msg.type) {
      case 'login':
        return [error('ALREADY_LOGGED_IN', `already logged in as ${this.identity!.pileId}`, msg.id)];
      case 'heartbeat':
        return [{ kind: 'heartbeat', ...id }];
      case 'status':
        return [{ kind: 'status', state: msg.state, ...(msg.meter ? { meter: msg.meter } : {}), ...id }];
      case 'meter': {
        const meter: Meter = { energyWms: msg.energyWms };
        if (msg.powerW !== undefined) meter.powerW = msg.powerW;
        if (msg.sessionId !== undefined) meter.sessionId = msg.sessionId;
        return [{ kind: 'meter', meter, ...id }];
      }
      case 'fault':
        return [{ kind: 'fault', reason: msg.reason, ...(msg.errorCode ? { errorCode: msg.errorCode } : {}), ...id }];
      case 'recovered':
        return [{ kind: 'recovered', ...id }];
      case 'command.ack':
        return [
          {
            kind: 'command-ack',
            commandId: msg.commandId,
            accepted: msg.accepted,
            ...(msg.reason !== undefined ? { reason: msg.reason } : {}),
            ...id,
          },
        ];
      case 'logout':
        this.phase = 'closed';
        return [{ kind: 'logout', ...(msg.reason ? { reason: msg.reason } : {}), ...id }, { kind: 'close', reason: 'logout' }];
    }
  }

  /** The credentials were good: the pile is online from now on. */
  loginAccepted(identity: PileIdentity, nowMs: number): Effect[] {
    if (this.phase !== 'authenticating') return [];
    this.phase = 'online';
    this.identity = identity;
    this.lastSeenMs = nowMs;
    return [];
  }

  /** Unknown pile or wrong secret: one answer for both (do not reveal which piles exist), then close. */
  loginRefused(id?: string): Effect[] {
    if (this.phase !== 'authenticating') return [];
    this.phase = 'closed';
    return [error('AUTH_FAILED', 'unknown pile or wrong secret', id), { kind: 'close', reason: 'auth-failed' }];
  }

  /** The bridge could not check the login (store down): the pile may retry. */
  loginUnavailable(id?: string): Effect[] {
    if (this.phase !== 'authenticating') return [];
    this.phase = 'closed';
    return [error('UNAVAILABLE', 'the bridge cannot check logins right now; retry later', id), { kind: 'close', reason: 'shutdown' }];
  }

  /** Periodic check: login and heartbeat deadlines. */
  tick(nowMs: number): Effect[] {
    if ((this.phase === 'connected' || this.phase === 'authenticating') && nowMs - this.openedMs > this.opts.loginTimeoutMs) {
      this.phase = 'closed';
      return [error('LOGIN_TIMEOUT', `no login within ${this.opts.loginTimeoutMs} ms`), { kind: 'close', reason: 'login-timeout' }];
    }
    if (this.phase === 'online' && nowMs - this.lastSeenMs > this.livenessMs) {
      this.phase = 'closed';
      return [
        error('HEARTBEAT_TIMEOUT', `no heartbeat for ${nowMs - this.lastSeenMs} ms (limit ${this.livenessMs} ms)`),
        { kind: 'close', reason: 'heartbeat-timeout' },
      ];
    }
    return [];
  }

  /** A start/stop command for this pile; undefined when the pile is not online on this connection. */
  command(cmd: PileCommand): Effect[] | undefined {
    if (this.phase !== 'online') return undefined;
    const msg: ServerMessage & CommandFields = { type: cmd.action, commandId: cmd.commandId };
    if (cmd.sessionId !== undefined) msg.sessionId = cmd.sessionId;
    if (cmd.orderId !== undefined) msg.orderId = cmd.orderId;
    if (cmd.powerW !== undefined) msg.powerW = cmd.powerW;
    if (cmd.targetEnergyWms !== undefined) msg.targetEnergyWms = cmd.targetEnergyWms;
    return [{ kind: 'send', msg }];
  }

  /** Another connection logged in as this pile. */
  replaced(): Effect[] {
    if (this.phase === 'closed') return [];
    this.phase = 'closed';
    return [error('REPLACED', 'this pile logged in on another connection'), { kind: 'close', reason: 'replaced' }];
  }

  /** The pile's registration lapsed (it counts as offline already): end the connection; the pile logs in again. */
  lost(): Effect[] {
    if (this.phase === 'closed') return [];
    this.phase = 'closed';
    return [error('HEARTBEAT_TIMEOUT', 'the registration of this pile expired; log in again'), { kind: 'close', reason: 'heartbeat-timeout' }];
  }

  /** The bridge is stopping. */
  shutdown(): Effect[] {
    if (this.phase === 'closed') return [];
    this.phase = 'closed';
    return [error('UNAVAILABLE', 'the bridge is restarting; reconnect'), { kind: 'close', reason: 'shutdown' }];
  }

  /** The transport went away (peer closed, network error). */
  transportClosed(): void {
    this.phase = 'closed';
  }
}

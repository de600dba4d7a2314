// One pile connection's protocol state machine: pure (no I/O, time passed in). It turns incoming text into
// effects; the hub (hub.ts) executes them (authentication, Redis, events) and sends the answers, so an answer
// to a pile always means the effect was stored.
import type { DeviceControl, PileCommand } from '@voltq/contracts';
import {
  parsePileMessage, PILE_STATES, type CommandFields, type Meter, type PileErrorCode, type PileState, type PortState, type ServerMessage, type StopReason,
} from '@voltq/pile-sim/protocol';

export type Door = 'ws' | 'tcp';

export interface PileIdentity {
  pileId: string;
  stationId: string;
  pileNo: string;
  /** the login id, carried on every event so consumers can name the device (`deviceId` of the contracts) */
  deviceId?: string;
}

/** What the login found besides the identity events carry: the device's id and its number of ports. */
export interface DeviceInfo {
  deviceId: string;
  ports: number;
}

/** A port's reading beyond the register (a `meter` with `portNo`). */
export interface PortReading {
  energyWms: number;
  powerW?: number;
  sessionId?: string;
  voltageV?: number;
  currentA?: number;
  temperatureC?: number;
}

/** Why a connection ended; also the `reason` of `device.pile-offline`. */
export type CloseReason =
  | 'logout'
  | 'connection-closed'
  | 'heartbeat-timeout'
  | 'login-timeout'
  | 'auth-failed'
  | 'replaced'
  | 'removed'
  | 'shutdown';

export type Effect =
  | { kind: 'send'; msg: ServerMessage }
  | { kind: 'authenticate'; pileId: string; secret: string; id?: string }
  | { kind: 'heartbeat'; id?: string }
  | { kind: 'status'; state: PileState; meter?: Meter; id?: string }
  | { kind: 'port-status'; portNo: number; state: PortState; meter?: Meter; id?: string }
  | { kind: 'meter'; meter: Meter; id?: string }
  | { kind: 'port-meter'; portNo: number; reading: PortReading; id?: string }
  | { kind: 'card-start'; portNo: number; cardId: string; energyWms: number; id?: string }
  | { kind: 'session-stopped'; portNo: number; sessionId: string; energyWms: number; reason: StopReason; id?: string }
  | { kind: 'fault'; reason: string; errorCode?: string; id?: string }
  | { kind: 'recovered'; id?: string }
  | { kind: 'command-ack'; commandId: string; accepted: boolean; reason?: string; meterWms?: number; data?: Record<string, unknown>; id?: string }
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
  device: DeviceInfo | undefined;
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
      // a registered device logs in with its device id; a seeded queue pile with its pile id (the same thing)
      const loginId = msg.deviceId ?? msg.pileId;
      if (loginId === undefined) return [error('INVALID', 'invalid login message: deviceId (or pileId) is required', msg.id)];
      this.phase = 'authenticating';
      return [{ kind: 'authenticate', pileId: loginId, secret: msg.secret, ...(msg.id ? { id: msg.id } : {}) }];
    }

    // any valid message proves the pile is alive (as in OCPP); heartbeats exist for quiet periods
    this.lastSeenMs = nowMs;
    const id = msg.id ? { id: msg.id } : {};
    switch (msg.type) {
      case 'login':
        return [error('ALREADY_LOGGED_IN', `already logged in as ${this.identity!.pileId}`, msg.id)];
      case 'heartbeat':
        return [{ kind: 'heartbeat', ...id }];
      case 'status': {
        const meter = msg.meter ? { meter: msg.meter } : {};
        if (msg.portNo !== undefined) {
          const bad = this.badPort(msg.portNo, msg.id);
          return bad ?? [{ kind: 'port-status', portNo: msg.portNo, state: msg.state, ...meter, ...id }];
        }
        // the whole pile keeps the states it always had
        if (!(PILE_STATES as readonly string[]).includes(msg.state)) {
          return [error('INVALID', `invalid status message: /state: "${msg.state}" is a port state; name the port (portNo) or use one of ${PILE_STATES.join(', ')}`, msg.id)];
        }
        return [{ kind: 'status', state: msg.state as PileState, ...meter, ...id }];
      }
      case 'meter': {
        if (msg.portNo !== undefined) {
          const bad = this.badPort(msg.portNo, msg.id);
          if (bad) return bad;
          const reading: PortReading = { energyWms: msg.energyWms };
          if (msg.powerW !== undefined) reading.powerW = msg.powerW;
          if (msg.sessionId !== undefined) reading.sessionId = msg.sessionId;
          if (msg.voltageV !== undefined) reading.voltageV = msg.voltageV;
          if (msg.currentA !== undefined) reading.currentA = msg.currentA;
          if (msg.temperatureC !== undefined) reading.temperatureC = msg.temperatureC;
          return [{ kind: 'port-meter', portNo: msg.portNo, reading, ...id }];
        }
        const meter: Meter = { energyWms: msg.energyWms };
        if (msg.powerW !== undefined) meter.powerW = msg.powerW;
        if (msg.sessionId !== undefined) meter.sessionId = msg.sessionId;
        return [{ kind: 'meter', meter, ...id }];
      }
      case 'card.start':
        return this.badPort(msg.portNo, msg.id) ?? [{ kind: 'card-start', portNo: msg.portNo, cardId: msg.cardId, energyWms: msg.energyWms, ...id }];
      case 'session.stopped':
        return this.badPort(msg.portNo, msg.id) ?? [{ kind: 'session-stopped', portNo: msg.portNo, sessionId: msg.sessionId, energyWms: msg.energyWms, reason: msg.reason, ...id }];
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
            ...(msg.meterWms !== undefined ? { meterWms: msg.meterWms } : {}),
            ...(msg.data !== undefined ? { data: msg.data } : {}),
            ...id,
          },
        ];
      case 'logout':
        this.phase = 'closed';
        return [{ kind: 'logout', ...(msg.reason ? { reason: msg.reason } : {}), ...id }, { kind: 'close', reason: 'logout' }];
    }
  }

  /** A port the device does not have is refused (answered INVALID, nothing stored). */
  private badPort(portNo: number, id?: string): Effect[] | undefined {
    const ports = this.device?.ports ?? 1;
    return portNo <= ports ? undefined : [error('INVALID', `port ${portNo} does not exist: this pile has ${ports} port${ports === 1 ? '' : 's'}`, id)];
  }

  /** The credentials were good: the pile is online from now on. */
  loginAccepted(identity: PileIdentity, nowMs: number, device?: DeviceInfo): Effect[] {
    if (this.phase !== 'authenticating') return [];
    this.phase = 'online';
    this.identity = identity;
    this.device = device ?? { deviceId: identity.pileId, ports: 1 };
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
    if (cmd.portNo !== undefined) msg.portNo = cmd.portNo;
    if (cmd.sessionId !== undefined) msg.sessionId = cmd.sessionId;
    if (cmd.orderId !== undefined) msg.orderId = cmd.orderId;
    if (cmd.powerW !== undefined) msg.powerW = cmd.powerW;
    if (cmd.targetEnergyWms !== undefined) msg.targetEnergyWms = cmd.targetEnergyWms;
    return [{ kind: 'send', msg }];
  }

  /** A command of device.command (DESIGN "Devices"); undefined when the pile is not online on this connection. */
  control(commandId: string, control: DeviceControl): Effect[] | undefined {
    if (this.phase !== 'online') return undefined;
    return [{ kind: 'send', msg: controlMessage(commandId, control) }];
  }

  /** The device was removed from the registry: end the connection (the pile must not reconnect). */
  removed(): Effect[] {
    if (this.phase === 'closed') return [];
    this.phase = 'closed';
    return [error('REMOVED', 'this device was removed from the registry'), { kind: 'close', reason: 'removed' }];
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

/** The pile message of a device.command: start/stop carry the port; config its bytes; the rest is `command`. */
export function controlMessage(commandId: string, control: DeviceControl): ServerMessage {
  switch (control.command) {
    case 'start': {
      const msg: ServerMessage & CommandFields = { type: 'start', commandId, portNo: control.portNo, sessionId: control.sessionId };
      if (control.orderId !== undefined) msg.orderId = control.orderId;
      if (control.idTag !== undefined) msg.idTag = control.idTag;
      if (control.targetEnergyWms !== undefined) msg.targetEnergyWms = control.targetEnergyWms;
      return msg;
    }
    case 'stop':
      return { type: 'stop', commandId, portNo: control.portNo, sessionId: control.sessionId };
    case 'config':
      return { type: 'config', commandId, config: control.config };
    default: {
      // the operator command's own `type` (reset Soft/Hard, availability Operative/Inoperative) travels as `kind`:
      // `type` names the message
      const { command, ...fields } = control;
      const { type: kind, ...rest } = fields as Record<string, unknown>;
      return { type: 'command', commandId, command, ...rest, ...(kind !== undefined ? { kind } : {}) };
    }
  }
}

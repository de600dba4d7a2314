// The replica's pile connections: runs each connection's PileSession, executes its effects (authentication, Redis
// presence + outbox events, device log) and answers the pile. Transports (doors/*) only frame messages.
import { randomUUID } from 'node:crypto';
import type { DeviceControl, Envelope, MessagePayload, MessageType, PileCommand } from '@voltq/contracts';
import type { Logger } from '@voltq/kit';
import type { Authenticated, DeviceLogKind } from './store/devices.js';
import type { Presence } from './store/presence.js';
import { encode, type PileErrorCode, type ServerMessage } from '@voltq/pile-sim/protocol';
import type { BridgeMetrics, InboundResult, PileProtocol } from './metrics.js';
import { PileSession, type CloseReason, type Door, type Effect, type PileIdentity, type SessionOptions } from './domain/session.js';

export interface Transport {
  door: Door;
  /** peer address, for logs */
  remote: string;
  send(text: string): void;
  /** flush what was sent, then close */
  close(): void;
}

export interface DeviceLogEntry {
  pileId: string;
  kind: DeviceLogKind;
  atMs: number;
  door?: Door | 'ocpp';
  detail?: Record<string, unknown>;
}

export interface HubDeps {
  replicaId: string;
  log: Logger;
  /** clock time (events, telemetry) */
  clockNow(): number;
  clockIso(ms?: number): string;
  /** real time for liveness: a manual or scaled clock must not decide whether a socket is alive */
  realNow(): number;
  /** the login id is the device id (a seeded queue pile's is its pile id) */
  authenticate(deviceId: string, secret: string): Promise<Authenticated | undefined>;
  /** the user holding a card (auth.cardOwner); undefined when no user does; throws when it cannot tell now */
  cardOwner(cardId: string): Promise<string | undefined>;
  presence: Presence;
  envelope<K extends MessageType>(type: K, payload: MessagePayload<K>): Envelope<K>;
  deviceLog(entry: DeviceLogEntry): void;
  session: SessionOptions;
  metrics?: BridgeMetrics;
  /** the admission limit (domain/admission.ts): whether a new connection may come in now; unset = always */
  admit?: () => boolean;
}

/** One accepted connection, as seen by its door. */
export interface Connection {
  receive(text: string): void;
  /** a framing problem (too long, binary): answer with an error, change nothing */
  refuse(code: PileErrorCode, message: string): void;
  /** the transport closed */
  closed(): void;
}

class Conn implements Connection {
  readonly session: PileSession;
  /** effects run one message at a time, in order */
  private chain: Promise<void> = Promise.resolve();
  finished = false;
  /** set when a newer connection of the same pile took over on this replica */
  superseded = false;
  /** the peer is gone; queued messages are still handled, answers go nowhere */
  transportGone = false;
  /** commands sent on this connection, by command id (the ack names only the id); oldest dropped first */
  readonly sent = new Map<string, PileCommand>();
  /** device.command calls waiting for the pile's answer, by command id */
  readonly waiting = new Map<string, { control: DeviceControl; resolve: (o: ControlOutcome) => void }>();
  /** device.commands sent on this connection (a late answer is still theirs, not a pile.command's); oldest dropped */
  readonly controls = new Map<string, DeviceControl>();

  constructor(
    private readonly hub: PileHub,
    readonly transport: Transport,
    opts: SessionOptions,
    nowMs: number,
  ) {
    this.session = new PileSession(transport.door, opts, nowMs);
  }

  enqueue(work: () => Effect[] | Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.finished) return;
      const effects = await work();
      if (effects) await this.hub.run(this, effects);
    });
  }

  receive(text: string): void {
    this.enqueue(async () => {
      const startedMs = performance.now();
      const effects = this.session.receive(text, this.hub.deps.realNow());
      const ok = await this.hub.run(this, effects);
      // the action is the kind of what the session made of the message (an allow-list), never the pile's own words
      const first = effects[0];
      const refused = !first || (first.kind === 'send' && first.msg.type === 'error');
      const action = refused ? 'invalid' : first.kind === 'authenticate' ? 'login' : first.kind;
      const result: InboundResult = !ok ? 'error' : refused ? 'refused' : 'ok';
      this.hub.deps.metrics?.inbound(this.transport.door, action, result, (performance.now() - startedMs) / 1000);
    });
  }

  refuse(code: PileErrorCode, message: string): void {
    this.enqueue(() => [{ kind: 'send', msg: { type: 'error', code, message } }]);
  }

  closed(): void {
    this.transportGone = true;
    // after the messages that arrived before the close (e.g. a logout) were handled
    this.chain = this.chain.then(() => this.hub.finish(this, 'connection-closed'));
  }

  get idle(): Promise<void> {
    return this.chain;
  }
}

/**
 * A pile connection of a door that runs its own protocol (OCPP 1.6J, ocpp-connection.ts): the hub only keeps it in
 * the registry of who holds which pile and routes device.command, removal, replacement and shutdown to it, the seam
 * a JSON connection sits behind too.
 */
export interface HeldConnection {
  readonly door: 'ocpp';
  readonly identity: PileIdentity & { deviceId: string };
  /** sends a device.command and waits (real time) for the pile's answer */
  control(commandId: string, control: DeviceControl, timeoutMs: number): Promise<ControlOutcome>;
  /** ends the connection; the hub announces the offline (or not) through `release` */
  end(reason: 'replaced' | 'removed' | 'shutdown'): Promise<void>;
}

/** `device.pile-online`'s protocol of a door */
const protocolOf = (door: Door | 'ocpp'): PileProtocol => (door === 'ocpp' ? 'ocpp1.6' : door);

/** How a device.command sent to a pile held here ended. */
export type ControlOutcome =
  | { kind: 'offline' }
  | { kind: 'timeout' }
  | { kind: 'ack'; accepted: boolean; reason?: string; meterWms?: number; data?: Record<string, unknown>; atMs: number };

export class PileHub {
  private readonly conns = new Set<Conn>();
  /** pileId -> the connection currently holding that pile on this replica (JSON doors' or another protocol's) */
  private readonly piles = new Map<string, Conn | HeldConnection>();
  private tickTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(readonly deps: HubDeps) {}

  get onlinePiles(): string[] {
    return [...this.piles.keys()];
  }

  /**
   * A new connection on a door, before anything else (authentication is the expensive part): false = over the
   * admission limit, the door refuses it in its protocol's way. Connections already in never come here again.
   */
  admit(protocol: PileProtocol): boolean {
    if (this.deps.admit?.() ?? true) return true;
    this.deps.metrics?.admissionRefused(protocol);
    return false;
  }

  /** The protocol of the connection holding the pile here (logged in), if any. */
  protocolHolding(pileId: string): PileProtocol | undefined {
    const held = this.piles.get(pileId);
    if (!held || !this.holds(pileId)) return undefined;
    return held instanceof Conn ? held.transport.door : protocolOf(held.door);
  }

  /** Piles held here (logged in), by protocol. */
  heldByProtocol(): Record<PileProtocol, number> {
    const counts: Record<PileProtocol, number> = { 'ocpp1.6': 0, ws: 0, tcp: 0 };
    for (const pileId of this.piles.keys()) {
      const protocol = this.protocolHolding(pileId);
      if (protocol) counts[protocol]++;
    }
    return counts;
  }

  connect(transport: Transport): Connection {
    const conn = new Conn(this, transport, this.deps.session, this.deps.realNow());
    if (this.stopping) conn.enqueue(() => conn.session.shutdown());
    this.conns.add(conn);
    return conn;
  }

  /** Starts the liveness checks: own connections often, orphaned piles of dead replicas once per interval. */
  start(): void {
    const { heartbeatIntervalMs } = this.deps.session;
    const tickMs = Math.min(1000, Math.max(50, Math.floor(heartbeatIntervalMs / 4)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    this.sweepTimer = setInterval(() => void this.sweep(), Math.max(200, heartbeatIntervalMs));
    this.tickTimer.unref();
    this.sweepTimer.unref();
  }

  private tick(): void {
    const now = this.deps.realNow();
    for (const conn of this.conns) {
      if (conn.finished) continue;
      const effects = conn.session.tick(now);
      if (effects.length) conn.enqueue(() => effects);
    }
  }

  /** Piles still marked online whose registration expired (their replica died): publish their offline. */
  async sweep(): Promise<number> {
    let n = 0;
    try {
      for (const orphan of await this.deps.presence.orphans()) {
        const atMs = this.deps.clockNow();
        const event = this.deps.envelope('device.pile-offline', {
          pileId: orphan.pileId,
          ...identityParts(orphan.pileId),
          replicaId: orphan.lastReplicaId,
          reason: 'heartbeat-timeout',
          at: atMs,
        });
        if (await this.deps.presence.offline(orphan.pileId, undefined, atMs, 'heartbeat-timeout', event)) {
          n++;
          this.deps.log.warn({ pileId: orphan.pileId, lastReplicaId: orphan.lastReplicaId }, 'pile lost with its replica: offline');
          this.deps.deviceLog({ pileId: orphan.pileId, kind: 'offline', atMs, detail: { reason: 'heartbeat-timeout', sweptFrom: orphan.lastReplicaId } });
        }
      }
    } catch (err) {
      this.deps.log.error({ err }, 'orphan sweep failed');
    }
    return n;
  }

  /** Sends a start/stop command to a pile held here; false when this replica does not hold the pile. */
  deliver(cmd: PileCommand): boolean {
    const held = this.piles.get(cmd.pileId);
    // pile.command (queue stations' start/stop) is not translated for OCPP yet: answered command-failed by the router
    const conn = held instanceof Conn ? held : undefined;
    const effects = conn?.session.command(cmd);
    if (!conn || !effects) return false;
    conn.sent.delete(cmd.commandId);
    conn.sent.set(cmd.commandId, cmd);
    if (conn.sent.size > 100) conn.sent.delete(conn.sent.keys().next().value!);
    conn.enqueue(() => effects);
    this.deps.deviceLog({
      pileId: cmd.pileId,
      kind: 'command',
      atMs: this.deps.clockNow(),
      door: conn.transport.door,
      detail: { commandId: cmd.commandId, action: cmd.action, ...(cmd.sessionId ? { sessionId: cmd.sessionId } : {}) },
    });
    return true;
  }

  /** Whether this replica holds the pile's connection. */
  holds(pileId: string): boolean {
    const held = this.piles.get(pileId);
    return held instanceof Conn ? held.session.phase === 'online' : held !== undefined;
  }

  /**
   * Sends a device.command to a pile held here and waits (real time) for its `command.ack`; the answer is stored
   * (a start's session on the port) before this resolves. 'offline' at once when the pile is not held here, or when
   * its connection ends meanwhile.
   */
  control(pileId: string, commandId: string, control: DeviceControl, timeoutMs: number): Promise<ControlOutcome> {
    const held = this.piles.get(pileId);
    if (held && !(held instanceof Conn)) return held.control(commandId, control, timeoutMs);
    const conn = held;
    const effects = conn?.session.control(commandId, control);
    if (!conn || !effects) return Promise.resolve({ kind: 'offline' });
    return new Promise<ControlOutcome>((resolve) => {
      const timer = setTimeout(() => {
        conn.waiting.delete(commandId);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      conn.waiting.set(commandId, {
        control,
        resolve: (o) => {
          clearTimeout(timer);
          conn.waiting.delete(commandId);
          resolve(o);
        },
      });
      conn.controls.set(commandId, control);
      if (conn.controls.size > 100) conn.controls.delete(conn.controls.keys().next().value!);
      conn.enqueue(() => effects);
      this.deps.deviceLog({
        pileId,
        kind: 'command',
        atMs: this.deps.clockNow(),
        door: conn.transport.door,
        detail: { commandId, command: control.command, ...('portNo' in control ? { portNo: control.portNo } : {}) },
      });
    });
  }

  /** Closes the connection of a removed device held here (device.disconnect); false when none is. */
  async disconnect(deviceId: string): Promise<boolean> {
    for (const conn of this.piles.values()) {
      if (!(conn instanceof Conn)) {
        if (conn.identity.deviceId !== deviceId) continue;
        await conn.end('removed');
        return true;
      }
      if (conn.session.device?.deviceId !== deviceId || conn.superseded) continue;
      const effects = conn.session.removed();
      conn.enqueue(() => effects);
      await conn.idle;
      return true;
    }
    return false;
  }

  /** Graceful stop: tell every pile to reconnect (to another replica). No offline events: the registrations
   *  lapse by TTL, and a pile that does not come back is swept by a surviving replica. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.tickTimer);
    clearInterval(this.sweepTimer);
    for (const conn of this.conns) conn.enqueue(() => conn.session.shutdown());
    const others = [...this.piles.values()].filter((c): c is HeldConnection => !(c instanceof Conn));
    await Promise.allSettled([...[...this.conns].map((c) => c.idle), ...others.map((c) => c.end('shutdown'))]);
  }

  // ---------- effects ----------

  /** false when an effect failed (the pile was told UNAVAILABLE) */
  async run(conn: Conn, effects: Effect[]): Promise<boolean> {
    let ok = true;
    for (const effect of effects) {
      if (conn.finished) return ok;
      try {
        await this.exec(conn, effect);
      } catch (err) {
        ok = false;
        this.deps.log.error({ err, pileId: conn.session.identity?.pileId, effect: effect.kind }, 'pile message failed');
        this.send(conn, { type: 'error', code: 'UNAVAILABLE', message: 'the bridge could not store this message; retry', ...idOf(effect) });
      }
    }
    return ok;
  }

  private send(conn: Conn, msg: ServerMessage): void {
    if (!conn.finished && !conn.transportGone) conn.transport.send(encode(msg));
  }

  private ack(conn: Conn, effect: Effect & { id?: string }, forType: ServerMessage & { type: 'ack' }): void {
    this.send(conn, effect.id !== undefined ? { ...forType, id: effect.id } : forType);
  }

  private async exec(conn: Conn, effect: Effect): Promise<void> {
    const { deps } = this;
    const identity = conn.session.identity;
    switch (effect.kind) {
      case 'send':
        this.send(conn, effect.msg);
        return;
      case 'close':
        await this.finish(conn, effect.reason);
        return;
      case 'authenticate':
        await this.login(conn, effect.pileId, effect.secret, effect.id);
        return;
    }
    // everything below happens on an online session
    if (!identity) return;
    const pileId = identity.pileId;
    const atMs = deps.clockNow();
    if (effect.kind !== 'logout') {
      const touched = await deps.presence.touch(pileId, atMs, effect.kind === 'heartbeat');
      if (touched !== 'ok') {
        await this.run(conn, touched === 'taken' ? conn.session.replaced() : conn.session.lost());
        return;
      }
    }
    switch (effect.kind) {
      case 'heartbeat':
        this.send(conn, { type: 'heartbeat.ok', ...(effect.id ? { id: effect.id } : {}), serverTime: deps.clockIso(atMs) });
        return;
      case 'status':
        await deps.presence.recordStatus(pileId, effect.state, atMs, effect.meter);
        this.ack(conn, effect, { type: 'ack', for: 'status' });
        return;
      case 'meter':
        await deps.presence.recordMeter(pileId, effect.meter, atMs);
        this.ack(conn, effect, { type: 'ack', for: 'meter' });
        return;
      case 'port-status':
        await deps.presence.recordPortStatus(pileId, effect.portNo, effect.state, atMs, effect.meter);
        this.ack(conn, effect, { type: 'ack', for: 'status' });
        return;
      case 'port-meter': {
        // the reading belongs to the port's session (the one the pile names, else the one the bridge knows)
        const sessionId = effect.reading.sessionId ?? (await deps.presence.portSession(pileId, effect.portNo)).sessionId;
        const { energyWms, sessionId: _named, ...figures } = effect.reading;
        const event = deps.envelope('device.meter', {
          ...identity,
          portNo: effect.portNo,
          ...(sessionId ? { sessionId } : {}),
          meterWms: energyWms,
          ...figures,
          at: atMs,
        });
        await deps.presence.recordPortMeter(pileId, effect.portNo, effect.reading, atMs, event);
        this.ack(conn, effect, { type: 'ack', for: 'meter' });
        return;
      }
      case 'card-start':
        await this.cardStart(conn, effect, atMs);
        return;
      case 'session-stopped': {
        const event = deps.envelope('device.session-stopped', {
          ...identity,
          portNo: effect.portNo,
          sessionId: effect.sessionId,
          meterStopWms: effect.energyWms,
          reason: effect.reason,
          at: atMs,
        });
        const stopped = await deps.presence.stopPortSession(pileId, effect.portNo, effect.sessionId, effect.energyWms, atMs, event);
        if (stopped) {
          deps.log.info({ pileId, portNo: effect.portNo, sessionId: effect.sessionId, reason: effect.reason }, 'port session stopped');
          deps.deviceLog({ pileId, kind: 'session-stopped', atMs, door: conn.transport.door, detail: { portNo: effect.portNo, sessionId: effect.sessionId, reason: effect.reason, meterStopWms: effect.energyWms } });
        }
        this.ack(conn, effect, { type: 'ack', for: 'session.stopped', ...(stopped ? {} : { duplicate: true }) });
        return;
      }
      case 'fault': {
        const event = deps.envelope('device.pile-fault', {
          ...identity,
          info: effect.reason,
          ...(effect.errorCode ? { errorCode: effect.errorCode } : {}),
          at: atMs,
        });
        const changed = await deps.presence.setFault(pileId, true, atMs, effect.reason, event);
        if (changed) {
          deps.log.warn({ pileId, reason: effect.reason, errorCode: effect.errorCode }, 'pile fault reported');
          deps.deviceLog({ pileId, kind: 'fault', atMs, door: conn.transport.door, detail: { reason: effect.reason, errorCode: effect.errorCode } });
        }
        // a repeated report (e.g. a retry after a lost ack) is acknowledged again and announced only once
        this.ack(conn, effect, { type: 'ack', for: 'fault', ...(changed ? {} : { duplicate: true }) });
        return;
      }
      case 'recovered': {
        const event = deps.envelope('device.pile-recovered', { ...identity, at: atMs });
        const changed = await deps.presence.setFault(pileId, false, atMs, '', event);
        if (changed) {
          deps.log.info({ pileId }, 'pile recovered');
          deps.deviceLog({ pileId, kind: 'recovery', atMs, door: conn.transport.door });
        }
        this.ack(conn, effect, { type: 'ack', for: 'recovered', ...(changed ? {} : { duplicate: true }) });
        return;
      }
      case 'command-ack': {
        const waiter = conn.waiting.get(effect.commandId);
        const control = waiter?.control ?? conn.controls.get(effect.commandId);
        const cmd = control ? undefined : conn.sent.get(effect.commandId);
        // an accepted start: the port's session from the register the pile answered with (also when the answer came
        // after the caller stopped waiting: the pile does charge)
        const start = control?.command === 'start'
          ? { portNo: control.portNo, sessionId: control.sessionId, orderId: control.orderId, cardId: control.idTag }
          : cmd?.action === 'start' && cmd.sessionId ? { portNo: cmd.portNo ?? 1, sessionId: cmd.sessionId, orderId: cmd.orderId, cardId: undefined } : undefined;
        if (start && effect.accepted) {
          const startWms = effect.meterWms ?? (await deps.presence.portSession(pileId, start.portNo)).startWms ?? 0;
          await deps.presence.startPortSession(pileId, start.portNo, {
            sessionId: start.sessionId,
            startWms,
            ...(start.orderId ? { orderId: start.orderId } : {}),
            ...(start.cardId ? { cardId: start.cardId } : {}),
          }, atMs);
        }
        if (waiter) {
          // a device.command: its caller gets the answer (no event: the RPC is the answer)
          waiter.resolve({
            kind: 'ack',
            accepted: effect.accepted,
            ...(effect.reason !== undefined ? { reason: effect.reason } : {}),
            ...(effect.meterWms !== undefined ? { meterWms: effect.meterWms } : {}),
            ...(effect.data !== undefined ? { data: effect.data } : {}),
            atMs,
          });
        } else if (control) {
          // a device.command whose caller timed out: it got PILE_TIMEOUT; this answer is only logged
          deps.log.warn({ pileId, commandId: effect.commandId, command: control.command, accepted: effect.accepted }, 'pile answered a command after its timeout');
        } else {
          // a pile.command: the answer goes back to its sender (the scheduler), stored before the pile hears "ack"
          await deps.presence.announce(deps.envelope('device.command-acked', {
            ...identity,
            commandId: effect.commandId,
            ...(cmd ? { action: cmd.action } : {}),
            ...(cmd?.portNo !== undefined ? { portNo: cmd.portNo } : {}),
            ...(cmd?.sessionId ? { sessionId: cmd.sessionId } : {}),
            accepted: effect.accepted,
            ...(effect.meterWms !== undefined ? { meterWms: effect.meterWms } : {}),
            ...(effect.reason !== undefined ? { reason: effect.reason } : {}),
            replicaId: deps.replicaId,
            at: atMs,
          }));
        }
        deps.deviceLog({
          pileId,
          kind: 'command-ack',
          atMs,
          door: conn.transport.door,
          detail: { commandId: effect.commandId, accepted: effect.accepted, ...(effect.reason ? { reason: effect.reason } : {}), ...(effect.meterWms !== undefined ? { meterWms: effect.meterWms } : {}) },
        });
        this.ack(conn, effect, { type: 'ack', for: 'command.ack' });
        return;
      }
      case 'logout':
        this.ack(conn, effect, { type: 'ack', for: 'logout' });
        return;
    }
  }


  /**
   * Redis lost its data (kit's generation check): the pile registry went with it, and commands for the piles held
   * here would find no holder. Every live connection is claimed again, with its `device.pile-online`, as a login
   * would, without making the piles reconnect.
   */
  async reclaimAll(): Promise<number> {
    const { deps } = this;
    let reclaimed = 0;
    for (const [pileId, conn] of this.piles) {
      const identity = conn instanceof Conn ? conn.session.identity : conn.identity;
      if (!identity || (conn instanceof Conn && conn.superseded)) continue;
      const door = conn instanceof Conn ? conn.transport.door : conn.door;
      const atMs = deps.clockNow();
      const faulted = await deps.presence.isFaulted(pileId);
      const event = deps.envelope('device.pile-online', { ...identity, replicaId: deps.replicaId, protocol: protocolOf(door), faulted, at: atMs });
      await deps.presence.claim(pileId, door, atMs, event);
      reclaimed++;
    }
    deps.log.warn({ reclaimed }, 'pile registrations written again after a redis loss');
    return reclaimed;
  }
  /**
   * A card at a port: its owner pays, so an unknown card starts nothing (CARD_REFUSED). A repeated card.start of
   * the session running on the port (the pile's retry after a lost answer) gets the same session again.
   */
  private async cardStart(conn: Conn, effect: Extract<Effect, { kind: 'card-start' }>, atMs: number): Promise<void> {
    const { deps } = this;
    const identity = conn.session.identity!;
    const id = effect.id !== undefined ? { id: effect.id } : {};
    const current = await deps.presence.portSession(identity.pileId, effect.portNo);
    if (current.sessionId && current.cardId === effect.cardId && current.startWms === effect.energyWms) {
      this.send(conn, { type: 'card.ok', ...id, sessionId: current.sessionId });
      return;
    }
    const userId = await deps.cardOwner(effect.cardId);
    if (userId === undefined) {
      deps.deviceLog({ pileId: identity.pileId, kind: 'card-refused', atMs, door: conn.transport.door, detail: { portNo: effect.portNo, cardId: effect.cardId } });
      this.send(conn, { type: 'error', code: 'CARD_REFUSED', message: 'this card belongs to no user', ...id });
      return;
    }
    if (current.sessionId) deps.log.warn({ pileId: identity.pileId, portNo: effect.portNo, previous: current.sessionId }, 'card session on a port that still had a session: the pile says it is free');
    const sessionId = `card-${randomUUID()}`;
    const event = deps.envelope('device.session-started', {
      ...identity,
      portNo: effect.portNo,
      sessionId,
      cardId: effect.cardId,
      userId,
      meterStartWms: effect.energyWms,
      at: atMs,
    });
    await deps.presence.startPortSession(identity.pileId, effect.portNo, { sessionId, startWms: effect.energyWms, cardId: effect.cardId }, atMs, event);
    deps.log.info({ pileId: identity.pileId, portNo: effect.portNo, sessionId }, 'card session started');
    deps.deviceLog({ pileId: identity.pileId, kind: 'card-start', atMs, door: conn.transport.door, detail: { portNo: effect.portNo, cardId: effect.cardId, sessionId, userId } });
    this.send(conn, { type: 'card.ok', ...id, sessionId });
  }

  private async login(conn: Conn, loginId: string, secret: string, id: string | undefined): Promise<void> {
    const { deps } = this;
    let found: Authenticated | undefined;
    try {
      found = await deps.authenticate(loginId, secret);
    } catch (err) {
      deps.log.error({ err, pileId: loginId }, 'pile login check failed');
      await this.run(conn, conn.session.loginUnavailable(id));
      return;
    }
    const atMs = deps.clockNow();
    if (!found) {
      // the id is what the peer claimed; the secret is never logged
      deps.log.warn({ pileId: loginId, remote: conn.transport.remote, door: conn.transport.door }, 'pile login refused');
      deps.deviceLog({ pileId: loginId, kind: 'login-refused', atMs, door: conn.transport.door, detail: { remote: conn.transport.remote } });
      await this.run(conn, conn.session.loginRefused(id));
      return;
    }
    // the peer left while we checked: nothing to register
    if (conn.finished || conn.transportGone || conn.session.phase !== 'authenticating') {
      conn.session.transportClosed();
      return;
    }

    const { identity, device } = found;
    this.replacePrevious(identity.pileId, conn);
    conn.session.loginAccepted(identity, deps.realNow(), device);

    const faulted = await deps.presence.isFaulted(identity.pileId);
    const event = deps.envelope('device.pile-online', {
      ...identity,
      replicaId: deps.replicaId,
      protocol: conn.transport.door,
      faulted,
      at: atMs,
    });
    const previousOwner = await deps.presence.claim(identity.pileId, conn.transport.door, atMs, event);
    const { heartbeatIntervalMs } = deps.session;
    this.send(conn, {
      type: 'login.ok',
      ...(id ? { id } : {}),
      ...identity,
      deviceId: device.deviceId,
      ports: device.ports,
      heartbeatIntervalMs,
      heartbeatIntervalS: heartbeatIntervalMs / 1000,
      faulted,
      serverTime: deps.clockIso(atMs),
    });
    deps.log.info(
      { pileId: identity.pileId, door: conn.transport.door, remote: conn.transport.remote, ...(previousOwner && previousOwner !== deps.replicaId ? { movedFrom: previousOwner } : {}) },
      'pile online',
    );
    deps.deviceLog({ pileId: identity.pileId, kind: 'login', atMs, door: conn.transport.door, detail: { remote: conn.transport.remote } });
  }

  /** A newer connection of the pile took over on this replica: the older one is closed at once, with no offline. */
  private replacePrevious(pileId: string, next: Conn | HeldConnection): void {
    const previous = this.piles.get(pileId);
    this.piles.set(pileId, next);
    if (!previous || previous === next) return;
    if (previous instanceof Conn) {
      previous.superseded = true;
      const effects = previous.session.replaced();
      previous.enqueue(() => effects);
    } else {
      previous.end('replaced').catch((err: unknown) => this.deps.log.warn({ err, pileId }, 'could not close a replaced connection'));
    }
  }

  /**
   * A connection of another door (OCPP) is authenticated: it holds the pile from now on (an older connection of the
   * pile on this replica is closed), registered in Redis with its `device.pile-online`.
   */
  async hold(held: HeldConnection): Promise<{ faulted: boolean; previousOwner: string | null }> {
    const { deps } = this;
    const { identity } = held;
    this.replacePrevious(identity.pileId, held);
    const atMs = deps.clockNow();
    const faulted = await deps.presence.isFaulted(identity.pileId);
    const event = deps.envelope('device.pile-online', { ...identity, replicaId: deps.replicaId, protocol: protocolOf(held.door), faulted, at: atMs });
    const previousOwner = await deps.presence.claim(identity.pileId, held.door, atMs, event);
    deps.deviceLog({ pileId: identity.pileId, kind: 'login', atMs, door: held.door });
    return { faulted, previousOwner };
  }

  /** Whether this connection still holds its pile here (not replaced, not ended). */
  isHolder(held: HeldConnection): boolean {
    return this.piles.get(held.identity.pileId) === held;
  }

  /** A held connection of another door ended: the pile goes offline unless a newer connection holds it. */
  async release(held: HeldConnection, reason: CloseReason): Promise<void> {
    const { identity } = held;
    if (this.piles.get(identity.pileId) !== held) return;
    this.piles.delete(identity.pileId);
    if (reason === 'shutdown') return;
    await this.announceOffline(identity, reason, held.door);
  }

  private async announceOffline(identity: PileIdentity, reason: CloseReason, door: Door | 'ocpp'): Promise<void> {
    const { deps } = this;
    const atMs = deps.clockNow();
    try {
      const event = deps.envelope('device.pile-offline', { ...identity, replicaId: deps.replicaId, reason, at: atMs });
      const wentOffline = await deps.presence.offline(identity.pileId, deps.replicaId, atMs, reason, event);
      if (wentOffline) {
        deps.log.info({ pileId: identity.pileId, reason }, 'pile offline');
        deps.deviceLog({ pileId: identity.pileId, kind: reason === 'logout' ? 'logout' : 'offline', atMs, door, detail: { reason } });
      }
    } catch (err) {
      // the registration lapses by TTL and the sweep announces it then
      deps.log.error({ err, pileId: identity.pileId }, 'could not mark the pile offline');
    }
  }

  /** Ends a connection once: closes the transport and, for the pile it held, announces the pile offline. */
  async finish(conn: Conn, reason: CloseReason): Promise<void> {
    if (conn.finished) return;
    conn.finished = true;
    // device.command calls waiting for this connection's answer: the pile is gone, it will not answer here
    for (const w of [...conn.waiting.values()]) w.resolve({ kind: 'offline' });
    conn.session.transportClosed();
    this.conns.delete(conn);
    try {
      conn.transport.close();
    } catch {
      // already closed
    }
    const identity = conn.session.identity;
    if (!identity || conn.superseded || this.piles.get(identity.pileId) !== conn) return;
    this.piles.delete(identity.pileId);
    // a replica going down leaves its registrations to lapse (the pile reconnects elsewhere, or is swept)
    if (reason === 'shutdown') return;
    await this.announceOffline(identity, reason, conn.transport.door);
  }
}

function idOf(effect: Effect): { id?: string } {
  return 'id' in effect && typeof effect.id === 'string' ? { id: effect.id } : {};
}

/** stationId / pileNo from a pile id `<stationId>-<pileNo>` (for piles known only by id). */
export function identityParts(pileId: string): { stationId?: string; pileNo?: string } {
  const cut = pileId.lastIndexOf('-');
  return cut > 0 && cut < pileId.length - 1 ? { stationId: pileId.slice(0, cut), pileNo: pileId.slice(cut + 1) } : {};
}

// One OCPP 1.6J charge point connected to this replica, in the hub's terms (a HeldConnection): it holds the pile
// in the registry, answers the charge point's calls one at a time (ocpp-rpc runs inbound calls concurrently), keeps
// presence and port telemetry in Redis as the JSON doors do, hands transaction messages to OcppTransactions, logs
// every raw message, and carries device.command as OCPP CALLs (ocpp-commands.ts).
import { createRequire } from 'node:module';
import type { DeviceControl, Envelope, MessagePayload, MessageType } from '@voltq/contracts';
import type { Logger } from '@voltq/kit';
import type { RPCServerClientLike } from './doors/ocpp.js';
import { bootIntervalS, faultChange, pileStateOf, portStateOf, type ChargePointStatus, type OcppChargePoint, type OcppTransactions } from './domain/ocpp.js';
import type { CloseReason } from './domain/session.js';
import type { ControlOutcome, DeviceLogEntry, HeldConnection, PileHub } from './hub.js';
import { acceptedBy, ocppCommand } from './ocpp-commands.js';
import type { BridgeMetrics, InboundResult } from './metrics.js';
import type { Authenticated } from './store/devices.js';
import type { Presence } from './store/presence.js';

// CommonJS: its error classes and NOREPLY are spread into module.exports, which ESM named imports cannot see
const ocppRpc = createRequire(import.meta.url)('ocpp-rpc') as typeof import('ocpp-rpc');
const NOREPLY = (ocppRpc.NOREPLY as unknown as { NOREPLY?: symbol }).NOREPLY ?? (ocppRpc.NOREPLY as unknown as symbol);

export interface OcppConnectionDeps {
  hub: PileHub;
  presence: Presence;
  transactions: OcppTransactions;
  log: Logger;
  replicaId: string;
  clockNow(): number;
  clockIso(ms?: number): string;
  envelope<K extends MessageType>(type: K, payload: MessagePayload<K>): Envelope<K>;
  deviceLog(entry: DeviceLogEntry): void;
  heartbeatIntervalMs: number;
  random(): number;
  metrics?: BridgeMetrics;
}

type Params = Record<string, unknown>;

export class OcppConnection implements HeldConnection {
  readonly door = 'ocpp' as const;
  readonly identity: HeldConnection['identity'];
  readonly cp: OcppChargePoint;
  /** the calls of the charge point, handled one at a time in arrival order */
  private chain: Promise<unknown> = Promise.resolve();
  private ended = false;
  /** connectors reported Faulted (0 = the pile): the pile's fault lasts while any is */
  private faulted = new Set<number>();

  constructor(
    private readonly deps: OcppConnectionDeps,
    private readonly client: RPCServerClientLike,
    auth: Authenticated,
    private readonly remote: string,
  ) {
    const { identity, device } = auth;
    this.identity = { ...identity, deviceId: device.deviceId };
    this.cp = { deviceId: device.deviceId, pileId: identity.pileId, stationId: identity.stationId, pileNo: identity.pileNo, ports: device.ports };
  }

  /** Takes the pile, then serves the charge point. Handlers are in place before any call is read. */
  open(): void {
    const { client, deps } = this;
    const pileId = this.identity.pileId;
    client.on('message', ({ message, outbound }: { message: unknown; outbound: boolean }) => {
      deps.deviceLog({ pileId, kind: 'ocpp', atMs: deps.clockNow(), door: 'ocpp', detail: { direction: outbound ? 'out' : 'in', message: String(message) } });
    });
    client.on('strictValidationFailure', ({ method, outbound, isCall, error }: { method: string; outbound: boolean; isCall: boolean; error: Error }) => {
      deps.log.warn({ pileId, method, outbound, isCall, err: error }, 'OCPP message failed schema validation');
    });
    // a pong proves the socket alive: keep the registration while a quiet charger only answers pings
    client.on('ping', () => void this.touch(false));
    client.once('close', () => {
      this.ended = true;
      void deps.hub.release(this, 'connection-closed');
    });

    this.serial(async () => {
      const { previousOwner, faulted } = await deps.hub.hold(this);
      if (faulted) this.faulted.add(0);
      await this.seedFaults();
      deps.log.info({ pileId, door: 'ocpp', remote: this.remote, ...(previousOwner && previousOwner !== deps.replicaId ? { movedFrom: previousOwner } : {}) }, 'pile online');
    }).catch((err: unknown) => {
      deps.log.error({ err, pileId }, 'could not register the charge point: closing');
      void this.client.close({ code: 1011, reason: 'unavailable' });
    });

    const on = (method: string, handler: (params: Params) => Promise<unknown> | unknown, onFailure: 'error' | 'no-reply' = 'error') => {
      client.handle(method, async ({ params }: { params?: Params }) => {
        const startedMs = performance.now();
        let result: InboundResult = 'error';
        try {
          const answer = await this.serial(async () => {
            if (this.ended || !deps.hub.isHolder(this)) return NOREPLY;
            if (!(await this.touch(method === 'Heartbeat'))) return NOREPLY;
            return handler(params ?? {});
          });
          result = answer === NOREPLY ? 'refused' : 'ok';
          return answer;
        } catch (err) {
          deps.log.error({ err, pileId, method }, 'OCPP call failed');
          // no CALLERROR for a stop (DESIGN: never refused): no answer, the charger retries it
          if (onFailure === 'no-reply') return NOREPLY;
          throw ocppRpc.createRPCError('InternalError', 'the central system could not store this message; retry');
        } finally {
          deps.metrics?.inbound('ocpp1.6', method, result, (performance.now() - startedMs) / 1000);
        }
      });
    };

    const now = () => deps.clockIso(deps.clockNow());
    on('BootNotification', (p) => {
      deps.log.info({ pileId, vendor: p.chargePointVendor, model: p.chargePointModel, firmware: p.firmwareVersion }, 'charge point booted');
      return { status: 'Accepted', currentTime: now(), interval: bootIntervalS(deps.heartbeatIntervalMs, deps.random()) };
    });
    on('Heartbeat', () => ({ currentTime: now() }));
    on('StatusNotification', (p) => this.status(p));
    on('Authorize', (p) => deps.transactions.authorize(this.cp, String(p.idTag)));
    on('StartTransaction', async (p) => {
      const answer = await deps.transactions.startTransaction(this.cp, p as Parameters<OcppTransactions['startTransaction']>[1]);
      // DESIGN "Devices": a transaction started with an invalid tag keeps its id and is stopped remotely, once answered
      if (answer.idTagInfo.status === 'Invalid') setImmediate(() => this.stopInvalid(answer.transactionId));
      return answer;
    });
    on('MeterValues', (p) => deps.transactions.meterValues(this.cp, p as Parameters<OcppTransactions['meterValues']>[1]));
    on('StopTransaction', (p) => deps.transactions.stopTransaction(this.cp, p as Parameters<OcppTransactions['stopTransaction']>[1]), 'no-reply');
    // OCPP 1.6: a recipient with no implementation for the vendor answers UnknownVendorId (VoltQ takes none inbound)
    on('DataTransfer', (p) => (p.vendorId === 'VoltQ' ? { status: 'UnknownMessageId' } : { status: 'UnknownVendorId' }));
    on('DiagnosticsStatusNotification', (p) => {
      deps.log.info({ pileId, status: p.status }, 'charge point diagnostics status');
      return {};
    });
    on('FirmwareStatusNotification', (p) => {
      deps.log.info({ pileId, status: p.status }, 'charge point firmware status');
      return {};
    });
    client.handle(({ method }: { method?: string }) => {
      throw ocppRpc.createRPCError('NotImplemented', `${method ?? 'this action'} is not handled by this central system`);
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Keeps the registration; false (and the socket closed) when the pile is not this replica's any more. */
  private async touch(heartbeat: boolean): Promise<boolean> {
    if (this.ended) return false;
    const res = await this.deps.presence.touch(this.identity.pileId, this.deps.clockNow(), heartbeat);
    if (res === 'ok') return true;
    // 'taken': another replica holds the pile now (no offline from here); 'expired': it counts as offline already
    this.deps.log.warn({ pileId: this.identity.pileId, res }, 'charge point registration lost: closing');
    await this.close(res === 'taken' ? 'replaced' : 'heartbeat-timeout');
    return false;
  }

  /** Faulted connectors as the telemetry remembers them (a reconnect must not look like a recovery). */
  private async seedFaults(): Promise<void> {
    const t = await this.deps.presence.telemetry(this.identity.pileId);
    for (let n = 1; n <= this.cp.ports; n++) if (t[`p${n}.state`] === 'faulted') this.faulted.add(n);
  }

  private async status(p: Params): Promise<Record<string, never>> {
    const { deps } = this;
    const pileId = this.identity.pileId;
    const connectorId = Number(p.connectorId);
    const status = p.status as ChargePointStatus;
    if (connectorId > this.cp.ports) {
      throw ocppRpc.createRPCError('PropertyConstraintViolation', `connector ${connectorId} does not exist: this charge point has ${this.cp.ports}`);
    }
    const atMs = deps.clockNow();
    if (connectorId === 0) {
      const state = pileStateOf(status);
      if (state) await deps.presence.recordStatus(pileId, state, atMs);
    } else {
      await deps.presence.recordPortStatus(pileId, connectorId, portStateOf(status), atMs);
    }
    const { faulted, change } = faultChange(this.faulted, connectorId, status);
    this.faulted = faulted;
    if (change === 'fault') {
      const errorCode = typeof p.errorCode === 'string' && p.errorCode !== 'NoError' ? p.errorCode : undefined;
      const info = [`connector ${connectorId}`, p.info, p.vendorErrorCode].filter((x) => typeof x === 'string' && x).join(': ');
      const event = deps.envelope('device.pile-fault', { ...this.identity, info, ...(errorCode ? { errorCode } : {}), at: atMs });
      if (await deps.presence.setFault(pileId, true, atMs, info, event)) {
        deps.log.warn({ pileId, connectorId, errorCode }, 'pile fault reported');
        deps.deviceLog({ pileId, kind: 'fault', atMs, door: 'ocpp', detail: { connectorId, reason: info, errorCode } });
      }
    } else if (change === 'recovered') {
      const event = deps.envelope('device.pile-recovered', { ...this.identity, at: atMs });
      if (await deps.presence.setFault(pileId, false, atMs, '', event)) {
        deps.log.info({ pileId }, 'pile recovered');
        deps.deviceLog({ pileId, kind: 'recovery', atMs, door: 'ocpp' });
      }
    }
    return {};
  }

  /** RemoteStopTransaction for a transaction the charge point started with a tag nobody may use. */
  private stopInvalid(transactionId: number): void {
    if (this.ended) return;
    const pileId = this.identity.pileId;
    this.client.call('RemoteStopTransaction', { transactionId }).then(
      (reply: unknown) => this.deps.log.warn({ pileId, transactionId, reply }, 'transaction with an invalid idTag: stopped remotely'),
      (err: unknown) => this.deps.log.error({ pileId, transactionId, err: (err as Error).message }, 'could not stop a transaction with an invalid idTag'),
    );
  }

  /** device.command: the CALL, answered with the charge point's CALLRESULT (or a refusal, or the timeout). */
  async control(commandId: string, control: DeviceControl, timeoutMs: number): Promise<ControlOutcome> {
    const { deps } = this;
    const pileId = this.identity.pileId;
    if (this.ended) return { kind: 'offline' };
    const cmd = await ocppCommand(control, this.cp, deps.transactions);
    if (cmd.kind === 'answer') return { kind: 'ack', accepted: cmd.accepted, data: cmd.data, atMs: deps.clockNow() };
    deps.deviceLog({ pileId, kind: 'command', atMs: deps.clockNow(), door: 'ocpp', detail: { commandId, command: control.command, method: cmd.method } });

    // the whole wait is bounded, also while the call queues behind another outstanding one (one CALL at a time)
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const call = this.client.call(cmd.method, cmd.params, { callTimeoutMs: timeoutMs }).then(
      (reply) => ({ reply }),
      (err: unknown) => ({ err }),
    );
    const res = await Promise.race([call, timeout]);
    clearTimeout(timer);
    if (res === 'timeout' || ('err' in res && res.err instanceof ocppRpc.TimeoutError)) {
      void call.then((late) => 'reply' in late && deps.log.warn({ pileId, commandId, method: cmd.method }, 'charge point answered a command after its timeout'));
      return { kind: 'timeout' };
    }
    const atMs = deps.clockNow();
    if ('err' in res) {
      if (this.ended) return { kind: 'offline' };
      // a CALLERROR is the charge point's answer: refused
      const e = res.err as { rpcErrorCode?: string; message?: string };
      deps.deviceLog({ pileId, kind: 'command-ack', atMs, door: 'ocpp', detail: { commandId, accepted: false, error: e.rpcErrorCode } });
      return { kind: 'ack', accepted: false, reason: e.rpcErrorCode ?? 'error', data: { status: 'Rejected', reason: `${e.rpcErrorCode ?? 'error'}: ${e.message ?? ''}`.trim() }, atMs };
    }
    const data = (res.reply && typeof res.reply === 'object' ? res.reply : {}) as Record<string, unknown>;
    const accepted = acceptedBy(cmd.method, data);
    if (control.command === 'start' && accepted) {
      // the port's session from now on (as a JSON pile's accepted start); the register at the start comes with the
      // charger's StartTransaction (OcppTransactions)
      const t = await deps.presence.telemetry(pileId);
      const startWms = Number(t[`p${control.portNo}.meterWms`] ?? 0) || 0;
      await deps.presence.startPortSession(pileId, control.portNo, {
        sessionId: control.sessionId,
        startWms,
        ...(control.orderId ? { orderId: control.orderId } : {}),
        cardId: String(cmd.params.idTag),
      }, atMs);
    }
    deps.deviceLog({ pileId, kind: 'command-ack', atMs, door: 'ocpp', detail: { commandId, accepted } });
    return { kind: 'ack', accepted, data, atMs };
  }

  async end(reason: 'replaced' | 'removed' | 'shutdown'): Promise<void> {
    await this.close(reason);
  }

  private async close(reason: CloseReason): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const code = reason === 'shutdown' ? 1012 : reason === 'removed' ? 1008 : 1000;
    // replaced / lost: at once (the old socket may be dead); otherwise a close frame first
    const force = reason === 'replaced' || reason === 'heartbeat-timeout';
    void this.client.close({ code, reason, force }).catch(() => undefined);
    await this.deps.hub.release(this, reason);
  }
}

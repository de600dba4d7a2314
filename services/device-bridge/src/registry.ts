// The device registry and device commands (device.* RPCs, handlers.ts serves them): devices are registered by an
// operator (never trusted on first contact), shown with their live state from Redis, removed together with their
// connection, and commanded through the replica that holds the pile (README "Device registry").
import { randomBytes, randomUUID } from 'node:crypto';
import {
  deviceNames,
  type DeviceCommandResult,
  type DeviceView,
  type RpcParams,
  type RpcResult,
} from '@voltq/contracts';
import { DomainError, isDomainError, type Bus, type Clock, type Logger } from '@voltq/kit';
import { deviceView, powerKwToW, type DeviceRecord } from './domain/devices.js';
import type { PileHub } from './hub.js';
import type { BridgeMetrics } from './metrics.js';
import { hashSecret } from './secrets.js';
import {
  deleteDevice, deviceTaken, findDevice, findDeviceByCode, insertDevice, listDevices, type DeviceModels,
} from './store/devices.js';
import type { Presence } from './store/presence.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** what a forwarding replica allows the holder beyond the pile's own timeout (the hop and the answer's hop) */
const FORWARD_MARGIN_MS = 2_000;

export interface DeviceRegistryDeps {
  models: DeviceModels;
  presence: Presence;
  hub: PileHub;
  bus: Bus;
  clock: Clock;
  log: Logger;
  replicaId: string;
  metrics?: BridgeMetrics;
}

const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`, { resource: 'pile' });

export class DeviceRegistry {
  constructor(private readonly deps: DeviceRegistryDeps) {}

  /** A new device; its secret is answered here once (only its scrypt hash is stored). */
  async register(p: RpcParams<'device.register'>): Promise<RpcResult<'device.register'>> {
    const { models, bus } = this.deps;
    const powerW = powerKwToW(p.powerKw);
    if (powerW === undefined) throw new DomainError('VALIDATION', `powerKw ${p.powerKw}: at most 3 decimals (whole watts)`);
    try {
      await bus.call('scheduler.getStation', { stationId: p.stationId });
    } catch (err) {
      if (isDomainError(err) && err.code === 'NOT_FOUND') throw new DomainError('NOT_FOUND', `station ${p.stationId} not found`, { resource: 'station' });
      throw err;
    }
    const pileId = deviceNames.pileId(p.stationId, p.pileNo);
    const record = {
      deviceId: p.deviceId,
      pileId,
      stationId: p.stationId,
      pileNo: p.pileNo,
      protocol: p.protocol,
      pileType: p.pileType,
      powerW,
      ports: p.ports,
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
    };
    const conflict = () => new DomainError('CONFLICT', `device ${p.deviceId} or pile ${p.pileNo} of station ${p.stationId} is registered already`, { resource: 'pile' });
    if (await deviceTaken(models, record)) throw conflict();
    const secret = randomBytes(32).toString('base64url');
    if (!(await insertDevice(models, record, await hashSecret(secret), new Date(this.deps.clock.now())))) throw conflict();
    this.deps.log.info({ deviceId: p.deviceId, pileId, ports: p.ports }, 'device registered');
    return { deviceId: p.deviceId, pileId, secret };
  }

  async list(p: RpcParams<'device.list'>): Promise<RpcResult<'device.list'>> {
    const devices = await listDevices(this.deps.models, p.stationId);
    const items = await this.views(devices);
    return { items: p.connectedOnly ? items.filter((d) => d.connected) : items };
  }

  async get(p: RpcParams<'device.get'>): Promise<DeviceView> {
    return (await this.views([await this.find(p)]))[0]!;
  }

  /** Deletes the device, then closes its connection wherever it is held (device.disconnect on that replica). */
  async remove(p: RpcParams<'device.remove'>): Promise<DeviceView> {
    const { models, presence, hub, bus, log, replicaId } = this.deps;
    const device = await this.find({ deviceId: p.deviceId });
    const view = (await this.views([device]))[0]!;
    // gone from the registry first: the pile cannot log in again while its connection is being closed
    if (!(await deleteDevice(models, device.deviceId))) throw notFound(`device ${p.deviceId}`);
    const owner = await presence.ownerOf(device.pileId);
    if (await hub.disconnect(device.deviceId)) {
      // closed here
    } else if (owner && owner !== replicaId) {
      try {
        await bus.call('device.disconnect', { deviceId: device.deviceId }, { shard: owner });
      } catch (err) {
        // its replica died: the connection died with it, and the pile cannot log in again
        log.warn({ err, deviceId: device.deviceId, owner }, 'could not reach the replica holding a removed device');
      }
    }
    await presence.forget(device.pileId);
    log.info({ deviceId: device.deviceId, pileId: device.pileId, wasConnected: view.connected }, 'device removed');
    return view;
  }

  /**
   * A command to the pile, answered with the pile's answer. The replica holding the pile sends it; any other
   * forwards it there once (`forwarded` = this call came from another replica: never forwarded again).
   */
  async command(p: RpcParams<'device.command'>, forwarded: boolean, deadline: number): Promise<DeviceCommandResult> {
    const { hub, presence, bus, clock, replicaId, log } = this.deps;
    const device = await this.find({ deviceId: p.deviceId });
    const timeoutMs = p.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const offline = () => new DomainError('PILE_STATE', `pile ${device.pileId} is not connected`, { resource: 'pile', reason: 'PILE_OFFLINE' });
    const timedOut = () => new DomainError('TIMEOUT', `pile ${device.pileId} did not answer within ${timeoutMs} ms`, { resource: 'pile', reason: 'PILE_TIMEOUT' });

    if (!hub.holds(device.pileId)) {
      const owner = await presence.ownerOf(device.pileId);
      if (forwarded || !owner || owner === replicaId) {
        // counted where the command ends: here; a forwarded one is counted by the replica holding the pile
        this.deps.metrics?.command(device.protocol === 'ocpp1.6' ? 'ocpp1.6' : 'json', p.control.command, 'offline');
        throw offline();
      }
      const callMs = Math.max(100, Math.min(timeoutMs + FORWARD_MARGIN_MS, deadline - Date.now()));
      log.debug({ deviceId: device.deviceId, owner, command: p.control.command }, 'device command forwarded to the replica holding the pile');
      try {
        return await bus.call('device.command', p, { shard: owner, timeoutMs: callMs });
      } catch (err) {
        // no queue for that replica (it died): nobody holds the pile; no answer at all: the pile's timeout
        if (isDomainError(err) && err.code === 'UNAVAILABLE') throw offline();
        if (isDomainError(err) && err.code === 'TIMEOUT' && err.details?.reason === undefined) throw timedOut();
        throw err;
      }
    }

    const commandId = randomUUID();
    const protocol = hub.protocolHolding(device.pileId)!;
    const outcome = await hub.control(device.pileId, commandId, p.control, timeoutMs);
    this.deps.metrics?.command(protocol, p.control.command, outcome.kind === 'ack' ? (outcome.accepted ? 'accepted' : 'rejected') : outcome.kind);
    if (outcome.kind === 'offline') throw offline();
    if (outcome.kind === 'timeout') {
      log.warn({ deviceId: device.deviceId, commandId, command: p.control.command }, 'pile did not answer a command');
      throw timedOut();
    }
    const data = outcome.data ?? { status: outcome.accepted ? 'Accepted' : 'Rejected', ...(outcome.reason ? { reason: outcome.reason } : {}) };
    return {
      deviceId: device.deviceId,
      commandId,
      accepted: outcome.accepted,
      data,
      ...(outcome.meterWms !== undefined ? { meterWms: outcome.meterWms } : {}),
      at: clock.now(),
    };
  }

  /** device.disconnect on this replica. */
  async disconnect(deviceId: string): Promise<{ closed: boolean }> {
    return { closed: await this.deps.hub.disconnect(deviceId) };
  }

  private async find(by: { deviceId?: string; pileId?: string; code?: string }): Promise<DeviceRecord> {
    const { models } = this.deps;
    if (by.deviceId !== undefined || by.pileId !== undefined) {
      const found = await findDevice(models, by);
      if (!found) throw notFound(`pile ${by.deviceId ?? by.pileId}`);
      return found;
    }
    if (by.code === undefined) throw new DomainError('VALIDATION', 'name the device: deviceId, pileId or code');
    const found = await findDeviceByCode(models, by.code);
    if (found.length === 0) throw notFound(`pile ${by.code}`);
    if (found.length > 1) throw new DomainError('CONFLICT', `several stations have a pile ${by.code}: use its pile id`, { resource: 'pile' });
    return found[0]!;
  }

  /** One Redis round trip for all of them. */
  private async views(devices: DeviceRecord[]): Promise<DeviceView[]> {
    const live = await this.deps.presence.liveStates(devices.map((d) => d.pileId));
    return devices.map((d, i) => deviceView(d, live[i]!));
  }
}

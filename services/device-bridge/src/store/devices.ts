// Device identities and credentials (MongoDB `devices`, owned by device-bridge) and the device log
// (`device_logs`, TTL-limited).
import mongoose, { Schema } from 'mongoose';
import { deviceNames } from '@voltq/contracts';
import type { Logger } from '@voltq/kit';
import { derivePileSecret } from '@voltq/pile-sim/secrets';
import { hashSecret, verifyAgainstDummy, verifySecret } from '../secrets.js';
import { deviceRecord, seededPileType, type DeviceRecord } from '../domain/devices.js';
import type { DeviceInfo, PileIdentity } from '../domain/session.js';

export interface DeviceDoc {
  _id: string; // deviceId: the login id (a seeded queue pile's is its pileId)
  /** 004's pile id `<stationId>-<pileNo>` (deviceNames.pileId): events and commands name the pile by it */
  pileId: string;
  stationId: string;
  pileNo: string;
  protocol: 'ocpp1.6' | 'json';
  pileType: 1 | 2;
  powerW: number;
  ports: number;
  manufacturer?: string;
  secretHash: string;
  enabled: boolean;
  createdAt: Date;
}

const deviceSchema = new Schema<DeviceDoc>(
  {
    _id: { type: String, required: true },
    pileId: { type: String },
    stationId: { type: String, required: true },
    pileNo: { type: String, required: true },
    protocol: { type: String, enum: ['ocpp1.6', 'json'] },
    pileType: { type: Number, enum: [1, 2] },
    powerW: { type: Number },
    ports: { type: Number },
    manufacturer: { type: String },
    secretHash: { type: String, required: true },
    enabled: { type: Boolean, default: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'devices', versionKey: false },
);
deviceSchema.index({ stationId: 1, pileNo: 1 }, { unique: true });
// sparse: devices stored before the field existed have none (deviceRecord defaults it to their _id)
deviceSchema.index({ pileId: 1 }, { unique: true, sparse: true });

export type DeviceLogKind =
  | 'login' | 'login-refused' | 'logout' | 'offline' | 'fault' | 'recovery' | 'command' | 'command-ack'
  | 'card-start' | 'card-refused' | 'session-stopped'
  /** an OCPP charge point's raw message, either direction (detail: direction, message) */
  | 'ocpp';

export interface DeviceLogDoc {
  pileId: string;
  kind: DeviceLogKind;
  /** clock time of the event */
  at: Date;
  replicaId: string;
  door?: string;
  detail?: Record<string, unknown>;
  /** real time of the write: the TTL index works on it */
  createdAt: Date;
}

export function deviceModels(conn: mongoose.Connection, logTtlDays: number) {
  const logSchema = new Schema<DeviceLogDoc>(
    {
      pileId: { type: String, required: true },
      kind: { type: String, required: true },
      at: { type: Date, required: true },
      replicaId: { type: String, required: true },
      door: String,
      detail: Schema.Types.Mixed,
      createdAt: { type: Date, default: () => new Date() },
    },
    { collection: 'device_logs', versionKey: false },
  );
  logSchema.index({ pileId: 1, at: -1 });
  logSchema.index({ createdAt: 1 }, { expireAfterSeconds: logTtlDays * 24 * 3600 });
  return {
    Device: conn.model<DeviceDoc>('Device', deviceSchema),
    DeviceLog: conn.model<DeviceLogDoc>('DeviceLog', logSchema),
  };
}
export type DeviceModels = ReturnType<typeof deviceModels>;

/** Appends one entry to the device log (`device_logs`). */
export async function recordDeviceLog(
  models: DeviceModels,
  replicaId: string,
  entry: { pileId: string; kind: DeviceLogKind; atMs: number; door?: string; detail?: Record<string, unknown> },
): Promise<void> {
  await models.DeviceLog.create({
    pileId: entry.pileId,
    kind: entry.kind,
    at: new Date(entry.atMs),
    replicaId,
    ...(entry.door ? { door: entry.door } : {}),
    ...(entry.detail ? { detail: entry.detail } : {}),
  });
}

/** `default-F1,default-T1` -> identities; a pile id is `<stationId>-<pileNo>` (station ids may contain `-`). */
export function parseSeedList(list: string): PileIdentity[] {
  const out: PileIdentity[] = [];
  for (const raw of list.split(',')) {
    const pileId = raw.trim();
    if (!pileId) continue;
    const cut = pileId.lastIndexOf('-');
    if (cut <= 0 || cut === pileId.length - 1) throw new Error(`PILE_SEED: "${pileId}" is not <stationId>-<pileNo>`);
    const stationId = pileId.slice(0, cut);
    const pileNo = pileId.slice(cut + 1);
    out.push({ pileId: deviceNames.pileId(stationId, pileNo), stationId, pileNo });
  }
  return out;
}

/** Creates the missing seed piles with secret = HMAC(masterKey, pileId); existing devices are left alone. */
export async function seedDevices(models: DeviceModels, piles: PileIdentity[], masterKey: string, log: Logger): Promise<number> {
  let created = 0;
  for (const pile of piles) {
    if (await models.Device.exists({ _id: pile.pileId })) continue;
    try {
      await models.Device.create({
        _id: pile.pileId,
        pileId: pile.pileId,
        stationId: pile.stationId,
        pileNo: pile.pileNo,
        protocol: 'json',
        pileType: seededPileType(pile.pileNo),
        powerW: 0, // unknown: the station's configuration has it
        ports: 1,
        secretHash: await hashSecret(derivePileSecret(masterKey, pile.pileId)),
      });
      created++;
    } catch (err) {
      // another replica seeded it at the same moment
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }
  if (created) log.info({ created, piles: piles.map((p) => p.pileId) }, 'seeded pile devices');
  return created;
}

export interface Authenticated {
  identity: PileIdentity;
  device: DeviceInfo;
}

/** The pile's identity when the secret matches; undefined for an unknown, disabled or badly authenticated pile. */
export async function authenticatePile(models: DeviceModels, deviceId: string, secret: string): Promise<Authenticated | undefined> {
  const res = await checkPileLogin(models, deviceId, secret);
  return res.result === 'ok' ? res.auth : undefined;
}

/**
 * A login checked with the reason of a refusal, for a door that tells them apart (OCPP: 404 unknown, 401 bad
 * secret). An unknown or disabled device is checked against a dummy hash, so that both cost the same time.
 */
export async function checkPileLogin(
  models: DeviceModels,
  deviceId: string,
  secret: string,
): Promise<{ result: 'ok'; auth: Authenticated; protocol: DeviceRecord['protocol'] } | { result: 'unknown' } | { result: 'bad-secret'; protocol: DeviceRecord['protocol'] }> {
  const doc = await models.Device.findById(deviceId).lean();
  if (!doc || doc.enabled === false) {
    await verifyAgainstDummy(secret);
    return { result: 'unknown' };
  }
  const d = deviceRecord(doc);
  if (!(await verifySecret(secret, doc.secretHash))) return { result: 'bad-secret', protocol: d.protocol };
  return {
    result: 'ok',
    protocol: d.protocol,
    auth: { identity: { pileId: d.pileId, stationId: d.stationId, pileNo: d.pileNo, deviceId: d.deviceId }, device: { deviceId: d.deviceId, ports: d.ports } },
  };
}

// ---- the registry (device.register / list / get / remove) -------------------------------------------------------

export async function findDevice(models: DeviceModels, by: { deviceId?: string; pileId?: string }): Promise<DeviceRecord | undefined> {
  const filter = by.deviceId !== undefined ? { _id: by.deviceId } : { $or: [{ pileId: by.pileId }, { pileId: { $exists: false }, _id: by.pileId }] };
  const doc = await models.Device.findOne(filter).lean();
  return doc ? deviceRecord(doc) : undefined;
}

/** A scanned code: a device id, a pile id, or a pile number; several matches of the same kind are ambiguous. */
export async function findDeviceByCode(models: DeviceModels, code: string): Promise<DeviceRecord[]> {
  const exact = await findDevice(models, { deviceId: code }) ?? await findDevice(models, { pileId: code });
  if (exact) return [exact];
  const docs = await models.Device.find({ pileNo: code }).sort({ createdAt: 1 }).limit(2).lean();
  return docs.map(deviceRecord);
}

export async function listDevices(models: DeviceModels, stationId?: string): Promise<DeviceRecord[]> {
  const docs = await models.Device.find(stationId !== undefined ? { stationId } : {}).sort({ stationId: 1, pileNo: 1 }).lean();
  return docs.map(deviceRecord);
}

/** Stores a new device; false when its device id, pile id or (station, pile number) exists. */
export async function insertDevice(models: DeviceModels, d: Omit<DeviceRecord, 'enabled' | 'createdAtMs'>, secretHash: string, now: Date): Promise<boolean> {
  try {
    await models.Device.create({
      _id: d.deviceId,
      pileId: d.pileId,
      stationId: d.stationId,
      pileNo: d.pileNo,
      protocol: d.protocol,
      pileType: d.pileType,
      powerW: d.powerW,
      ports: d.ports,
      ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
      secretHash,
      enabled: true,
      createdAt: now,
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export async function deviceTaken(models: DeviceModels, d: { deviceId: string; pileId: string; stationId: string; pileNo: string }): Promise<boolean> {
  return (await models.Device.exists({ $or: [{ _id: d.deviceId }, { _id: d.pileId }, { pileId: d.pileId }, { stationId: d.stationId, pileNo: d.pileNo }] })) !== null;
}

export async function deleteDevice(models: DeviceModels, deviceId: string): Promise<boolean> {
  return (await models.Device.deleteOne({ _id: deviceId })).deletedCount === 1;
}

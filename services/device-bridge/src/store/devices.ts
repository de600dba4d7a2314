// Device identities and credentials (MongoDB `devices`, owned by device-bridge) and the device log
// (`device_logs`, TTL-limited).
import mongoose, { Schema } from 'mongoose';
import { deviceNames } from '@voltq/contracts';
import type { Logger } from '@voltq/kit';
import { derivePileSecret } from '@voltq/pile-sim/secrets';
import { hashSecret, verifyAgainstDummy, verifySecret } from '../secrets.js';
import type { PileIdentity } from '../domain/session.js';

export interface DeviceDoc {
  _id: string; // pileId `<stationId>-<pileNo>`
  stationId: string;
  pileNo: string;
  secretHash: string;
  enabled: boolean;
  createdAt: Date;
}

const deviceSchema = new Schema<DeviceDoc>(
  {
    _id: { type: String, required: true },
    stationId: { type: String, required: true },
    pileNo: { type: String, required: true },
    secretHash: { type: String, required: true },
    enabled: { type: Boolean, default: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'devices', versionKey: false },
);
deviceSchema.index({ stationId: 1, pileNo: 1 }, { unique: true });

export type DeviceLogKind = 'login' | 'login-refused' | 'logout' | 'offline' | 'fault' | 'recovery' | 'command' | 'command-ack';

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
        stationId: pile.stationId,
        pileNo: pile.pileNo,
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

/** The pile's identity when the secret matches; undefined for an unknown, disabled or badly authenticated pile. */
export async function authenticatePile(models: DeviceModels, pileId: string, secret: string): Promise<PileIdentity | undefined> {
  const device = await models.Device.findById(pileId).lean();
  if (!device || !device.enabled) {
    await verifyAgainstDummy(secret);
    return undefined;
  }
  if (!(await verifySecret(secret, device.secretHash))) return undefined;
  return { pileId: device._id, stationId: device.stationId, pileNo: device.pileNo };
}

// Stations on a map, as pure rules: the great-circle distance (haversine), what a new or edited station must be, the free and
// total ports a station shows, and the listing (nearest first within a radius, a keyword over name and address,
// pages). No I/O: the store gives the stations, the live states give the piles.
import type { CreateStationParams, DeviceView, PileState, StationKind, StationPileInfo, StationStatus, StationView, StationsParams, StationsResult, UpdateStationParams } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { StationState } from '@voltq/scheduling';
import { pileStatus } from './mapping.js';

/** The mean Earth radius (IUGG R1, rounded to the metre, the haversine's usual sphere). */
export const EARTH_RADIUS_M = 6_371_000;

export interface Point {
  latitude: number;
  longitude: number;
}

/** What a station is, apart from its queue settings (MongoDB `stations`). */
export interface StationInfo extends Point {
  stationId: string;
  name: string;
  address: string;
  kind: StationKind;
  status: StationStatus;
  tariffId: string;
  createdAt: number;
  updatedAt: number;
}

export const DEFAULT_TARIFF_ID = 'default';

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres between two points on a sphere of EARTH_RADIUS_M (haversine). */
export function distanceM(a: Point, b: Point): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A point on the globe, else VALIDATION naming the field. */
export function checkPoint(p: Point, what = ''): void {
  const { latitude, longitude } = p;
  if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90) {
    throw new DomainError('VALIDATION', `${what}latitude must be between -90 and 90 (got ${latitude})`);
  }
  if (!Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    throw new DomainError('VALIDATION', `${what}longitude must be between -180 and 180 (got ${longitude})`);
  }
}

/** A name or an address trimmed, else VALIDATION when nothing is left. */
function filled(text: string, what: 'name' | 'address'): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new DomainError('VALIDATION', `${what} must not be blank`);
  return trimmed;
}

/** A new station from the operator's request at `atMs`: trimmed name and address, the tariff `default` if none. */
export function newStation(p: CreateStationParams, atMs: number): StationInfo {
  const name = filled(p.name, 'name');
  const address = filled(p.address, 'address');
  checkPoint(p);
  return {
    stationId: p.stationId, name, address, latitude: p.latitude, longitude: p.longitude, kind: p.kind,
    status: 'online', tariffId: p.tariffId ?? DEFAULT_TARIFF_ID, createdAt: atMs, updatedAt: atMs,
  };
}

/**
 * The station after the operator's edit at `atMs`: the fields given replace the old ones, checked as a new station's
 * are (trimmed name and address, the moved point on the globe); its id, kind and creation stay. VALIDATION when
 * nothing is to change.
 */
export function editedStation(old: StationInfo, p: UpdateStationParams, atMs: number): StationInfo {
  const { stationId: _id, ...changes } = p;
  if (!Object.values(changes).some((v) => v !== undefined)) {
    throw new DomainError('VALIDATION', 'nothing to change: give name, address, latitude, longitude, tariffId or status');
  }
  const next: StationInfo = {
    ...old,
    ...(p.name !== undefined ? { name: filled(p.name, 'name') } : {}),
    ...(p.address !== undefined ? { address: filled(p.address, 'address') } : {}),
    latitude: p.latitude ?? old.latitude,
    longitude: p.longitude ?? old.longitude,
    tariffId: p.tariffId ?? old.tariffId,
    status: p.status ?? old.status,
    updatedAt: atMs,
  };
  checkPoint(next);
  return next;
}

/** A walk-up station's pile as listed: its registered device, its ports free when idle, enabled and online. */
export function walkUpPileInfo(device: DeviceView): StationPileInfo {
  const state: PileState = !device.connected ? 'offline' : device.status === 3 ? 'fault' : device.status === 2 ? 'charging' : 'idle';
  return {
    pileNo: device.pileNo,
    mode: device.pileType === 1 ? 'fast' : 'slow',
    powerW: device.powerW,
    state,
    ports: device.ports,
    freePorts: device.connected ? device.portStates.filter((p) => p.status === 1 && !p.isDisabled).length : 0,
  };
}

/**
 * The station as listed: a queue station's ports are its piles (one each), free when the pile is idle (working, no car
 * on it); a walk-up station's are its devices' ports (`walkUpPiles`, from the device bridge). `state` is the live
 * state (null for a walk-up station, which has none).
 */
export function stationView(info: StationInfo, state: StationState | null, walkUpPiles: StationPileInfo[] = []): StationView {
  const queuePiles = (state?.piles ?? []).map((p) => {
    const session = p.queue[0]?.session;
    const state = pileStatus(p.state, session != null && session.starting !== true);
    // free: working with no car on it (a car whose start the pile has not confirmed yet holds the port)
    const free = p.state === 'working' && p.queue.length === 0;
    return { pileNo: p.pileNo, mode: p.mode, powerW: p.powerW, state, ports: 1, freePorts: free ? 1 : 0 };
  });
  const piles = [...queuePiles, ...walkUpPiles];
  return {
    stationId: info.stationId, name: info.name, address: info.address, latitude: info.latitude,
    longitude: info.longitude, kind: info.kind, status: info.status, tariffId: info.tariffId,
    freePorts: piles.reduce((n, p) => n + p.freePorts, 0),
    totalPorts: piles.reduce((n, p) => n + p.ports, 0),
    piles,
    createdAt: info.createdAt,
    updatedAt: Math.max(info.updatedAt, state?.nowMs ?? 0),
  };
}

/** Does the keyword occur in the name or the address (case-insensitive, surrounding blanks ignored)? */
export function matchesKeyword(info: Pick<StationInfo, 'name' | 'address'>, keyword: string): boolean {
  const k = keyword.trim().toLowerCase();
  return k === '' || info.name.toLowerCase().includes(k) || info.address.toLowerCase().includes(k);
}

/**
 * The listing asked for: with `near`, each station's distance, only those within `radiusM`, nearest first (ties by
 * id); without, by id. `keyword` filters on name and address. Paged by pageNum/pageSize when given (else all).
 */
export function listStations<T extends StationView>(all: readonly T[], p: StationsParams): StationsResult & { items: T[] } {
  if (p.near) checkPoint(p.near);
  let rows = all.filter((s) => p.keyword === undefined || matchesKeyword(s, p.keyword));
  if (p.near) {
    const near = p.near;
    rows = rows.map((s) => ({ ...s, distanceM: distanceM(near, s) }))
      .filter((s) => near.radiusM === undefined || s.distanceM <= near.radiusM)
      .sort((a, b) => a.distanceM - b.distanceM || cmp(a.stationId, b.stationId));
  } else {
    rows = [...rows].sort((a, b) => cmp(a.stationId, b.stationId));
  }
  const total = rows.length;
  if (p.pageSize === undefined) return { total, items: rows };
  const from = ((p.pageNum ?? 1) - 1) * p.pageSize;
  return { total, items: rows.slice(from, from + p.pageSize) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

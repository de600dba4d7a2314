// Document 004's stations (004:192-310: nearby, detail, search) and the platform's station admin (DESIGN.md
// "Platform additions to /api": GET/POST /api/admin/stations, PUT /api/admin/stations/{stationId}). The scheduler owns stations and does the
// distances, the radius, the keyword and the pages (services/scheduler/src/domain/stations.ts); this file reads
// the query and writes 004's fields. Station ids are strings, as 004 writes them ("id": "string").
import { Type } from '@sinclair/typebox';
import type { PileState, StationStatus, StationView } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { iso, kw } from '../../../core/units.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { page004, type FormatContext } from '../format.js';
import { Closed, Page004, responses, StationPath, StringEnum } from '../schemas.js';

// ---- schemas ----
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Lat = Type.Number({ minimum: -90, maximum: 90, description: 'latitude, degrees (WGS 84)' });
const Lon = Type.Number({ minimum: -180, maximum: 180, description: 'longitude, degrees (WGS 84)' });
const IsoTime = Type.String({ description: 'ISO 8601 with offset' });
const PageNum = Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 });
const PageSize = Type.Integer({ minimum: 1, maximum: 200, default: 10 });
/** 004:201: radius in metres, default 5000; at most half the Earth's circumference (any farther is everywhere) */
export const DEFAULT_RADIUS_M = 5000;

export const NearbyQuery = Closed({
  latitude: Lat,
  longitude: Lon,
  radius: Type.Number({ exclusiveMinimum: 0, maximum: 20_100_000, default: DEFAULT_RADIUS_M, description: 'metres, default 5000' }),
  pageNum: PageNum,
  pageSize: PageSize,
});
export const SearchQuery = Closed({
  keyword: Type.String({ minLength: 1, maxLength: 100, description: 'matched in the name or the address (case-insensitive)' }),
  latitude: Type.Optional(Lat),
  longitude: Type.Optional(Lon),
  pageNum: PageNum,
  pageSize: PageSize,
});
export const StationIdPath = Closed({ id: Id });
export const CreateStationBody = Closed({
  stationId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'letters, digits, . _ -' }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  address: Type.String({ minLength: 1, maxLength: 300 }),
  latitude: Lat,
  longitude: Lon,
  kind: StringEnum(['queue', 'walk-up'] as const),
  tariffId: Type.Optional(Id),
});
/** An edit: any of these, at least one; the id and the kind never change (not in the list, so refused). */
export const UpdateStationBody = Closed({
  name: Type.Optional(CreateStationBody.properties.name),
  address: Type.Optional(CreateStationBody.properties.address),
  latitude: Type.Optional(Lat),
  longitude: Type.Optional(Lon),
  tariffId: Type.Optional(Id),
  status: Type.Optional(StringEnum(['offline', 'online', 'maintenance', 'fault'] as const)),
}, { minProperties: 1 });

const Station004 = {
  id: Type.String(),
  name: Type.String(),
  status: Type.Integer({ description: '0 offline, 1 online, 2 maintenance, 3 fault' }),
  address: Type.String(),
  latitude: Type.Number(),
  longitude: Type.Number(),
  description: Type.String(),
  availablePorts: Type.Integer({ description: 'free ports now (a walk-up station: 0, devices not registered yet)' }),
  totalPorts: Type.Integer(),
  updateTime: IsoTime,
};
export const NearbyItem = Type.Object({ ...Station004, distance: Type.Number({ description: 'metres' }) });
/** 004:290-304: as nearby's, without `description` */
const { description: _description, ...SearchFields } = Station004;
export const SearchItem = Type.Object({
  ...SearchFields,
  distance: Type.Optional(Type.Number({ description: 'metres; only when latitude and longitude were given' })),
});
export const Pile004 = Type.Object({
  id: Type.String({ description: '<stationId>-<pileNo>' }),
  pileNo: Type.String(),
  pileType: Type.Integer({ description: '1 DC fast, 2 AC slow' }),
  status: Type.Integer({ description: '0 offline (also switched off), 1 idle, 2 in use, 3 fault' }),
  powerRate: Type.Number({ description: 'kW' }),
  totalPorts: Type.Integer(),
  availablePorts: Type.Integer(),
});
export const StationDetail = Type.Object({ ...Station004, piles: Type.Array(Pile004) });
export const AdminStation = Type.Object({
  stationId: Type.String(),
  name: Type.String(),
  address: Type.String(),
  latitude: Type.Number(),
  longitude: Type.Number(),
  kind: StringEnum(['queue', 'walk-up'] as const),
  status: StringEnum(['offline', 'online', 'maintenance', 'fault'] as const),
  tariffId: Type.String(),
  availablePorts: Type.Integer(),
  totalPorts: Type.Integer(),
  createdAt: IsoTime,
  updateTime: IsoTime,
});

// ---- views (004's words) ----
/** 004:217 station status */
export const STATION_STATUS_004: Readonly<Record<StationStatus, number>> = { offline: 0, online: 1, maintenance: 2, fault: 3 };
/** 004:259 pile status: a pile switched off is not usable, shown as offline (004 has no code for it) */
export const PILE_STATUS_004: Readonly<Record<PileState, number>> = { offline: 0, off: 0, idle: 1, charging: 2, fault: 3 };

function description(s: StationView): string {
  return s.kind === 'queue' ? 'queue station: request a charge and wait for your number' : 'walk-up station: pick a pile and port';
}

export function station004(s: StationView, ctx: Pick<FormatContext, 'timeZone'>) {
  return {
    id: s.stationId,
    name: s.name,
    status: STATION_STATUS_004[s.status],
    address: s.address,
    latitude: s.latitude,
    longitude: s.longitude,
    description: description(s),
    availablePorts: s.freePorts,
    totalPorts: s.totalPorts,
    updateTime: iso(s.updatedAt, ctx.timeZone) as string,
  };
}

/** Metres, rounded to the centimetre. */
function metres(m: number): number {
  return Math.round(m * 100) / 100;
}

export function stationDetail004(s: StationView, ctx: Pick<FormatContext, 'timeZone'>) {
  return {
    ...station004(s, ctx),
    piles: s.piles.map((p) => ({
      id: `${s.stationId}-${p.pileNo}`,
      pileNo: p.pileNo,
      pileType: p.mode === 'fast' ? 1 : 2,
      status: PILE_STATUS_004[p.state],
      powerRate: kw(p.powerW),
      totalPorts: p.ports,
      availablePorts: p.freePorts,
    })),
  };
}

export function adminStation(s: StationView, ctx: Pick<FormatContext, 'timeZone'>) {
  return {
    stationId: s.stationId, name: s.name, address: s.address, latitude: s.latitude, longitude: s.longitude,
    kind: s.kind, status: s.status, tariffId: s.tariffId, availablePorts: s.freePorts, totalPorts: s.totalPorts,
    createdAt: iso(s.createdAt, ctx.timeZone) as string, updateTime: iso(s.updatedAt, ctx.timeZone) as string,
  };
}

/** search's point: both coordinates or neither (004:282-283). */
export function searchPoint(q: { latitude?: number; longitude?: number }): { latitude: number; longitude: number } | undefined {
  if (q.latitude === undefined && q.longitude === undefined) return undefined;
  if (q.latitude === undefined || q.longitude === undefined) {
    throw new DomainError('VALIDATION', 'give both latitude and longitude, or neither');
  }
  return { latitude: q.latitude, longitude: q.longitude };
}

export function stationRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.get('/station/nearby', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'stations within radius metres of a point, nearest first (great-circle distance)',
      security,
      querystring: NearbyQuery,
      response: responses(Page004(NearbyItem)),
    },
    config: { resource: 'station' },
  }, async (req) => {
    const { latitude, longitude, radius, pageNum, pageSize } = req.query;
    const r = await deps.call(req, 'scheduler.stations', { near: { latitude, longitude, radiusM: radius }, pageNum, pageSize });
    const fmt = deps.fmt();
    return ok(page004({ ...r, pageNum, pageSize }, (s) => ({ ...station004(s, fmt), distance: metres(s.distanceM ?? 0) })));
  });

  api.get('/station/search', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'stations whose name or address holds the keyword; with a point, nearest first and with distances',
      security,
      querystring: SearchQuery,
      response: responses(Page004(SearchItem)),
    },
    config: { resource: 'station' },
  }, async (req) => {
    const { keyword, pageNum, pageSize } = req.query;
    const near = searchPoint(req.query);
    const r = await deps.call(req, 'scheduler.stations', { keyword, pageNum, pageSize, ...(near ? { near } : {}) });
    const fmt = deps.fmt();
    return ok(page004({ ...r, pageNum, pageSize }, (s) => {
      const { description: _d, ...item } = station004(s, fmt);
      return { ...item, ...(near && s.distanceM !== undefined ? { distance: metres(s.distanceM) } : {}) };
    }));
  });

  // after /station/nearby and /station/search (fastify prefers the static paths anyway)
  api.get('/station/:id', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'one station with its piles', security, params: StationIdPath, response: responses(StationDetail) },
    config: { resource: 'station' },
  }, async (req) => ok(stationDetail004(await deps.call(req, 'scheduler.getStation', { stationId: req.params.id }), deps.fmt())));

  api.get('/admin/stations', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'every station (by id)', security, response: responses(Type.Array(AdminStation)) },
    config: { resource: 'station' },
  }, async (req) => {
    const r = await deps.call(req, 'scheduler.stations', {});
    const fmt = deps.fmt();
    return ok(r.items.map((s) => adminStation(s, fmt)));
  });

  api.post('/admin/stations', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: 'create a station at runtime (a queue station starts with the default settings; tariff default unless named)',
      security,
      body: CreateStationBody,
      response: responses(AdminStation),
    },
    config: { resource: 'station' },
  }, async (req) => ok(adminStation(await deps.call(req, 'scheduler.createStation', req.body), deps.fmt())));

  api.put('/admin/stations/:stationId', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: "edit a station's name, address, place, tariff or status (only the fields given; new sessions use the new tariff)",
      security,
      params: StationPath,
      body: UpdateStationBody,
      response: responses(AdminStation),
    },
    config: { resource: 'station' },
  }, async (req) => ok(adminStation(
    await deps.call(req, 'scheduler.updateStation', { ...req.body, stationId: req.params.stationId }), deps.fmt(),
  )));
}

// Platform additions for admins: station board and configuration, pile switching, the shared clock, reports.
import { STATION_SETTING_ALIASES, type StationSettingAlias } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { boardView, clockView, pileView, reportView, stationConfigView } from '../format.js';
import { parseTime, powerWFromKw, reportPeriod } from '../../../core/parse.js';
import {
  Board,
  ClockAdvanceBody,
  ClockSetBody,
  ClockView,
  PileBoardView,
  PilePath,
  PileStatusBody,
  PileStatusQuery,
  ReportsQuery,
  ReportView,
  StationConfigBody,
  StationConfigView,
  StationPath,
  responses,
} from '../schemas.js';
import type { Static } from '@sinclair/typebox';

type ConfigBody = Static<typeof StationConfigBody>;

/** Edge config (kW, aliases) -> scheduler.configure params (W). */
export function configureParams(stationId: string, body: ConfigBody) {
  const merged: Record<string, unknown> = {};
  for (const key of ['fastPiles', 'slowPiles', 'waitingAreaSize', 'pileQueueLength', 'faultPolicy', 'dispatchMode', 'timeZone'] as const) {
    if (body[key] !== undefined) merged[key] = body[key];
  }
  // the setting names of older stations: one table, shared with the engine
  for (const [alias, key] of Object.entries(STATION_SETTING_ALIASES) as [StationSettingAlias, string][]) {
    const value = body[alias];
    if (value === undefined) continue;
    if (merged[key] !== undefined && merged[key] !== value) {
      throw new DomainError('VALIDATION', `${alias} and ${key} disagree (${value} vs ${String(merged[key])})`);
    }
    merged[key] = value;
  }
  if (body.fastPowerKw !== undefined) merged.fastPowerW = powerWFromKw(body.fastPowerKw, 'fastPowerKw');
  if (body.slowPowerKw !== undefined) merged.slowPowerW = powerWFromKw(body.slowPowerKw, 'slowPowerKw');
  if (Object.keys(merged).length === 0) throw new DomainError('VALIDATION', 'no setting given');
  return { stationId, ...merged };
}

export function adminRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.get('/admin/stations/:stationId/board', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'the live station: piles with their queues, waiting area, fault queue', security, params: StationPath, response: responses(Board) },
    config: { resource: 'station' },
  }, async (req) => ok(boardView(await deps.call(req, 'scheduler.board', { stationId: req.params.stationId }), deps.fmt())));

  api.put('/admin/stations/:stationId/config', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: 'change the station (refused while cars are queued); powers in kW',
      security,
      params: StationPath,
      body: StationConfigBody,
      response: responses(StationConfigView),
    },
    config: { resource: 'station' },
  }, async (req) => {
    const params = configureParams(req.params.stationId, req.body);
    return ok(stationConfigView(await deps.call(req, 'scheduler.configure', params)));
  });

  api.post('/admin/piles/:pileNo/status', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: 'switch a pile on/off or report a fault / repair',
      security,
      params: PilePath,
      querystring: PileStatusQuery,
      body: PileStatusBody,
      response: responses(PileBoardView),
    },
    config: { resource: 'pile' },
  }, async (req) => {
    const pile = await deps.call(req, 'scheduler.pileStatus', { stationId: req.query.stationId, pileNo: req.params.pileNo, status: req.body.status });
    return ok(pileView(pile));
  });

  api.get('/admin/clock', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'the platform clock', security, response: responses(ClockView) },
    config: { resource: 'clock' },
  }, async (req) => ok(clockView(await deps.call(req, 'scheduler.clockGet', {}), deps.fmt())));

  api.put('/admin/clock', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'set the clock mode (real | scaled | manual), time and speed', security, body: ClockSetBody, response: responses(ClockView) },
    config: { resource: 'clock' },
  }, async (req) => {
    const { mode, time, speed } = req.body;
    const params: { mode: typeof mode; timeMs?: number; speed?: number } = { mode };
    if (time !== undefined) params.timeMs = parseTime(time, deps.timeZone, 'time');
    if (speed !== undefined) params.speed = speed;
    return ok(clockView(await deps.call(req, 'scheduler.clockSet', params, { timeoutMs: deps.clockRpcTimeoutMs }), deps.fmt()));
  });

  api.post('/admin/clock/advance', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: 'move the clock forward to a time or by seconds; every completion due on the way happens at its own instant',
      security,
      body: ClockAdvanceBody,
      response: responses(ClockView),
    },
    config: { resource: 'clock' },
  }, async (req) => {
    const { to, seconds } = req.body;
    if ((to === undefined) === (seconds === undefined)) throw new DomainError('VALIDATION', 'give exactly one of "to" and "seconds"');
    const params = to !== undefined ? { toMs: parseTime(to, deps.timeZone, 'to') } : { seconds: seconds as number };
    return ok(clockView(await deps.call(req, 'scheduler.clockAdvance', params, { timeoutMs: deps.clockRpcTimeoutMs }), deps.fmt()));
  });

  api.get('/admin/reports', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: 'per-pile report for a day, week or month: sessions, duration, kWh, energy fee, service fee, total (by session end)',
      security,
      querystring: ReportsQuery,
      response: responses(ReportView),
    },
    config: { resource: 'station' },
  }, async (req) => {
    const { stationId, pileNo, period, date } = req.query;
    const { fromMs, toMs } = reportPeriod(period, date, deps.timeZone);
    const report = await deps.call(req, 'billing.report', { stationId, fromMs, toMs, ...(pileNo !== undefined ? { pileNo } : {}) });
    return ok(reportView({ stationId, period, fromMs, toMs }, report, deps.fmt()));
  });
}

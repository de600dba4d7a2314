// Document 002's admin pages: login, home page, the station board with a switch per pile (002:34, 002:790), one
// pile's report (002:229) and its cars (002:366). The board is scheduler.board of the configured station; a pile's
// totals are billing's bills of that pile since the platform began (billing.report, as `GET /api/admin/reports`).
import type { FastifyRequest } from 'fastify';
import type { BoardResult, CarView, PileView, QueueEntryView } from '@voltq/contracts';
import { DomainError, isDomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { adminLogin, carKey, carsOf, pileTotals, stationBoard } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { localTime } from '../../../core/units.js';
import { carBlock002, pileHead002, pileTotals002 } from '../format.js';
import { LoginBody, ManageBody, PileQuery } from '../schemas.js';

const security = [{ token: [] }];

/** A pile the switch leaves as it is: on = working (idle or charging); off = not working (off, faulty, offline). */
function alreadySwitched(pile: PileView, status: 'on' | 'off'): boolean {
  const working = pile.state === 'idle' || pile.state === 'charging';
  return status === 'on' ? working : !working;
}

export function adminRoutes(api: Api, deps: RouteDeps): void {
  const board = (req: FastifyRequest) => stationBoard(deps, req);
  const pileOf = (b: BoardResult, id: string): PileView => {
    const pile = b.piles.find((p) => p.pileNo === id);
    if (!pile) throw new DomainError('NOT_FOUND', `no pile ${id} at this station`, { resource: 'pile' });
    return pile;
  };
  const totals = (req: FastifyRequest, b: BoardResult, pileNo?: string) => pileTotals(deps, req, b, pileNo);
  const blocks = (entries: QueueEntryView[], cars: Map<string, CarView>) =>
    entries.map((e) => carBlock002(e, cars.get(carKey(e))));

  api.post('/admin/login', { schema: { tags: [TAG], summary: 'admin log in', body: LoginBody }, config: { resource: 'login' } }, async (req, reply) => {
    const result = await adminLogin(deps, req, reply, { username: req.body.account, password: req.body.password });
    return ok({ token: result.token, account: req.body.account }, '登录成功');
  });

  api.get('/admin/index', { onRequest: deps.admin, schema: { tags: [TAG], summary: 'admin home page', security } }, async () => ok({}));

  api.get('/admin/index/manage', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'the station: piles with their cars and totals, the waiting cars', security },
    config: { resource: 'station' },
  }, async (req) => {
    const b = await board(req);
    // the fault queue is served before the waiting area (rule 5): its cars come first among the waiting ones
    const waiting = [...b.faultQueue, ...b.waitingArea];
    const [rows, cars] = await Promise.all([totals(req, b), carsOf(deps, req, [...b.piles.flatMap((p) => p.queue), ...waiting])]);
    return ok({
      id: b.stationId,
      name: b.stationId,
      charge_array: b.piles.map((p) => ({ ...pileHead002(p), ...pileTotals002(rows.get(p.pileNo)), car_blocks: blocks(p.queue, cars) })),
      wait_array: blocks(waiting, cars),
    });
  });

  api.post('/admin/index/manage', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'switch piles on (SWITCHON) or off (SWITCHOFF)', security, body: ManageBody },
    config: { resource: 'pile' },
  }, async (req) => {
    const status = req.body.mode === 'SWITCHON' ? 'on' : 'off';
    const b = await board(req);
    // every id is checked before any pile is switched: an unknown one switches nothing
    const piles = [...new Set(req.body.switch_array)].map((id) => pileOf(b, id));
    for (const pile of piles) {
      if (alreadySwitched(pile, status)) continue;
      try {
        await deps.call(req, 'scheduler.pileStatus', { stationId: deps.defaultStationId, pileNo: pile.pileNo, status });
      } catch (err) {
        // the pile changed since the board was read and is already where the switch puts it
        if (isDomainError(err) && err.code === 'PILE_STATE') continue;
        throw err;
      }
    }
    return ok({}, status === 'on' ? '开启成功' : '关闭成功');
  });

  api.get('/admin/index/report', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: "one pile's state and totals", security, querystring: PileQuery },
    config: { resource: 'pile' },
  }, async (req) => {
    const b = await board(req);
    const pile = pileOf(b, req.query.charge_id);
    const rows = await totals(req, b, pile.pileNo);
    return ok({ ...pileHead002(pile), ...pileTotals002(rows.get(pile.pileNo)), time: localTime(b.timeMs, deps.timeZone) });
  });

  api.get('/admin/index/charge', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'the cars a pile serves, head first', security, querystring: PileQuery },
    config: { resource: 'pile' },
  }, async (req) => {
    const pile = pileOf(await board(req), req.query.charge_id);
    return ok({ ...pileHead002(pile), car_blocks: blocks(pile.queue, await carsOf(deps, req, pile.queue)) });
  });
}

// Document 004's charging control (004:1089-1288): start and stop by order, a pile's and a port's live status, the
// detailed start (a card start: device.command start with the caller's card as idTag) and stop, and the pile's
// configuration bytes (operators only). Every command is answered after the pile's acknowledgement: refused 5001,
// no answer in 10 s 5002 (device.command's TIMEOUT reason PILE_TIMEOUT).
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { DeviceControl, OrderView } from '@voltq/contracts';
import { DomainError, isDomainError } from '@voltq/kit';
import { principal, type Api } from '../../../core/context.js';
import { ownOrder } from '../../../core/use-cases.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { ORDER_STATUS_004 } from '../format.js';
import { findPile, visibleOrders } from '../lookup.js';
import { pileControlStatus004, portControlStatus004, portOf, type PileModel } from '../piles.js';
import { Closed, responses } from '../schemas.js';
import { cardStartTarget, MAX_PORT_NO } from '../walkup.js';
import { PILE_COMMAND_RPC_TIMEOUT_MS, StopReason, stopOrder } from './walkup.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const DeviceAddress = Type.String({ minLength: 1, maxLength: 128, description: "the pile's device id (its imei)" });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Port = Type.Integer({ minimum: 1, maximum: MAX_PORT_NO, description: 'the port number, default 1' });
const Status = Type.Integer({ description: '0 offline, 1 idle, 2 in use, 3 fault' });
const CardIdText = Type.String({ minLength: 1, maxLength: 20, pattern: '^[\\x21-\\x7E]+$', description: "one of the caller's cards (/api/user/cards)" });

export const StartBody = Closed({ orderId: Id, deviceAddress: DeviceAddress });
export const StopBody = Closed({ orderId: Id, deviceAddress: DeviceAddress, stopReason: StopReason });
export const ControlResult = Type.Object({
  success: Type.Boolean({ description: 'the order is charging (start) / the stop was acknowledged (stop)' }),
  orderId: Type.String(),
  status: Type.Integer({ description: "the order's status: 0 created, 1 charging, 2 finished, 3 cancelled, 4 abnormal" }),
});
export const PileStatusQuery = Closed({ deviceAddress: DeviceAddress, portNo: Type.Optional(Type.String({ pattern: '^[1-9][0-9]?$', description: 'one port only (1..99)' })) });
export const PileControlStatus = Type.Object({
  deviceAddress: Type.String(),
  status: Status,
  ports: Type.Array(Type.Object({
    portNo: Type.String(),
    status: Status,
    voltage: Type.Number(),
    currentAmpere: Type.Number(),
    power: Type.Number({ description: 'kW' }),
    temperature: Type.Number(),
    electricity: Type.Number({ description: 'kWh of the session on the port' }),
    currentOrderId: Nullable(Type.String({ description: "the caller's own order only (an operator sees every one)" })),
  })),
});
export const DevicePath = Closed({ deviceAddress: DeviceAddress });
export const DetailedStartBody = Closed({
  port: Type.Optional(Port),
  orderId: Type.Optional(Id),
  startMode: Type.Integer({ minimum: 1, maximum: 2, description: '1 card (cardId), 2 remote (orderId of an order made by /api/order/create)' }),
  cardId: Type.Optional(CardIdText),
  chargingMode: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'a card start: 1 until full or 4 energy' })),
  chargingParam: Type.Optional(Type.Integer({ minimum: 0, description: 'a card start in mode 4: 0.01 kWh' })),
  availableAmount: Type.Optional(Type.Integer({ minimum: 0, description: "0.01 yuan; not used: the card owner's balance pays" })),
});
export const DetailedStopBody = Closed({
  port: Type.Optional(Port),
  orderId: Type.Optional(Id),
  stopReason: Type.Optional(StopReason),
});
export const CommandSent = Type.Object({ message: Type.String() });
export const PortQuery = Closed({ port: Type.Optional(Port) });
export const PortControlStatus = Type.Object({
  deviceAddress: Type.String(),
  port: Type.Integer(),
  status: Status,
  voltage: Type.Number(),
  current: Type.Number({ description: 'A' }),
  power: Type.Number({ description: 'kW' }),
  temperature: Type.Number(),
  electricity: Type.Number({ description: 'kWh' }),
  chargingTime: Type.Integer({ description: 'seconds of the session on the port (0 without one)' }),
  orderId: Nullable(Type.String({ description: "the caller's own order only (an operator sees every one)" })),
  updateTime: Type.String(),
});
export const ConfigBody = Closed({ config: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1, maxItems: 4096, description: 'the bytes, as the pile takes them' }) });

/** The device address of an order (its device; a queue pile's `<stationId>-<pileNo>`) and its port. */
function placeOf(order: OrderView): { deviceAddress?: string; portNo: number } {
  const deviceAddress = order.deviceId ?? order.pileId ?? (order.pileNo !== undefined ? `${order.stationId}-${order.pileNo}` : undefined);
  return { ...(deviceAddress !== undefined ? { deviceAddress } : {}), portNo: order.portNo ?? 1 };
}

/** The caller's order on that device (and port): anything else is NOT_FOUND (3001), as another user's order is. */
async function ownOrderOn(deps: RouteDeps, req: FastifyRequest, orderId: string, deviceAddress: string, portNo?: number): Promise<OrderView> {
  const order = await ownOrder(deps, req, principal(req).userId, orderId);
  const place = placeOf(order);
  if (place.deviceAddress !== deviceAddress || (portNo !== undefined && place.portNo !== portNo)) {
    throw new DomainError('NOT_FOUND', `order ${orderId} is not on ${deviceAddress}${portNo !== undefined ? ` port ${portNo}` : ''}`, { resource: 'order' });
  }
  return order;
}

/** A command to the pile, answered once the pile acknowledged it; a refusal is 5001 (PILE_STATE PILE_REFUSED). */
async function command(deps: RouteDeps, req: FastifyRequest, pile: PileModel, control: DeviceControl) {
  if (pile.deviceId === undefined) throw new DomainError('PILE_STATE', `pile ${pile.pileId} is modelled by its queue station and takes no commands`, { resource: 'pile' });
  const answer = await deps.call(req, 'device.command', { deviceId: pile.deviceId, control }, { timeoutMs: PILE_COMMAND_RPC_TIMEOUT_MS });
  if (!answer.accepted) throw new DomainError('PILE_STATE', `the pile refused the ${control.command} command`, { resource: 'pile', reason: 'PILE_REFUSED' });
  return answer;
}

export function controlRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.post('/ChargingPile/start', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: "an order made by /api/order/create starts on its pile at once: this answers whether it is charging (a re-start is not offered)",
      security,
      body: StartBody,
      response: responses(ControlResult),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await ownOrderOn(deps, req, req.body.orderId, req.body.deviceAddress);
    return ok({ success: order.state === 'charging', orderId: order.orderId, status: ORDER_STATUS_004[order.state] });
  });

  api.post('/ChargingPile/stop', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "stop one of the caller's orders on that pile (answered after the pile's acknowledgement)", security, body: StopBody, response: responses(ControlResult) },
    config: { resource: 'order' },
  }, async (req) => {
    const order = await ownOrderOn(deps, req, req.body.orderId, req.body.deviceAddress);
    const stopped = await stopOrder(deps, req, order, req.body.stopReason);
    return ok({ success: true, orderId: stopped.orderId, status: ORDER_STATUS_004[stopped.state] });
  });

  api.get('/ChargingPile/status', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "a pile's status and its ports live (portNo: one port)", security, querystring: PileStatusQuery, response: responses(PileControlStatus) },
    config: { resource: 'pile' },
  }, async (req) => {
    const pile = await findPile(deps, req, { deviceId: req.query.deviceAddress });
    const wanted = req.query.portNo !== undefined ? Number(req.query.portNo) : undefined;
    const ports = wanted === undefined ? pile.ports : pile.ports.filter((p) => p.portNo === wanted);
    if (wanted !== undefined && ports.length === 0) throw new DomainError('NOT_FOUND', `no port ${wanted} on ${req.query.deviceAddress}`, { resource: 'port' });
    return ok(pileControlStatus004(pile, ports, await visibleOrders(deps, req, ports.map((p) => p.orderId))));
  });

  api.post('/ChargingPile/:deviceAddress/start', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: "start on a port: startMode 1 with one of the caller's cards (the pile starts a card session), 2 with an order of /api/order/create (answers whether it is charging)",
      security,
      params: DevicePath,
      body: DetailedStartBody,
      response: responses(CommandSent),
    },
    config: { resource: 'pile' },
  }, async (req) => {
    const { deviceAddress } = req.params;
    const { port = 1, orderId, startMode, cardId, chargingMode, chargingParam } = req.body;
    if (startMode === 2) {
      if (orderId === undefined) throw new DomainError('VALIDATION', 'startMode 2 needs orderId (an order of /api/order/create)');
      const order = await ownOrderOn(deps, req, orderId, deviceAddress, port);
      if (order.state !== 'charging') throw new DomainError('CONFLICT', `order ${orderId} is not charging: make a new order (a re-start is not offered)`, { resource: 'order' });
      return ok({ message: '启动充电命令已发送' });
    }
    if (cardId === undefined) throw new DomainError('VALIDATION', 'startMode 1 needs cardId');
    const target = cardStartTarget(chargingMode, chargingParam);
    // OCPP compares idTags without case: the card as the caller bound it
    const cards = await deps.call(req, 'auth.listCards', { userId: principal(req).userId });
    const card = cards.items.find((c) => c.cardId.toLowerCase() === cardId.toLowerCase());
    if (!card) throw new DomainError('NOT_FOUND', `card ${cardId} is not one of your cards`, { resource: 'card' });
    const pile = await findPile(deps, req, { deviceId: deviceAddress });
    if (!portOf(pile, port)) throw new DomainError('NOT_FOUND', `no port ${port} on ${deviceAddress}`, { resource: 'port' });
    await command(deps, req, pile, { command: 'start', portNo: port, sessionId: randomUUID(), idTag: card.cardId, ...target });
    return ok({ message: '启动充电命令已发送' });
  });

  api.post('/ChargingPile/:deviceAddress/stop', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: "stop the caller's order on a port (orderId, or the one charging on the port); answered after the pile's acknowledgement",
      security,
      params: DevicePath,
      body: DetailedStopBody,
      response: responses(CommandSent),
    },
    config: { resource: 'order' },
  }, async (req) => {
    const { deviceAddress } = req.params;
    const { port = 1, stopReason = 1 } = req.body;
    let orderId = req.body.orderId;
    if (orderId === undefined) {
      const pile = await findPile(deps, req, { deviceId: deviceAddress });
      const live = portOf(pile, port);
      if (!live) throw new DomainError('NOT_FOUND', `no port ${port} on ${deviceAddress}`, { resource: 'port' });
      if (live.orderId === undefined) throw new DomainError('PILE_STATE', `port ${port} is not charging`, { resource: 'pile', reason: 'PILE_NOT_CHARGING' });
      const own = (await visibleOrders(deps, req, [live.orderId]))(live.orderId);
      if (own === null) throw new DomainError('NOT_FOUND', `the session on port ${port} is not yours`, { resource: 'order' });
      orderId = own;
    }
    const order = await ownOrderOn(deps, req, orderId, deviceAddress, port);
    await stopOrder(deps, req, order, stopReason);
    return ok({ message: '停止充电命令已发送' });
  });

  api.get('/ChargingPile/:deviceAddress/status', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: 'one port of a pile, live', security, params: DevicePath, querystring: PortQuery, response: responses(PortControlStatus) },
    config: { resource: 'pile' },
  }, async (req) => {
    const pile = await findPile(deps, req, { deviceId: req.params.deviceAddress });
    const portNo = req.query.port ?? 1;
    const port = portOf(pile, portNo);
    if (!port) throw new DomainError('NOT_FOUND', `no port ${portNo} on ${req.params.deviceAddress}`, { resource: 'port' });
    let chargingMs = 0;
    if (port.orderId !== undefined) {
      try {
        chargingMs = (await deps.call(req, 'scheduler.walkUpSession', { orderId: port.orderId })).durationMs;
      } catch (err) {
        if (!(isDomainError(err) && err.code === 'NOT_FOUND')) throw err;
      }
    }
    const visible = await visibleOrders(deps, req, [port.orderId]);
    return ok(portControlStatus004(pile, port, visible(port.orderId), chargingMs, deps.fmt()));
  });

  // operators only, checked after the body is read: the path is 004's, not under /api/admin, and a malformed
  // request is a 400 whoever sends it
  api.post('/ChargingPile/:deviceAddress/config', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: "send the pile its configuration bytes (operators only: they change how the pile works for everyone); answered after the pile's acknowledgement",
      security,
      params: DevicePath,
      body: ConfigBody,
      response: responses(CommandSent),
    },
    config: { resource: 'pile' },
  }, async (req) => {
    if (principal(req).role !== 'admin') throw new DomainError('FORBIDDEN', "operators only: a pile's configuration changes it for everyone");
    const pile = await findPile(deps, req, { deviceId: req.params.deviceAddress });
    await command(deps, req, pile, { command: 'config', config: req.body.config });
    return ok({ message: '配置命令已发送' });
  });
}

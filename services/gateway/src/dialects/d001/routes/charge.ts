// 001's WebSocket `/user/charge?token&mode&quantity` (001:99-153): opening it queues the caller (or re-attaches to
// their live request), the socket is called to a pile, told of the start and the end, gets the settlement with the
// bills and is closed (1000). `revise` changes the request, `cancel` (VoltQ's) ends it; a dropped socket keeps it.
// Every frame is 001's `{code: 200 | -1, msg, type, ...}`; a refused opening is answered, then closed.
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { Bill, OrderView } from '@voltq/contracts';
import { isDomainError } from '@voltq/kit';
import type { Api } from '../../../core/context.js';
import { toDialectError } from '../../../core/errors.js';
import { energyWmsFromKwh } from '../../../core/parse.js';
import { DEFAULT_MAX_BUFFERED_BYTES, PUSH_CLOSE, sendWithinCap, type PushSocket } from '../../../core/push-hub.js';
import { closeSocket, pushSocket, socketToken, tokenRefusal, type SocketDeps } from '../../../core/push-socket.js';
import { cancelAndWaitForBill, currentRequest, modifyRequest, requestCharge } from '../../../core/use-cases.js';
import type { Principal } from '../../../core/jwt.js';
import { TAG, type RouteDeps } from '../context.js';
import { OK } from '../envelope.js';
import { ChargeConversation, parseClientFrame, type ClientCommand, type Frame001 } from '../conversation.js';
import { MODE_WORDS, modeOf001, settlement001, type ModeWord } from '../format.js';

/** Close codes of /user/charge beyond PUSH_CLOSE: the opening was refused (bad parameters, a refused request). */
export const CHARGE_CLOSE = { settled: 1000, refused: 4400 } as const;

const OpenQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096 })),
  mode: Type.Union(MODE_WORDS.map((m) => Type.Literal(m))),
  quantity: Type.Number({ exclusiveMinimum: 0 }),
}, { additionalProperties: false });
const openQuery = TypeCompiler.Compile(OpenQuery);

function failure(err: unknown, type: string): Frame001 {
  return { code: -1, type, msg: toDialectError('d001', err, 'order').message };
}

export function chargeSocketRoutes(api: Api, deps: RouteDeps, sockets: SocketDeps): void {
  api.route({
    method: 'GET',
    url: '/user/charge',
    // the query is checked in the socket (a refusal is a 001 frame, not an HTTP answer to the upgrade)
    attachValidation: true,
    schema: {
      tags: [TAG],
      summary: 'WebSocket: opening it queues the caller; pushes the call to a pile, the start, the stop and the settlement, then closes',
      description: 'Frames are `{code: 200 | -1, msg, type, ...}`: `queued` (the answer to the opening), `call`, `start`, `stop`, `modified`, `requeued`, `settlement`; ' +
        'client frames `{"operation": "revise", "mode": "quick", "quantity": 10}` and `{"operation": "cancel"}`. See docs/api/001.md "The charge socket".',
      querystring: OpenQuery,
    },
    config: { resource: 'order' },
    handler: async (_req, reply) => reply.code(426).header('upgrade', 'websocket').send({ code: -1, msg: '/user/charge is a WebSocket: send Upgrade: websocket' }),
    wsHandler: (socket, req) => void new ChargeSocket(socket, req, deps, sockets).open(),
  });
}

/** One open `/user/charge` socket: its conversation, the calls it makes and what it sends. */
class ChargeSocket {
  private readonly conversation: ChargeConversation;
  /** the hub's view of the socket (its send-buffer cap) */
  private readonly out: PushSocket;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private settling = false;
  private who: Principal | undefined;
  /** pushes and client commands one at a time, in arrival order */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private readonly req: FastifyRequest,
    private readonly deps: RouteDeps,
    private readonly sockets: SocketDeps,
  ) {
    this.conversation = new ChargeConversation(deps.timeZone);
    this.out = pushSocket(socket);
    // listeners first: nothing async may miss a close
    socket.on('close', () => {
      this.closed = true;
      this.unsubscribe?.();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('message', (data) => this.step(() => this.command(String(data))));
  }

  async open(): Promise<void> {
    const query = this.req.query as Record<string, unknown>;
    if (!openQuery.Check(query)) {
      const first = [...openQuery.Errors(query)][0];
      return this.refuse(CHARGE_CLOSE.refused, `${first ? `${first.path.slice(1) || 'query'}: ${first.message}` : 'bad query'}; expected ?token&mode=fast|common&quantity=<kWh>`);
    }
    const token = socketToken(this.req);
    if (!token) return this.refuse(PUSH_CLOSE.unauthorized, 'missing token: send it as the query parameter token');
    try {
      this.who = await this.sockets.verifier.verify(token);
    } catch (err) {
      const { code, reason } = tokenRefusal(err);
      return this.refuse(code, reason);
    }
    if (this.closed) return;
    const userId = this.who.userId;
    // subscribed before the request is made: its first events cannot be missed
    this.unsubscribe = this.sockets.hub.subscribe(userId, (event) => this.step(async () => this.sendAll(this.conversation.onEvent(event))));
    let order: OrderView;
    let reattached = false;
    try {
      order = await currentRequest(this.deps, this.req, userId);
      reattached = true;
    } catch (err) {
      if (!isDomainError(err) || err.code !== 'NOT_FOUND') return this.refuse(CHARGE_CLOSE.refused, failure(err, 'queued').msg);
      try {
        order = await requestCharge(this.deps, this.req, {
          userId,
          mode: modeOf001(query.mode as ModeWord),
          energyWms: energyWmsFromKwh(query.quantity as number, 'quantity'),
        });
      } catch (refused) {
        return this.refuse(CHARGE_CLOSE.refused, failure(refused, 'queued').msg);
      }
    }
    this.step(async () => this.sendAll(this.conversation.follow(order, reattached)));
  }

  private step(run: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      await run();
      if (this.conversation.ended && !this.settling) await this.settle();
    }).catch((err: unknown) => this.req.log.warn({ err, correlationId: this.req.correlationId }, 'a /user/charge frame failed'));
  }

  private sendAll(frames: Frame001[]): void {
    for (const frame of frames) {
      if (this.closed) return;
      if (!sendWithinCap(this.out, JSON.stringify(frame), DEFAULT_MAX_BUFFERED_BYTES)) {
        this.closed = true;
        closeSocket(this.socket, PUSH_CLOSE.tooSlow, 'too slow: the send buffer is full');
        return;
      }
    }
  }

  private refuse(code: number, msg: string): void {
    this.sendAll([{ code: -1, type: 'queued', msg }]);
    this.closed = true;
    this.unsubscribe?.();
    closeSocket(this.socket, code, msg.slice(0, 120));
  }

  private async command(text: string): Promise<void> {
    const orderId = this.conversation.followed;
    const parsed: ClientCommand | Error = parseClientFrame(text);
    if (parsed instanceof Error) return this.sendAll([{ code: -1, type: 'error', msg: parsed.message }]);
    if (!orderId || !this.who) return this.sendAll([{ code: -1, type: parsed.operation, msg: 'the request is not queued yet: wait for the answer to the opening' }]);
    const userId = this.who.userId;
    try {
      if (parsed.operation === 'cancel') {
        await cancelAndWaitForBill(this.deps, this.req, { orderId, userId });
        return this.sendAll([{ code: OK, type: 'cancel', msg: '取消成功' }]);
      }
      const order = await modifyRequest(this.deps, this.req, { orderId, userId, ...(parsed.mode ? { mode: parsed.mode } : {}), ...(parsed.energyWms !== undefined ? { energyWms: parsed.energyWms } : {}) });
      return this.sendAll([{ code: OK, type: 'revise', msg: '修改成功', queueNo: order.queueNo ?? '' }]);
    } catch (err) {
      return this.sendAll([failure(err, parsed.operation)]);
    }
  }

  /** The order ended: every session's bill (pushed already, or asked of billing, bounded), the settlement, the close. */
  private async settle(): Promise<void> {
    this.settling = true;
    const orderId = this.conversation.followed!;
    const userId = this.who!.userId;
    const order = await this.deps.call(this.req, 'order.get', { orderId, userId });
    let complete = true;
    const bills = await Promise.all(this.conversation.sessions(order).map(async (sessionId): Promise<Bill | undefined> => {
      const pushed = this.conversation.billOf(sessionId);
      if (pushed) return pushed;
      try {
        return await this.deps.call(this.req, 'billing.sessionBill', { sessionId, userId, waitMs: this.deps.billWaitMs }, { timeoutMs: this.deps.billWaitMs + 2000 });
      } catch (err) {
        if (!isDomainError(err) || (err.code !== 'NOT_FOUND' && err.code !== 'TIMEOUT')) throw err;
        complete = false;
        return undefined;
      }
    }));
    this.sendAll([settlement001(order, bills.filter((b): b is Bill => b !== undefined), complete, this.deps.timeZone)]);
    this.closed = true;
    this.unsubscribe?.();
    closeSocket(this.socket, CHARGE_CLOSE.settled, 'settled');
  }
}

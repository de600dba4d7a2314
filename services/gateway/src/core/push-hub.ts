// The gateway's push hub: the platform's events reach this replica through one transient queue of its own, bound to
// the events exchange (every replica has one, so every replica sees every event and any replica can hold any
// socket); the hub hands them to the sockets and listeners of this process only. `/api/ws` (dialects/ws) attaches
// sockets; 001's `/user/charge` subscribes to a user's raw events. Who gets what: domain/push-routing.ts.
import { randomBytes } from 'node:crypto';
import type { Bill, BoardResult, OrderView, RpcMethod, RpcParams, RpcResult } from '@voltq/contracts';
import type { Bus, Logger } from '@voltq/kit';
import type { Principal } from './jwt.js';
import {
  Coalescer,
  fitsSendBuffer,
  isUserEvent,
  PushRoutes,
  PUSH_EVENT_TYPES,
  stationOf,
  type PushEvent,
  type UserEvent,
} from '../domain/push-routing.js';

/** What the hub needs of a WebSocket (the `ws` socket fits). */
export interface PushSocket {
  /** bytes queued for sending and not yet written out */
  readonly bufferedAmount: number;
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** Close codes of /api/ws (4000-4999 are the application's). */
export const PUSH_CLOSE = {
  /** missing, invalid or expired token, or its account is gone */
  unauthorized: 4401,
  /** the token could not be checked now (keys not loaded, auth unreachable): try again */
  unavailable: 1013,
  /** the socket did not read its pushes: its send buffer reached the cap */
  tooSlow: 4408,
  /** the gateway is shutting down */
  goingAway: 1001,
} as const;

/** A push of /api/ws: the caller's order (document 004's order view) after the event `type`. */
export interface OrderPush {
  type: UserEvent['type'];
  /** as the dialect that attached the socket shows an order (004: its order detail) */
  order: unknown;
}

/** A push of /api/ws to admins: a station's board (as `GET /api/admin/stations/{id}/board`) after `event`. */
export interface BoardPush {
  type: 'board';
  event: PushEvent['type'];
  stationId: string;
  board: unknown;
}

/** How the pushes show an order and a board: the attaching dialect's views (core formats nothing itself). */
export interface PushViews {
  /** the order after the event; `bill` when the event is that order's new bill (not yet linked by the order service) */
  order(order: OrderView, bill: Bill | undefined): unknown;
  board(board: BoardResult): unknown;
}

export type PushListener = (event: UserEvent) => void;

type Call = <M extends RpcMethod>(method: M, params: RpcParams<M>) => Promise<RpcResult<M>>;

export interface PushHubDeps {
  bus: Pick<Bus, 'consume' | 'call'>;
  log: Logger;
  views: PushViews;
  /** per-socket cap of unsent bytes; a socket past it is closed (default 1 MiB) */
  maxBufferedBytes?: number;
  /** RPC timeout of the fetches behind a push (default 3 s) */
  rpcTimeoutMs?: number;
}

interface Attached {
  userId: string;
  admin: boolean;
  socket: PushSocket;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** Sends `text` unless it would take the socket's unsent bytes past the cap; false: the frame was not sent. */
export function sendWithinCap(socket: PushSocket, text: string, maxBufferedBytes: number): boolean {
  if (!fitsSendBuffer(socket.bufferedAmount, Buffer.byteLength(text), maxBufferedBytes)) return false;
  socket.send(text);
  return true;
}

export class PushHub {
  private readonly sockets = new PushRoutes<Attached>();
  private readonly listeners = new Map<string, Set<PushListener>>();
  /** per user, the push being prepared: pushes of one user leave in event order */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly boards = new Coalescer();
  /** per station, the newest event that changed its board (what the next board push names) */
  private readonly boardEvents = new Map<string, PushEvent['type']>();
  private readonly maxBufferedBytes: number;
  private readonly call: Call;
  private stopConsumer: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(private readonly deps: PushHubDeps) {
    this.maxBufferedBytes = deps.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    const timeoutMs = deps.rpcTimeoutMs ?? 3000;
    this.call = (method, params) => deps.bus.call(method, params, { timeoutMs });
  }

  /** Sockets attached here (tests, metrics). */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Starts this replica's queue `<ns>.gateway.push.<random>` (exclusive, gone with the connection). */
  async start(): Promise<void> {
    const handle = await this.deps.bus.consume({
      queue: `push.${randomBytes(6).toString('hex')}`,
      types: [...PUSH_EVENT_TYPES],
      transient: true,
      // every replica must see every event: no cross-replica dedupe; a redelivered event is pushed again
      dedupe: false,
      prefetch: 100,
      handler: async (env) => this.deliver(env),
    });
    this.stopConsumer = handle.cancel;
  }

  /** Stops consuming and closes every socket (1001). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopConsumer?.().catch(() => undefined);
    for (const sub of this.sockets.all()) this.detach(sub, PUSH_CLOSE.goingAway, 'the gateway is shutting down');
  }

  /** The raw contract events of `userId`'s orders, sessions and bills, in arrival order; returns the unsubscribe. */
  subscribe(userId: string, listener: PushListener): () => void {
    let set = this.listeners.get(userId);
    if (!set) this.listeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.listeners.get(userId);
      if (current?.delete(listener) && current.size === 0) this.listeners.delete(userId);
    };
  }

  /** A socket of `who` gets `{type, order}` pushes of its orders (admins also `{type: 'board', ...}`); returns the detach. */
  attach(socket: PushSocket, who: Principal): () => void {
    const sub: Attached = { userId: who.userId, admin: who.role === 'admin', socket };
    this.sockets.add(sub);
    return () => this.sockets.remove(sub);
  }

  /** One event from the queue (public for tests): listeners now, socket pushes once their data is fetched. */
  deliver(event: PushEvent): void {
    if (this.stopped) return;
    if (isUserEvent(event)) {
      for (const listener of [...(this.listeners.get(event.payload.userId) ?? [])]) {
        try {
          listener(event);
        } catch (err) {
          this.deps.log.warn({ err, type: event.type }, 'a push listener failed');
        }
      }
      if (this.sockets.hasUser(event.payload.userId)) this.chain(event.payload.userId, () => this.pushOrder(event));
    }
    if (this.sockets.adminCount > 0) {
      this.boardEvents.set(stationOf(event), event.type);
      this.refreshBoard(stationOf(event));
    }
  }

  private chain(userId: string, step: () => Promise<void>): void {
    const next = (this.chains.get(userId) ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.deps.log.warn({ err, userId }, 'a push could not be prepared');
    });
    this.chains.set(userId, next);
    void next.finally(() => {
      if (this.chains.get(userId) === next) this.chains.delete(userId);
    });
  }

  /** The order after the event, fetched once for every socket of its user on this replica. */
  private async pushOrder(event: UserEvent): Promise<void> {
    const { orderId, userId } = event.payload;
    const order: OrderView = await this.call('order.get', { orderId, userId });
    // the bill may be here before the order service linked it: the view counts it, as DELETE's answer does
    const push: OrderPush = { type: event.type, order: this.deps.views.order(order, event.type === 'bill.created' ? event.payload : undefined) };
    this.sendAll(this.sockets.usersOf(event), JSON.stringify(push));
  }

  /** One board fetch per station at a time, however many events: the one after it sees them all. */
  private refreshBoard(stationId: string): void {
    if (!this.boards.request(stationId)) return;
    const run = async (): Promise<void> => {
      try {
        const type = this.boardEvents.get(stationId);
        this.boardEvents.delete(stationId);
        if (this.sockets.adminCount === 0 || this.stopped || !type) return;
        const board = await this.call('scheduler.board', { stationId });
        const push: BoardPush = { type: 'board', event: type, stationId, board: this.deps.views.board(board) };
        this.sendAll(this.sockets.adminList(), JSON.stringify(push));
      } catch (err) {
        this.deps.log.warn({ err, stationId }, 'a board push could not be prepared');
      } finally {
        if (this.boards.done(stationId)) void run();
      }
    };
    void run();
  }

  private sendAll(subs: Attached[], text: string): void {
    for (const sub of subs) {
      if (!sendWithinCap(sub.socket, text, this.maxBufferedBytes)) {
        this.deps.log.info({ userId: sub.userId, bufferedBytes: sub.socket.bufferedAmount }, 'closing a push socket that does not read');
        this.detach(sub, PUSH_CLOSE.tooSlow, 'too slow: the send buffer is full');
      }
    }
  }

  private detach(sub: Attached, code: number, reason: string): void {
    this.sockets.remove(sub);
    try {
      sub.socket.close(code, reason);
    } catch {
      // already closed
    }
  }
}

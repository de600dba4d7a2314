// 001's charge socket as a conversation (001:140): the opening queues (or re-attaches to the live request), then
// the order's events become pushes: the call to a pile, the start, the stop, changes, a fault's requeue; the
// order's end asks for settlement (the route fetches the bills, pushes them and closes). Pure: the route
// (routes/charge.ts) does the I/O and feeds it events in arrival order.
import type { Bill, OrderView } from '@voltq/contracts';
import type { UserEvent } from '../../domain/push-routing.js';
import { numericPileId } from '../../core/numeric-ids.js';
import { kwh, localTime } from '../../core/units.js';
import { energyWmsFromKwh } from '../../core/parse.js';
import { MODE_WORDS, mode001, modeOf001, type ModeWord } from './format.js';
import { OK } from './envelope.js';

export type Frame001 = { code: number; msg: string; type: string } & Record<string, unknown>;

/** What a client may send (001:147): `revise` with a mode and/or a quantity; `cancel` is VoltQ's (docs/api/001.md). */
export type ClientCommand =
  | { operation: 'revise'; mode?: ReturnType<typeof modeOf001>; energyWms?: number }
  | { operation: 'cancel' };

const REVISE_HINT = 'send {"operation": "revise", "mode": "quick" | "common", "quantity": <kWh>} or {"operation": "cancel"}';

/** A client frame -> its command; a frame that is none is an Error with what to send (the socket stays open). */
export function parseClientFrame(text: string): ClientCommand | Error {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return new Error(`not JSON: ${REVISE_HINT}`);
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return new Error(`not an object: ${REVISE_HINT}`);
  const { operation, mode, quantity, ...rest } = frame as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return new Error(`unknown field ${Object.keys(rest)[0]}: ${REVISE_HINT}`);
  if (operation === 'cancel') {
    return mode === undefined && quantity === undefined ? { operation: 'cancel' } : new Error('cancel takes no mode or quantity');
  }
  if (operation !== 'revise') return new Error(`unknown operation: ${REVISE_HINT}`);
  if (mode !== undefined && !MODE_WORDS.includes(mode as ModeWord)) return new Error(`mode must be one of ${MODE_WORDS.join(', ')}`);
  if (quantity !== undefined && (typeof quantity !== 'number' || !Number.isFinite(quantity))) return new Error('quantity must be a number of kWh');
  if (mode === undefined && quantity === undefined) return new Error(`revise needs a mode and/or a quantity: ${REVISE_HINT}`);
  try {
    return {
      operation: 'revise',
      ...(mode !== undefined ? { mode: modeOf001(mode as ModeWord) } : {}),
      ...(quantity !== undefined ? { energyWms: energyWmsFromKwh(quantity as number, 'quantity') } : {}),
    };
  } catch (err) {
    return err as Error;
  }
}

const ON_PILE = new Set(['dispatched', 'charging']);
const TERMINAL_EVENTS = new Set(['order.finished', 'order.cancelled']);

export class ChargeConversation {
  private orderId: string | undefined;
  /** events that came before the order was known (the subscription starts before the request is made) */
  private early: UserEvent[] = [];
  private readonly sessionIds = new Set<string>();
  private readonly billsBySession = new Map<string, Bill>();
  private over = false;

  constructor(private readonly timeZone: string) {}

  /** The order followed from now on; the answer to the opening, then the pushes of the events that came first. */
  follow(order: OrderView, reattached: boolean): Frame001[] {
    this.orderId = order.orderId;
    for (const s of order.sessions) this.sessionIds.add(s.sessionId);
    const opening: Frame001 = {
      code: OK,
      type: 'queued',
      msg: reattached ? '您已在队列中，请等待' : '您已经成功进入队列，请等待',
      queueNo: order.queueNo ?? '',
      mode: mode001(order.mode),
      quantity: kwh(order.energyWms),
      state: order.state,
      ...(ON_PILE.has(order.state) && order.pileNo ? { stationId: numericPileId(order.pileNo) } : {}),
    };
    const early = this.early;
    this.early = [];
    return [opening, ...early.flatMap((e) => this.onEvent(e))];
  }

  /** The order this socket follows (undefined before the opening was answered). */
  get followed(): string | undefined {
    return this.orderId;
  }

  /** True once the order ended: the route settles and closes. */
  get ended(): boolean {
    return this.over;
  }

  /** Every session seen (events and the order's own list): the bills the settlement waits for. */
  sessions(order?: OrderView): string[] {
    for (const s of order?.sessions ?? []) this.sessionIds.add(s.sessionId);
    if (order?.stoppedSessionId) this.sessionIds.add(order.stoppedSessionId);
    return [...this.sessionIds];
  }

  /** The bills already pushed to this replica, by session. */
  billOf(sessionId: string): Bill | undefined {
    return this.billsBySession.get(sessionId);
  }

  /** One event of the caller: the pushes it makes (none for another order's event). */
  onEvent(event: UserEvent): Frame001[] {
    if (this.orderId === undefined) {
      this.early.push(event);
      return [];
    }
    if (event.payload.orderId !== this.orderId || this.over) return [];
    const tz = this.timeZone;
    switch (event.type) {
      case 'order.dispatched': {
        const p = event.payload;
        const stationId = numericPileId(p.pileNo);
        return [{ code: OK, type: 'call', msg: `请前往 ${stationId} 号充电桩充电`, stationId, queueNo: p.queueNo, place: p.place }];
      }
      case 'session.started': {
        const p = event.payload;
        this.sessionIds.add(p.sessionId);
        return [{ code: OK, type: 'start', msg: '开始充电', stationId: numericPileId(p.pileNo), startTime: localTime(p.startedAt, tz) }];
      }
      case 'session.ended': {
        const p = event.payload;
        this.sessionIds.add(p.sessionId);
        return [{ code: OK, type: 'stop', msg: '本次充电结束，等待结算', stationId: numericPileId(p.pileNo), quantity: kwh(p.energyWms), endTime: localTime(p.endedAt, tz), reason: p.reason }];
      }
      case 'order.modified': {
        const p = event.payload;
        return [{ code: OK, type: 'modified', msg: '订单已修改', queueNo: p.queueNo, mode: mode001(p.mode), quantity: kwh(p.energyWms) }];
      }
      case 'order.requeued': {
        const p = event.payload;
        return [{ code: OK, type: 'requeued', msg: '充电桩故障，已为您重新排队', queueNo: p.queueNo, reason: p.reason }];
      }
      case 'bill.created':
        this.billsBySession.set(event.payload.sessionId, event.payload);
        return [];
      default:
        if (TERMINAL_EVENTS.has(event.type)) {
          this.over = true;
          if (event.type === 'order.cancelled' && event.payload.sessionId) this.sessionIds.add(event.payload.sessionId);
        }
        return [];
    }
  }
}

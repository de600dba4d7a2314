// Who gets which push: the platform events a socket can hear of (its user's order, session and bill events; for
// admins also every change of a station's board), the sockets of this replica by user id and the admin set, and
// the send-buffer rule. Pure: the hub (core/push-hub.ts) feeds it events and sockets and does the I/O.
import type { Envelope, MessageType } from '@voltq/contracts';

/** Events about one user's order: each carries the order's userId (OrderRef / SessionRef / the bill). */
export const USER_EVENT_TYPES = [
  'order.queued',
  'order.dispatched',
  'order.modified',
  'order.cancelled',
  'order.requeued',
  'order.finished',
  'session.started',
  'session.ended',
  'bill.created',
] as const satisfies readonly MessageType[];
export type UserEventType = (typeof USER_EVENT_TYPES)[number];
export type UserEvent = Envelope<UserEventType>;

/** Events that change a station's board without being about one user (every user event changes it too). */
export const PILE_EVENT_TYPES = ['pile.status-changed', 'pile.faulted', 'pile.recovered'] as const satisfies readonly MessageType[];
export type PileEventType = (typeof PILE_EVENT_TYPES)[number];

export const PUSH_EVENT_TYPES = [...USER_EVENT_TYPES, ...PILE_EVENT_TYPES] as const;
export type PushEventType = (typeof PUSH_EVENT_TYPES)[number];
export type PushEvent = Envelope<PushEventType>;

const USER_TYPES: ReadonlySet<string> = new Set(USER_EVENT_TYPES);

export function isUserEvent(event: PushEvent): event is UserEvent {
  return USER_TYPES.has(event.type);
}

/** Every push event names its station: the board that changed. */
export function stationOf(event: PushEvent): string {
  return event.payload.stationId;
}

export interface Subscriber {
  userId: string;
  admin: boolean;
}

/**
 * The subscribers of this replica: by user id (a user may hold several sockets) and the admins. Another replica
 * keeps its own: each receives every event through its own queue, so nothing here is needed elsewhere.
 */
export class PushRoutes<S extends Subscriber> {
  private readonly byUser = new Map<string, Set<S>>();
  private readonly admins = new Set<S>();

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  get adminCount(): number {
    return this.admins.size;
  }

  add(sub: S): void {
    let set = this.byUser.get(sub.userId);
    if (!set) this.byUser.set(sub.userId, (set = new Set()));
    set.add(sub);
    if (sub.admin) this.admins.add(sub);
  }

  remove(sub: S): void {
    const set = this.byUser.get(sub.userId);
    if (set?.delete(sub) && set.size === 0) this.byUser.delete(sub.userId);
    this.admins.delete(sub);
  }

  all(): S[] {
    return [...this.byUser.values()].flatMap((set) => [...set]);
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** The subscribers of the event's user (none for pile events). */
  usersOf(event: PushEvent): S[] {
    return isUserEvent(event) ? [...(this.byUser.get(event.payload.userId) ?? [])] : [];
  }

  /** Who sees board changes. */
  adminList(): S[] {
    return [...this.admins];
  }
}

/**
 * A frame may be queued only while the socket's unsent bytes stay within the cap; past it the socket is too slow
 * to keep up and is closed, so a reader that stopped reading cannot make the gateway's memory grow.
 */
export function fitsSendBuffer(bufferedBytes: number, frameBytes: number, maxBufferedBytes: number): boolean {
  return bufferedBytes + frameBytes <= maxBufferedBytes;
}

/**
 * Board refreshes of one station: at most one fetch in flight and one more queued behind it, however many events
 * arrive meanwhile (the queued fetch sees all of them).
 */
export class Coalescer {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();

  /** true: start a fetch for `key` now; false: one runs and will be followed by another. */
  request(key: string): boolean {
    if (this.running.has(key)) {
      this.again.add(key);
      return false;
    }
    this.running.add(key);
    return true;
  }

  /** The fetch for `key` ended: true when another must run now (events came in while it ran). */
  done(key: string): boolean {
    if (this.again.delete(key)) return true;
    this.running.delete(key);
    return false;
  }
}

// Server-side cursors: a lazy source of documents handed out in batches by find/aggregate/list commands and
// getMore. Batches stop at the requested size or near mongod's 16 MB reply limit. Idle cursors expire after
// ten minutes, as on mongod.
import type { ReplyDoc } from './wire/bson.js';

/** Reply documents stay below this many bytes per batch (mongod: 16 MB minus room for the envelope). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
export const CURSOR_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export class BatchSource<T> {
  private peeked: IteratorResult<T> | null = null;
  private done = false;

  constructor(
    private readonly iter: Iterator<T>,
    private readonly sizeOf: (item: T) => number,
    private readonly toReply: (items: T[]) => ReplyDoc[],
  ) {}

  private pull(): IteratorResult<T> {
    if (this.peeked) {
      const p = this.peeked;
      this.peeked = null;
      return p;
    }
    return this.iter.next();
  }

  /** Up to `max` documents (0 = as many as fit); `exhausted` when nothing is left after them. */
  next(max: number): { docs: ReplyDoc[]; exhausted: boolean } {
    const items: T[] = [];
    let bytes = 0;
    if (!this.done) {
      while (max === 0 || items.length < max) {
        const r = this.pull();
        if (r.done) {
          this.done = true;
          break;
        }
        const size = this.sizeOf(r.value);
        if (items.length > 0 && bytes + size > MAX_BATCH_BYTES) {
          this.peeked = r;
          break;
        }
        items.push(r.value);
        bytes += size;
      }
      if (!this.done && !this.peeked) {
        const r = this.iter.next();
        if (r.done) this.done = true;
        else this.peeked = r;
      }
    }
    return { docs: this.toReply(items), exhausted: this.done && !this.peeked };
  }

  close(): void {
    this.done = true;
    this.peeked = null;
    this.iter.return?.();
  }
}

export interface OpenCursor {
  id: number;
  ns: string;
  source: BatchSource<unknown>;
  lastUsedMs: number;
}

export class CursorRegistry {
  private readonly cursors = new Map<number, OpenCursor>();

  get size(): number {
    return this.cursors.size;
  }

  /** Registers a cursor and returns its id: random, non-zero, exact as a double so it survives promotion. */
  open(ns: string, source: BatchSource<unknown>): number {
    let id = 0;
    while (id === 0 || this.cursors.has(id)) id = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER) + 1;
    this.cursors.set(id, { id, ns, source, lastUsedMs: Date.now() });
    return id;
  }

  get(id: number): OpenCursor | undefined {
    const c = this.cursors.get(id);
    if (c) c.lastUsedMs = Date.now();
    return c;
  }

  kill(id: number): boolean {
    const c = this.cursors.get(id);
    if (!c) return false;
    c.source.close();
    this.cursors.delete(id);
    return true;
  }

  /** Closes cursors idle for longer than the timeout; returns how many. */
  sweep(nowMs: number, idleMs = CURSOR_IDLE_TIMEOUT_MS): number {
    let n = 0;
    for (const c of [...this.cursors.values()]) {
      if (nowMs - c.lastUsedMs > idleMs) {
        this.kill(c.id);
        n++;
      }
    }
    return n;
  }

  closeAll(): void {
    for (const id of [...this.cursors.keys()]) this.kill(id);
  }
}

// The append-only journal. Each change is one frame: [payload length u32][crc32c u32][payload], where the
// payload is a BSON header ({o, d, c, ...}) optionally followed by the document's BSON. Frames are written to
// the file as they are appended (one write per batch); acknowledgements wait for the fdatasync covering them,
// and concurrent writers share one fdatasync (group commit).
import fs from 'node:fs';
import { promisify } from 'node:util';
import { serialize } from 'bson';
import type { ChangeSink } from '../storage/collection.js';
import type { Document } from '../storage/values.js';
import { decodeDocument } from '../wire/bson.js';
import { crc32c } from '../wire/crc32c.js';
import type { Durability } from '../commands/dispatch.js';

const fdatasync = promisify(fs.fdatasync);
const FRAME_HEADER_BYTES = 8;

export function encodeFrame(header: Document, raw?: Buffer): Buffer {
  const head = serialize(header);
  const payloadLength = head.length + (raw?.length ?? 0);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLength);
  out.writeUInt32LE(payloadLength, 0);
  out.set(head, FRAME_HEADER_BYTES);
  if (raw) raw.copy(out, FRAME_HEADER_BYTES + head.length);
  out.writeUInt32LE(crc32c(out.subarray(FRAME_HEADER_BYTES)), 4);
  return out;
}

export interface DecodedFrame {
  header: Document;
  doc?: Document;
  raw?: Buffer;
}

export interface ReadResult {
  frames: number;
  /** Bytes of complete, valid frames from the start of the file. */
  validBytes: number;
  /** The file ends in an incomplete or damaged frame (a write cut short by a crash). */
  tornTail: boolean;
}

/** Reads every valid frame of a journal or snapshot file, stopping at the first incomplete one. */
export function readFrames(buf: Buffer, onFrame: (frame: DecodedFrame) => void): ReadResult {
  let offset = 0;
  let frames = 0;
  while (offset < buf.length) {
    if (offset + FRAME_HEADER_BYTES > buf.length) break;
    const length = buf.readUInt32LE(offset);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (length < 5 || end > buf.length) break;
    const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32c(payload) !== buf.readUInt32LE(offset + 4)) break;
    const headLength = payload.readInt32LE(0);
    if (headLength < 5 || headLength > payload.length) break;
    const frame: DecodedFrame = { header: decodeDocument(payload.subarray(0, headLength)) };
    if (headLength < payload.length) {
      const raw = Buffer.from(payload.subarray(headLength));
      frame.raw = raw;
      frame.doc = decodeDocument(raw);
    }
    onFrame(frame);
    frames++;
    offset = end;
  }
  return { frames, validBytes: offset, tornTail: offset < buf.length };
}

interface Pending {
  fd: number;
  frame: Buffer;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class JournalWriter implements ChangeSink, Durability {
  private fd: number;
  private pending: Pending[] = [];
  private seqAppended = 0;
  private seqDurable = 0;
  private waiters: Waiter[] = [];
  private flushing = false;
  private failure: Error | null = null;
  private kickScheduled = false;
  /** Frames in the previous flush: tells a lone writer from concurrent ones. */
  private lastBatchFrames = 0;
  private closed = false;
  /** Bytes in the current journal file. */
  bytes: number;

  constructor(
    fd: number,
    initialBytes: number,
    private readonly afterFlush: () => void,
  ) {
    this.fd = fd;
    this.bytes = initialBytes;
  }

  put(db: string, coll: string, raw: Buffer): void {
    this.append(encodeFrame({ o: 'put', d: db, c: coll }, raw));
  }

  del(db: string, coll: string, id: unknown): void {
    this.append(encodeFrame({ o: 'del', d: db, c: coll, id }));
  }

  catalog(record: Document): void {
    this.append(encodeFrame(record));
  }

  private append(frame: Buffer): void {
    // After close the descriptor number may already belong to another file: never write through it.
    if (this.closed) throw new Error('the journal is closed (server stopping)');
    this.pending.push({ fd: this.fd, frame });
    this.seqAppended++;
    // One flush per event-loop round, once the requests read in it have appended; writes nobody waits for
    // (TTL deletions) reach the disk promptly too.
    if (!this.kickScheduled) {
      this.kickScheduled = true;
      setImmediate(() => {
        this.kickScheduled = false;
        if (this.pending.length > 0 && !this.flushing && !this.failure) void this.flushLoop();
      });
    }
  }

  appended(): number {
    return this.seqAppended;
  }

  /** Resolves once every frame appended so far is on disk. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.seqAppended;
    if (this.seqDurable >= seq) return Promise.resolve();
    // The flush starts from the kick append() scheduled, after this round of reads, so that every write
    // that arrived together shares one fdatasync.
    return new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** New frames go to `fd` from now on; frames already appended still go to the previous file. */
  switchTo(fd: number): void {
    this.fd = fd;
    this.bytes = 0;
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        // Every frame appended so far is in this batch; later ones wait for the next round.
        const upTo = this.seqAppended;
        const fds: number[] = [];
        // Consecutive frames for the same file go out in one writev; files are synced in order.
        let i = 0;
        while (i < batch.length) {
          const fd = batch[i]!.fd;
          const bufs: Buffer[] = [];
          while (i < batch.length && batch[i]!.fd === fd) bufs.push(batch[i++]!.frame);
          writeAll(fd, bufs);
          if (fd === this.fd) for (const b of bufs) this.bytes += b.length;
          if (!fds.includes(fd)) fds.push(fd);
        }
        // A lone writer (batches of one frame) syncs on this thread: handing fdatasync to the thread pool
        // costs two more wake-ups than the sync itself. Once batches grow, writers are concurrent and the
        // sync goes to the pool so that requests keep being read and the next batch gathers meanwhile.
        const lone = batch.length === 1 && this.lastBatchFrames <= 1;
        this.lastBatchFrames = batch.length;
        for (const fd of fds) {
          if (lone) fs.fdatasyncSync(fd);
          else await fdatasync(fd);
        }
        this.seqDurable = upTo;
        this.release();
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      for (const w of this.waiters) w.reject(this.failure);
      this.waiters = [];
    } finally {
      this.flushing = false;
    }
    this.afterFlush();
  }

  private release(): void {
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= this.seqDurable) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Refuses further appends; call after the last sync(). */
  close(): void {
    this.closed = true;
  }

  get failed(): Error | null {
    return this.failure;
  }
}

function writeAll(fd: number, bufs: Buffer[]): void {
  let queue = bufs;
  while (queue.length > 0) {
    let written = fs.writevSync(fd, queue);
    const rest: Buffer[] = [];
    for (const b of queue) {
      if (written >= b.length) {
        written -= b.length;
        continue;
      }
      rest.push(written > 0 ? b.subarray(written) : b);
      written = 0;
    }
    queue = rest;
  }
}

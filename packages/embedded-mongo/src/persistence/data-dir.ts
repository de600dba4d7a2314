// The data directory: snapshot-<gen>.bson (complete state when journal-<gen>.log was started) plus the
// journals since. Recovery loads the newest complete snapshot and replays the journals from its generation
// on, dropping a torn frame at the very end (a write the crash cut short, never acknowledged).
// Compaction starts a new journal generation, captures the in-memory state in the same tick, writes it as
// the new snapshot in the background (temp file, fsync, rename), then deletes the older generation.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from '../commands/common.js';
import type { Engine } from '../storage/engine.js';
import { JournalWriter, encodeFrame, readFrames } from './journal.js';

const LOCK_FILE = 'mongod.lock';
const SNAPSHOT_RE = /^snapshot-(\d+)\.bson$/;
const JOURNAL_RE = /^journal-(\d+)\.log$/;
export const DEFAULT_COMPACT_AT_BYTES = 64 * 1024 * 1024;
/** Documents serialized between yields to the event loop while writing a snapshot. */
const SNAPSHOT_CHUNK_DOCS = 2000;

const journalName = (gen: number): string => `journal-${String(gen).padStart(8, '0')}.log`;
const snapshotName = (gen: number): string => `snapshot-${String(gen).padStart(8, '0')}.bson`;

export interface DataDirOptions {
  /** Journal size that starts a background compaction (it also waits for the journal to outgrow the snapshot). */
  compactAtBytes?: number;
}

/** Directories opened by servers of this process (the pid in the lock file cannot tell them apart). */
const openInThisProcess = new Set<string>();

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirectory {
  private gen = 0;
  private fd = -1;
  private writer: JournalWriter | null = null;
  private compaction: Promise<void> | null = null;
  private snapshotBytes = 0;
  private closed = false;
  private readonly compactAtBytes: number;

  private constructor(
    readonly dir: string,
    private readonly engine: Engine,
    private readonly logger: Logger,
    opts: DataDirOptions,
  ) {
    this.compactAtBytes = opts.compactAtBytes ?? DEFAULT_COMPACT_AT_BYTES;
  }

  /** Locks the directory, recovers its contents into `engine` and starts journaling. */
  static open(dir: string, engine: Engine, logger: Logger, opts: DataDirOptions = {}): DataDirectory {
    fs.mkdirSync(dir, { recursive: true });
    const dd = new DataDirectory(dir, engine, logger, opts);
    dd.lock();
    try {
      dd.recover();
    } catch (err) {
      dd.unlock();
      throw err;
    }
    return dd;
  }

  get journal(): JournalWriter {
    return this.writer!;
  }

  private lock(): void {
    const resolved = path.resolve(this.dir);
    if (openInThisProcess.has(resolved)) throw new Error(`data directory ${this.dir} is in use by this process`);
    const file = path.join(this.dir, LOCK_FILE);
    try {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`data directory ${this.dir} is in use by process ${pid}`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    fs.writeFileSync(file, `${process.pid}\n`);
    openInThisProcess.add(resolved);
  }

  private unlock(): void {
    fs.rmSync(path.join(this.dir, LOCK_FILE), { force: true });
    openInThisProcess.delete(path.resolve(this.dir));
  }

  private recover(): void {
    const names = fs.readdirSync(this.dir);
    const gens = (re: RegExp): number[] =>
      names
        .map((n) => re.exec(n))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
    const snapshots = gens(SNAPSHOT_RE);
    const base = snapshots.length > 0 ? snapshots[snapshots.length - 1]! : undefined;
    const journals = gens(JOURNAL_RE).filter((g) => base === undefined || g >= base);
    const started = Date.now();
    let records = 0;
    if (base !== undefined) {
      const buf = fs.readFileSync(path.join(this.dir, snapshotName(base)));
      const res = readFrames(buf, (f) => this.engine.apply(f.header, f.doc, f.raw));
      if (res.tornTail) throw new Error(`snapshot ${snapshotName(base)} is damaged at byte ${res.validBytes}`);
      records += res.frames;
      this.snapshotBytes = buf.length;
    }
    journals.forEach((gen, i) => {
      const file = path.join(this.dir, journalName(gen));
      const buf = fs.readFileSync(file);
      const res = readFrames(buf, (f) => this.engine.apply(f.header, f.doc, f.raw));
      records += res.frames;
      if (res.tornTail) {
        if (i !== journals.length - 1) throw new Error(`journal ${journalName(gen)} is damaged at byte ${res.validBytes}`);
        this.logger.warn({ file, validBytes: res.validBytes, fileBytes: buf.length }, 'dropping an incomplete journal record left by a crash');
        fs.truncateSync(file, res.validBytes);
      }
    });
    // Leftovers of an interrupted compaction or of generations already folded into the snapshot.
    for (const name of names) {
      const m = SNAPSHOT_RE.exec(name) ?? JOURNAL_RE.exec(name);
      const stale = (m && base !== undefined && Number(m[1]) < base) || name.endsWith('.tmp');
      if (stale) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    this.gen = journals.length > 0 ? journals[journals.length - 1]! : (base ?? 1);
    const file = path.join(this.dir, journalName(this.gen));
    this.fd = fs.openSync(file, 'a');
    fsyncDir(this.dir);
    this.writer = new JournalWriter(this.fd, fs.fstatSync(this.fd).size, () => this.maybeCompact());
    this.engine.attach(this.writer);
    this.logger.info({ dir: this.dir, records, ms: Date.now() - started }, 'data directory recovered');
  }

  private maybeCompact(): void {
    if (this.closed || this.compaction || !this.writer) return;
    if (this.writer.bytes < this.compactAtBytes || this.writer.bytes < this.snapshotBytes) return;
    this.compaction = this.compact()
      .catch((err: unknown) => this.logger.error({ err: String(err) }, 'journal compaction failed; the journal keeps growing'))
      .finally(() => {
        this.compaction = null;
      });
  }

  /** Writes a snapshot of the current state and drops the journal it replaces. */
  async compact(): Promise<void> {
    const writer = this.writer!;
    const oldGen = this.gen;
    const oldFd = this.fd;
    const newGen = oldGen + 1;
    const newFd = fs.openSync(path.join(this.dir, journalName(newGen)), 'a');
    fsyncDir(this.dir);
    // Same tick: the captured state is exactly what the old journal generation ends with.
    const captured = this.engine.capture();
    writer.switchTo(newFd);
    this.gen = newGen;
    this.fd = newFd;
    // Everything bound for the old journal is on disk after this; nothing else writes to it.
    await writer.sync();
    fs.closeSync(oldFd);

    const tmp = path.join(this.dir, `${snapshotName(newGen)}.tmp`);
    const fh = await fsp.open(tmp, 'w');
    let bytes = 0;
    try {
      let chunk: Buffer[] = [];
      const flushChunk = async (): Promise<void> => {
        if (chunk.length === 0) return;
        const buf = Buffer.concat(chunk);
        chunk = [];
        await fh.write(buf);
        bytes += buf.length;
      };
      for (const coll of captured) {
        chunk.push(encodeFrame({ o: 'cc', d: coll.db, c: coll.name, opts: coll.options, uuid: coll.uuid }));
        for (const spec of coll.indexes) chunk.push(encodeFrame({ o: 'ci', d: coll.db, c: coll.name, spec }));
        for (let i = 0; i < coll.raws.length; i++) {
          chunk.push(encodeFrame({ o: 'put', d: coll.db, c: coll.name }, coll.raws[i]));
          if (chunk.length >= SNAPSHOT_CHUNK_DOCS) {
            await flushChunk();
            await yieldToLoop();
          }
        }
      }
      await flushChunk();
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(this.dir, snapshotName(newGen)));
    fsyncDir(this.dir);
    this.snapshotBytes = bytes;
    for (const name of await fsp.readdir(this.dir)) {
      const m = SNAPSHOT_RE.exec(name) ?? JOURNAL_RE.exec(name);
      if (m && Number(m[1]) < newGen) await fsp.rm(path.join(this.dir, name), { force: true });
    }
    this.logger.info({ gen: newGen, snapshotBytes: bytes }, 'journal compacted');
  }

  /** Waits for pending writes and any running compaction, then releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compaction) await this.compaction;
    try {
      await this.writer?.sync();
    } finally {
      this.writer?.close();
      this.engine.attach(null);
      fs.closeSync(this.fd);
      this.unlock();
    }
  }
}

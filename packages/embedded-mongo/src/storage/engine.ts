// The catalog: databases and their collections, with the catalog operations (create, drop, rename) and
// the replay of journal records. Persistence plugs in as a ChangeSink; without one the data lives in memory.
import { UUID } from 'bson';
import { ErrorCode, MongoCommandError, notSupported } from '../errors.js';
import { Collection, type ChangeSink, type CollectionHooks } from './collection.js';
import type { IndexSpec } from './indexes.js';
import { getPath, isPlainObject, type Document } from './values.js';

export interface EngineLogger {
  warn(data: Document, msg: string): void;
}

// create options that change semantics in ways this server does not implement: refused, never ignored.
const REFUSED_CREATE_OPTIONS: Record<string, string> = {
  capped: 'capped collections',
  size: 'capped collections',
  max: 'capped collections',
  timeseries: 'time series collections',
  expireAfterSeconds: 'time series collections',
  clusteredIndex: 'clustered collections',
  viewOn: 'views',
  pipeline: 'views',
  collation: 'collection collation',
  encryptedFields: 'queryable encryption',
  changeStreamPreAndPostImages: 'change streams',
};
const KEPT_CREATE_OPTIONS = new Set(['validator', 'validationLevel', 'validationAction']);

/** mongod's namespace rules, enough to refuse names that would break the journal or the driver. */
export function checkNamespace(db: string, coll?: string): void {
  if (db === '' || /[/\\. "$\0]/.test(db) || db.length > 63) {
    throw new MongoCommandError(ErrorCode.InvalidNamespace, `Invalid database name: '${db}'`);
  }
  if (coll !== undefined && (coll === '' || coll.includes('\0') || coll.startsWith('.') || (coll.includes('$') && !coll.startsWith('$cmd')))) {
    throw new MongoCommandError(ErrorCode.InvalidNamespace, `Invalid collection name: '${coll}'`);
  }
}

export class Engine {
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private sinkRef: ChangeSink | null = null;
  private readonly hooks: CollectionHooks;

  constructor(logger: EngineLogger) {
    this.hooks = { sink: () => this.sinkRef, warn: (data, msg) => logger.warn(data, msg) };
  }

  /** Starts reporting changes to `sink` (after recovery, so replay is not journaled again). */
  attach(sink: ChangeSink | null): void {
    this.sinkRef = sink;
  }

  databaseNames(): string[] {
    return [...this.dbs.keys()].filter((name) => (this.dbs.get(name)?.size ?? 0) > 0);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created implicitly like mongod does on first write or index. */
  ensureCollection(db: string, name: string): Collection {
    return this.collection(db, name) ?? this.createCollection(db, name, {});
  }

  createCollection(db: string, name: string, options: Document, uuid?: UUID): Collection {
    checkNamespace(db, name);
    if (this.collection(db, name)) {
      throw new MongoCommandError(ErrorCode.NamespaceExists, `Collection ${db}.${name} already exists.`);
    }
    const kept: Document = {};
    for (const [opt, value] of Object.entries(options)) {
      const refused = REFUSED_CREATE_OPTIONS[opt];
      if (refused !== undefined && value !== undefined && value !== false) throw notSupported(refused);
      if (KEPT_CREATE_OPTIONS.has(opt)) kept[opt] = value;
    }
    if (isPlainObject(kept.validator) && '$jsonSchema' in kept.validator) throw notSupported('$jsonSchema validators');
    const coll = new Collection(db, name, kept, this.hooks, uuid);
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    colls.set(name, coll);
    this.sinkRef?.catalog({ o: 'cc', d: db, c: name, opts: kept, uuid: coll.uuid });
    return coll;
  }

  dropCollection(db: string, name: string): boolean {
    const colls = this.dbs.get(db);
    if (!colls?.delete(name)) return false;
    if (colls.size === 0) this.dbs.delete(db);
    this.sinkRef?.catalog({ o: 'dc', d: db, c: name });
    return true;
  }

  dropDatabase(db: string): void {
    if (!this.dbs.delete(db)) return;
    this.sinkRef?.catalog({ o: 'dd', d: db });
  }

  renameCollection(db: string, from: string, toDb: string, to: string, dropTarget: boolean): void {
    checkNamespace(toDb, to);
    const source = this.collection(db, from);
    if (!source) throw new MongoCommandError(ErrorCode.NamespaceNotFound, 'source namespace does not exist');
    if (this.collection(toDb, to)) {
      if (!dropTarget) throw new MongoCommandError(ErrorCode.NamespaceExists, 'target namespace exists');
    }
    this.moveCollection(source, toDb, to);
    this.sinkRef?.catalog({ o: 'rn', d: db, c: from, td: toDb, tc: to });
  }

  /** Rebuilds the collection under its new name (documents are shared: they are immutable). */
  private moveCollection(source: Collection, toDb: string, to: string): Collection {
    const saved = this.sinkRef;
    this.sinkRef = null;
    try {
      this.dropCollection(source.db, source.name);
      this.dropCollection(toDb, to);
      const target = this.createCollection(toDb, to, source.options, source.uuid);
      for (const spec of source.indexSpecs().slice(1)) target.createIndex(spec, true);
      for (const stored of source.values()) target.applyPut(stored.doc, stored.raw);
      return target;
    } finally {
      this.sinkRef = saved;
    }
  }

  /** Applies one journal record during recovery. */
  apply(record: Document, doc?: Document, raw?: Buffer): void {
    const db = String(record.d);
    const c = String(record.c);
    switch (record.o) {
      case 'put':
        this.ensureCollection(db, c).applyPut(doc!, raw!);
        return;
      case 'del':
        this.collection(db, c)?.applyDelete(record.id);
        return;
      case 'cc':
        if (!this.collection(db, c)) this.createCollection(db, c, (record.opts as Document) ?? {}, record.uuid as UUID);
        return;
      case 'dc':
        this.dropCollection(db, c);
        return;
      case 'dd':
        this.dropDatabase(db);
        return;
      case 'ci':
        this.ensureCollection(db, c).createIndex(record.spec as IndexSpec, true);
        return;
      case 'di': {
        const coll = this.collection(db, c);
        if (coll?.findIndex(record.n)) coll.dropIndex(String(record.n));
        return;
      }
      case 'rn': {
        const source = this.collection(db, c);
        if (source) this.moveCollection(source, String(record.td), String(record.tc));
        return;
      }
      default:
        throw new Error(`unknown journal record type ${String(record.o)}`);
    }
  }

  /**
   * A point-in-time copy of the catalog and document references, cheap to take synchronously; the
   * compactor serializes it afterwards while writes continue.
   */
  capture(): CapturedCollection[] {
    const out: CapturedCollection[] = [];
    for (const colls of this.dbs.values()) {
      for (const coll of colls.values()) {
        out.push({
          db: coll.db,
          name: coll.name,
          options: coll.options,
          uuid: coll.uuid,
          indexes: coll.indexSpecs().slice(1),
          raws: Array.from(coll.values(), (s) => s.raw),
        });
      }
    }
    return out;
  }

  /** Deletes documents whose TTL index date has passed, as mongod's TTL monitor does. */
  expireTtl(now: number): number {
    let removed = 0;
    for (const colls of this.dbs.values()) {
      for (const coll of colls.values()) {
        for (const index of coll.indexes()) {
          const ttl = index.spec.expireAfterSeconds;
          if (typeof ttl !== 'number' || index.fields.length !== 1) continue;
          const field = index.fields[0]!;
          const cutoff = now - ttl * 1000;
          for (const stored of Array.from(coll.values())) {
            if (isExpired(getPath(stored.doc, field), cutoff)) {
              coll.remove(stored);
              removed++;
            }
          }
        }
      }
    }
    return removed;
  }
}

function isExpired(value: unknown, cutoff: number): boolean {
  if (value instanceof Date) return value.getTime() <= cutoff;
  if (Array.isArray(value)) {
    const dates = value.filter((v): v is Date => v instanceof Date);
    return dates.length > 0 && Math.min(...dates.map((d) => d.getTime())) <= cutoff;
  }
  return false;
}

export interface CapturedCollection {
  db: string;
  name: string;
  options: Document;
  uuid: UUID;
  indexes: IndexSpec[];
  raws: Buffer[];
}

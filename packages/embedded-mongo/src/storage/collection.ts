// One collection: documents keyed by their _id (constant-time lookups), unique index maps, an optional
// query validator. Stored documents are never mutated: a write replaces the stored record, so readers,
// cursors and the background compactor can hold references safely. Every mutation is checked completely
// (unique keys, validator, immutable _id) before anything changes, which makes each one atomic.
import { EJSON, ObjectId, UUID, serialize } from 'bson';
import { ErrorCode, MongoCommandError, badValue } from '../errors.js';
import { compileFilter, type Predicate } from '../query/mingo.js';
import { ID_INDEX_NAME, Index, normalizeIndexSpec, sameIndex, type IndexKey, type IndexSpec } from './indexes.js';
import { isPlainObject, keyOf, withIdFirst, type Document } from './values.js';

export interface StoredDoc {
  /** keyOf(_id) */
  readonly id: string;
  readonly doc: Document;
  /** The document's BSON bytes: answered to readers as is and written to the journal as is. */
  readonly raw: Buffer;
}

/** Receives every change to persist it (the journal); absent for in-memory servers and during replay. */
export interface ChangeSink {
  put(db: string, coll: string, raw: Buffer): void;
  del(db: string, coll: string, id: unknown): void;
  catalog(record: Document): void;
}

export interface CollectionHooks {
  sink(): ChangeSink | null;
  warn(data: Document, msg: string): void;
}

interface Validator {
  predicate: Predicate;
  level: 'strict' | 'moderate' | 'off';
  action: 'error' | 'warn';
}

export function toRaw(doc: Document): Buffer {
  const bytes = serialize(doc, { ignoreUndefined: true });
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function formatKeyValue(keyValue: Document): string {
  const parts = Object.entries(keyValue).map(([k, v]) => `${k}: ${v === undefined ? 'undefined' : EJSON.stringify(v, { relaxed: true })}`);
  return `{ ${parts.join(', ')} }`;
}

/** An _id value that the filter pins by plain equality, or undefined. */
export function isEqualityValue(v: unknown): boolean {
  if (v === undefined || v instanceof RegExp || Array.isArray(v)) return false;
  if (isPlainObject(v)) return !Object.keys(v).some((k) => k.startsWith('$'));
  return true;
}

export class Collection {
  readonly db: string;
  readonly name: string;
  readonly uuid: UUID;
  readonly options: Document;
  private readonly docs = new Map<string, StoredDoc>();
  private readonly indexList: Index[] = [];
  private validator: Validator | null = null;
  private readonly hooks: CollectionHooks;
  private dataBytes = 0;

  constructor(db: string, name: string, options: Document, hooks: CollectionHooks, uuid?: UUID) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.hooks = hooks;
    this.uuid = uuid ?? new UUID();
    this.indexList.push(new Index({ v: 2, key: { _id: 1 }, name: ID_INDEX_NAME }));
    if (isPlainObject(options.validator)) {
      this.validator = {
        predicate: compileFilter(options.validator),
        level: (options.validationLevel as Validator['level'] | undefined) ?? 'strict',
        action: (options.validationAction as Validator['action'] | undefined) ?? 'error',
      };
    }
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.docs.size;
  }

  get bytes(): number {
    return this.dataBytes;
  }

  values(): IterableIterator<StoredDoc> {
    return this.docs.values();
  }

  getById(id: unknown): StoredDoc | undefined {
    return this.docs.get(keyOf(id));
  }

  indexSpecs(): IndexSpec[] {
    return this.indexList.map((i) => i.spec);
  }

  indexes(): readonly Index[] {
    return this.indexList;
  }

  /**
   * Documents that can match `filter`, found through _id or a unique index when the filter pins them by
   * equality; null when only a scan will do.
   */
  candidates(filter: Document): StoredDoc[] | null {
    if ('_id' in filter) {
      const v = filter._id;
      if (isEqualityValue(v)) return this.pick([v]);
      if (isPlainObject(v)) {
        const ops = Object.keys(v);
        if (ops.length === 1 && ops[0] === '$eq' && isEqualityValue(v.$eq)) return this.pick([v.$eq]);
        if (ops.length === 1 && ops[0] === '$in' && Array.isArray(v.$in) && v.$in.every(isEqualityValue)) return this.pick(v.$in);
      }
    }
    for (const index of this.indexList) {
      if (!index.unique || !index.complete) continue;
      const values: unknown[] = [];
      for (const field of index.fields) {
        const v = filter[field];
        if (!isEqualityValue(v)) break;
        values.push(v === undefined ? null : v);
      }
      if (values.length !== index.fields.length) continue;
      const owner = index.entries.get(index.keyForValues(values));
      const found = owner === undefined ? undefined : this.docs.get(owner);
      return found ? [found] : [];
    }
    return null;
  }

  private pick(ids: unknown[]): StoredDoc[] {
    const out: StoredDoc[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const key = keyOf(id);
      if (seen.has(key)) continue;
      seen.add(key);
      const found = this.docs.get(key);
      if (found) out.push(found);
    }
    return out;
  }

  private duplicateKey(index: Index, values: unknown[]): MongoCommandError {
    const keyValue = index.keyValue(values);
    return new MongoCommandError(
      ErrorCode.DuplicateKey,
      `E11000 duplicate key error collection: ${this.ns} index: ${index.spec.name} dup key: ${formatKeyValue(keyValue)}`,
      { keyPattern: index.spec.key, keyValue },
    );
  }

  /** Keys per unique index for `doc`, after checking none is held by a document other than `selfId`. */
  private checkUnique(doc: Document, selfId: string): Array<IndexKey[] | null> {
    const keys: Array<IndexKey[] | null> = [];
    for (const index of this.indexList) {
      if (!index.unique) {
        keys.push(null);
        continue;
      }
      const own = index.keysFor(doc);
      if (own) {
        for (const k of own) {
          const holder = index.entries.get(k.key);
          if (holder !== undefined && holder !== selfId) throw this.duplicateKey(index, k.values);
        }
      }
      keys.push(own);
    }
    return keys;
  }

  private validate(doc: Document, previous: Document | null): void {
    const v = this.validator;
    if (!v || v.level === 'off') return;
    if (previous && v.level === 'moderate' && !v.predicate(previous)) return;
    if (v.predicate(doc)) return;
    if (v.action === 'warn') {
      this.hooks.warn({ ns: this.ns, _id: doc._id }, 'document failed validation (validationAction: warn)');
      return;
    }
    throw new MongoCommandError(ErrorCode.DocumentValidationFailure, 'Document failed validation', {
      errInfo: { failingDocumentId: doc._id, details: { operatorName: '$match', specifiedAs: this.options.validator } },
    });
  }

  private addKeys(keys: Array<IndexKey[] | null>, id: string): void {
    keys.forEach((list, i) => {
      if (!list) return;
      const entries = this.indexList[i]!.entries;
      for (const k of list) entries.set(k.key, id);
    });
  }

  private removeKeys(doc: Document, id: string): void {
    for (const index of this.indexList) {
      if (!index.unique) continue;
      const list = safeKeys(index, doc);
      if (!list) continue;
      for (const k of list) if (index.entries.get(k.key) === id) index.entries.delete(k.key);
    }
  }

  /** Inserts a new document; `raw` is its BSON when the client sent it with _id first. */
  insert(input: Document, raw?: Buffer, bypassValidation = false): StoredDoc {
    let doc = input;
    if (doc._id === undefined) {
      doc = withIdFirst(doc, new ObjectId());
      raw = undefined;
    }
    else if (Object.keys(doc)[0] !== '_id') {
      doc = withIdFirst(doc, doc._id);
      raw = raw ? rawWithTrailingIdFirst(raw, doc._id) : undefined;
    }
    checkId(doc._id);
    const id = keyOf(doc._id);
    if (this.docs.has(id)) throw this.duplicateKey(this.indexList[0]!, [doc._id]);
    if (!bypassValidation) this.validate(doc, null);
    const keys = this.checkUnique(doc, id);
    const stored: StoredDoc = { id, doc, raw: raw ?? toRaw(doc) };
    this.addKeys(keys, id);
    this.docs.set(id, stored);
    this.dataBytes += stored.raw.length;
    this.hooks.sink()?.put(this.db, this.name, stored.raw);
    return stored;
  }

  /** Replaces a stored document with its updated version (same _id). */
  replace(old: StoredDoc, next: Document, bypassValidation = false): StoredDoc {
    if (next._id === undefined) next = withIdFirst(next, old.doc._id);
    if (keyOf(next._id) !== old.id) {
      throw new MongoCommandError(
        ErrorCode.ImmutableField,
        `Performing an update on the path '_id' would modify the immutable field '_id'`,
      );
    }
    if (Object.keys(next)[0] !== '_id') next = withIdFirst(next, next._id);
    if (!bypassValidation) this.validate(next, old.doc);
    const keys = this.checkUnique(next, old.id);
    const stored: StoredDoc = { id: old.id, doc: next, raw: toRaw(next) };
    this.removeKeys(old.doc, old.id);
    this.addKeys(keys, old.id);
    this.docs.set(old.id, stored);
    this.dataBytes += stored.raw.length - old.raw.length;
    this.hooks.sink()?.put(this.db, this.name, stored.raw);
    return stored;
  }

  remove(old: StoredDoc): void {
    if (this.docs.get(old.id) !== old) return;
    this.removeKeys(old.doc, old.id);
    this.docs.delete(old.id);
    this.dataBytes -= old.raw.length;
    this.hooks.sink()?.del(this.db, this.name, old.doc._id);
  }

  /** Replay of a journal record: trusted, so only the index maps are maintained. */
  applyPut(doc: Document, raw: Buffer): void {
    const id = keyOf(doc._id);
    const old = this.docs.get(id);
    if (old) {
      this.removeKeys(old.doc, id);
      this.dataBytes -= old.raw.length;
    }
    const keys = this.indexList.map((index) => (index.unique ? safeKeys(index, doc) : null));
    this.addKeys(keys, id);
    this.docs.set(id, { id, doc, raw });
    this.dataBytes += raw.length;
  }

  applyDelete(id: unknown): void {
    const old = this.docs.get(keyOf(id));
    if (old) {
      this.removeKeys(old.doc, old.id);
      this.docs.delete(old.id);
      this.dataBytes -= old.raw.length;
    }
  }

  findIndex(nameOrKey: unknown): Index | undefined {
    if (typeof nameOrKey === 'string') return this.indexList.find((i) => i.spec.name === nameOrKey);
    if (isPlainObject(nameOrKey)) {
      const key = keyOf(nameOrKey);
      return this.indexList.find((i) => keyOf(i.spec.key) === key);
    }
    return undefined;
  }

  /**
   * Adds an index. Returns false when an identical index exists; throws mongod's conflict errors, or a
   * duplicate-key error when existing documents violate a new unique index.
   */
  createIndex(input: unknown, replaying = false): boolean {
    const spec = replaying ? (input as IndexSpec) : normalizeIndexSpec(input);
    // {_id: 1} is the _id index every collection has.
    if (keyOf(spec.key) === keyOf({ _id: 1 }) && !spec.sparse && !spec.partialFilterExpression) return false;
    for (const existing of this.indexList) {
      if (existing.spec.name === spec.name) {
        if (sameIndex(existing.spec, spec)) return false;
        const code = keyOf(existing.spec.key) === keyOf(spec.key) ? ErrorCode.IndexOptionsConflict : ErrorCode.IndexKeySpecsConflict;
        throw new MongoCommandError(
          code,
          `An existing index has the same name as the requested index. Requested index: ${EJSON.stringify(spec)}, existing index: ${EJSON.stringify(existing.spec)}`,
        );
      }
      if (sameIndex(existing.spec, spec)) {
        throw new MongoCommandError(ErrorCode.IndexOptionsConflict, `Index already exists with a different name: ${existing.spec.name}`);
      }
    }
    const index = new Index(spec);
    if (index.unique) {
      for (const stored of this.docs.values()) {
        const list = index.keysFor(stored.doc);
        if (!list) continue;
        for (const k of list) {
          const holder = index.entries.get(k.key);
          if (holder !== undefined && holder !== stored.id) throw this.duplicateKey(index, k.values);
          index.entries.set(k.key, stored.id);
        }
      }
    } else if (!replaying) {
      // Parallel arrays are refused for every index, as mongod does.
      for (const stored of this.docs.values()) index.keysFor(stored.doc);
    }
    this.indexList.push(index);
    this.hooks.sink()?.catalog({ o: 'ci', d: this.db, c: this.name, spec });
    return true;
  }

  dropIndex(name: string): void {
    const i = this.indexList.findIndex((x) => x.spec.name === name);
    if (i === 0) throw new MongoCommandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (i < 0) throw new MongoCommandError(ErrorCode.IndexNotFound, `index not found with name [${name}]`);
    this.indexList.splice(i, 1);
    this.hooks.sink()?.catalog({ o: 'di', d: this.db, c: this.name, n: name });
  }
}

/**
 * The driver appends a generated _id as the last field; mongod stores it first. Moving the element's bytes
 * keeps every other value exactly as sent (an int64 stays an int64). Undefined when _id is not last.
 */
function rawWithTrailingIdFirst(raw: Buffer, id: unknown): Buffer | undefined {
  const idDoc = toRaw({ _id: id });
  const idElement = idDoc.subarray(4, idDoc.length - 1);
  const start = raw.length - 1 - idElement.length;
  if (start < 4 || !idElement.equals(raw.subarray(start, raw.length - 1))) return undefined;
  const out = Buffer.allocUnsafe(raw.length);
  out.writeInt32LE(raw.length, 0);
  out.set(idElement, 4);
  raw.copy(out, 4 + idElement.length, 4, start);
  out[raw.length - 1] = 0;
  return out;
}

function safeKeys(index: Index, doc: Document): IndexKey[] | null {
  try {
    return index.keysFor(doc);
  } catch {
    return null;
  }
}

function checkId(id: unknown): void {
  if (Array.isArray(id)) throw badValue(`can't use an array for _id`);
  if (id instanceof RegExp) throw badValue(`can't use a regex for _id`);
}

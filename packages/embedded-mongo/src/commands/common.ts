// What command handlers share: their context, argument readers with mongod's type errors, and the cursor
// reply shape used by find, aggregate, listCollections and listIndexes.
import { Long, calculateObjectSize } from 'bson';
import { BatchSource, type CursorRegistry } from '../cursors.js';
import { ErrorCode, MongoCommandError, badValue } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import type { Engine } from '../storage/engine.js';
import { checkNamespace } from '../storage/engine.js';
import { isPlainObject, type Document } from '../storage/values.js';
import type { QueryOptions } from '../query/mingo.js';

export interface Logger {
  debug(data: Document, msg: string): void;
  info(data: Document, msg: string): void;
  warn(data: Document, msg: string): void;
  error(data: Document, msg: string): void;
}

export interface ServerState {
  engine: Engine;
  cursors: CursorRegistry;
  logger: Logger;
  startedAtMs: number;
  /** Open connections, for serverStatus. */
  connections: () => number;
}

export interface CommandContext {
  state: ServerState;
  db: string;
  connectionId: number;
  /** Raw BSON of OP_MSG document-sequence sections, keyed by identifier. */
  sequences?: Record<string, Buffer[]>;
}

export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document | Promise<Document>;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'object') return (v as { _bsontype?: string })._bsontype?.toLowerCase() ?? 'object';
  return typeof v;
}

function typeMismatch(field: string, expected: string, v: unknown): MongoCommandError {
  return new MongoCommandError(ErrorCode.TypeMismatch, `BSON field '${field}' is the wrong type '${typeName(v)}', expected type '${expected}'`);
}

/** The collection name a command is addressed to (the value of its first field). */
export function collectionName(cmd: Document, db: string): string {
  const v = cmd[Object.keys(cmd)[0]!];
  if (typeof v !== 'string') {
    throw new MongoCommandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeName(v)}`);
  }
  checkNamespace(db, v);
  return v;
}

export function optDocument(cmd: Document, field: string): Document | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw typeMismatch(field, 'object', v);
  return v;
}

export function optArray(cmd: Document, field: string): unknown[] | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw typeMismatch(field, 'array', v);
  return v;
}

export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  if (v && typeof v === 'object' && typeof (v as { valueOf?: unknown }).valueOf === 'function') {
    const n = (v as { valueOf(): unknown }).valueOf();
    if (typeof n === 'number') return n;
  }
  return undefined;
}

export function optInt(cmd: Document, field: string, min = 0): number | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  const n = toNumber(v);
  if (n === undefined || !Number.isFinite(n)) throw typeMismatch(field, 'long', v);
  if (n < min) throw badValue(`${field} value must be >= ${min}, got ${n}`);
  return Math.trunc(n);
}

export function queryOptions(cmd: Document, engine: Engine, db: string): QueryOptions {
  const opts: QueryOptions = {};
  const collation = optDocument(cmd, 'collation');
  if (collation) opts.collation = collation;
  const vars = optDocument(cmd, 'let');
  if (vars) opts.variables = vars;
  opts.collectionResolver = (name: string) => {
    const coll = engine.collection(db, name);
    return coll ? Array.from(coll.values(), (s) => s.doc) : [];
  };
  return opts;
}

/** mongod refuses a hint that names no existing index. */
export function checkHint(coll: Collection | undefined, hint: unknown): void {
  if (hint === undefined || hint === null) return;
  if (isPlainObject(hint) && '$natural' in hint) return;
  if (typeof hint === 'string' || isPlainObject(hint)) {
    if (coll && !coll.findIndex(hint)) throw badValue('hint provided does not correspond to an existing index');
    return;
  }
  throw badValue('hint must be a string or an object');
}

export const DEFAULT_FIRST_BATCH = 101;

/**
 * Answers the first batch of a cursor and registers the rest. `firstBatchSize` 0 means "the default"
 * only when the client gave none; an explicit 0 asks for an empty first batch.
 */
export function cursorReply(
  ctx: CommandContext,
  ns: string,
  source: BatchSource<unknown>,
  batchSize: number | undefined,
  singleBatch = false,
): Document {
  const first = batchSize === 0 ? { docs: [], exhausted: false } : source.next(batchSize ?? DEFAULT_FIRST_BATCH);
  let id = 0;
  if (!first.exhausted && !singleBatch) id = ctx.state.cursors.open(ns, source);
  else source.close();
  return { cursor: { firstBatch: first.docs, id: Long.fromNumber(id), ns }, ok: 1 };
}

/** A cursor over plain documents (aggregation results, catalog listings). */
export function documentSource(docs: Iterable<Document>): BatchSource<unknown> {
  return new BatchSource<Document>(docs[Symbol.iterator](), (d) => calculateObjectSize(d), (items) => items) as BatchSource<unknown>;
}

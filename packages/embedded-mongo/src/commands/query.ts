// Read commands: find, getMore, killCursors, count, distinct.
import { Long } from 'bson';
import { BatchSource } from '../cursors.js';
import { ErrorCode, MongoCommandError, badValue, notSupported } from '../errors.js';
import { compileFilter, projectDocs, sortDocs, type QueryOptions } from '../query/mingo.js';
import type { Collection, StoredDoc } from '../storage/collection.js';
import { MISSING, indexPathValues, keyOf, type Document } from '../storage/values.js';
import { RawDoc, type ReplyDoc } from '../wire/bson.js';
import {
  checkHint,
  collectionName,
  cursorReply,
  optArray,
  optDocument,
  optInt,
  queryOptions,
  toNumber,
  type CommandContext,
  type CommandHandler,
} from './common.js';

/** Matching documents in storage order; the filter is compiled now so a bad filter fails the command. */
export function matcher(coll: Collection | undefined, filter: Document, opts: QueryOptions): () => Iterator<StoredDoc> {
  const candidates = !coll || opts.collation ? null : coll.candidates(filter);
  const onlyId = candidates !== null && Object.keys(filter).length === 1 && '_id' in filter;
  const predicate = onlyId ? null : compileFilter(filter, opts);
  if (!coll) return () => [][Symbol.iterator]();
  const source = (): Iterable<StoredDoc> => candidates ?? coll.values();
  if (!predicate) return () => source()[Symbol.iterator]();
  return function* () {
    for (const s of source()) if (predicate(s.doc)) yield s;
  };
}

export interface FindPlan {
  filter: Document;
  sort?: Document;
  skip?: number;
  limit?: number;
  opts: QueryOptions;
}

/** The documents a find returns, in order, after sort/skip/limit. */
export function findIterator(coll: Collection | undefined, plan: FindPlan): Iterator<StoredDoc> {
  const next = matcher(coll, plan.filter, plan.opts);
  let it: Iterator<StoredDoc> = next();
  if (plan.sort && Object.keys(plan.sort).length > 0) {
    const all: StoredDoc[] = [];
    for (let r = it.next(); !r.done; r = it.next()) all.push(r.value);
    it = sortDocs(all, (s) => s.doc, plan.sort, plan.opts)[Symbol.iterator]();
  }
  const skip = plan.skip ?? 0;
  const limit = plan.limit ?? 0;
  if (skip === 0 && limit === 0) return it;
  const inner = it;
  return (function* () {
    let skipped = 0;
    let given = 0;
    for (let r = inner.next(); !r.done; r = inner.next()) {
      if (skipped < skip) {
        skipped++;
        continue;
      }
      yield r.value;
      if (limit > 0 && ++given >= limit) return;
    }
  })();
}

export function storedReply(filter: Document, projection: Document | undefined, opts: QueryOptions): (items: StoredDoc[]) => ReplyDoc[] {
  if (!projection || Object.keys(projection).length === 0) return (items) => items.map((s) => new RawDoc(s.raw));
  return (items) => (items.length === 0 ? [] : projectDocs(items.map((s) => s.doc), filter, projection, opts));
}

const find: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const engine = ctx.state.engine;
  const coll = engine.collection(ctx.db, name);
  const filter = optDocument(cmd, 'filter') ?? {};
  const projection = optDocument(cmd, 'projection');
  const sort = optDocument(cmd, 'sort');
  const opts = queryOptions(cmd, engine, ctx.db);
  checkHint(coll, cmd.hint);
  if (cmd.tailable || cmd.awaitData) throw notSupported('tailable cursors');
  for (const opt of ['min', 'max', 'returnKey', 'showRecordId'] as const) {
    if (cmd[opt] !== undefined && cmd[opt] !== false) throw notSupported(`find's ${opt} option`);
  }
  let limit = toNumber(cmd.limit) ?? 0;
  let singleBatch = cmd.singleBatch === true;
  if (limit < 0) {
    // Legacy negative limit: one batch of |limit| documents.
    limit = -limit;
    singleBatch = true;
  }
  const skip = optInt(cmd, 'skip') ?? 0;
  let batchSize = optInt(cmd, 'batchSize');
  if (limit > 0 && (batchSize === undefined || batchSize > limit)) batchSize = limit;
  const plan: FindPlan = { filter, skip, limit, opts };
  if (sort) plan.sort = sort;
  const it = findIterator(coll, plan);
  const source = new BatchSource<StoredDoc>(it, (s) => s.raw.length, storedReply(filter, projection, opts));
  return cursorReply(ctx, `${ctx.db}.${name}`, source as BatchSource<unknown>, batchSize, singleBatch);
};

const getMore: CommandHandler = (cmd, ctx) => {
  const id = toNumber(cmd.getMore);
  if (id === undefined) throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'getMore' is the wrong type, expected type 'long'");
  const cursor = ctx.state.cursors.get(id);
  if (!cursor) throw new MongoCommandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
  const batchSize = optInt(cmd, 'batchSize') ?? 0;
  const batch = cursor.source.next(batchSize);
  if (batch.exhausted) ctx.state.cursors.kill(id);
  return { cursor: { nextBatch: batch.docs, id: Long.fromNumber(batch.exhausted ? 0 : id), ns: cursor.ns }, ok: 1 };
};

const killCursors: CommandHandler = (cmd, ctx) => {
  const ids = optArray(cmd, 'cursors') ?? [];
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const raw of ids) {
    const id = toNumber(raw);
    if (id === undefined) throw badValue('cursor ids must be longs');
    (ctx.state.cursors.kill(id) ? killed : notFound).push(Long.fromNumber(id));
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

const count: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const coll = ctx.state.engine.collection(ctx.db, name);
  const query = optDocument(cmd, 'query') ?? {};
  checkHint(coll, cmd.hint);
  const skip = optInt(cmd, 'skip') ?? 0;
  const limit = Math.abs(toNumber(cmd.limit) ?? 0);
  let n = 0;
  if (coll && Object.keys(query).length === 0) n = coll.size;
  else {
    const it = matcher(coll, query, queryOptions(cmd, ctx.state.engine, ctx.db))();
    for (let r = it.next(); !r.done; r = it.next()) n++;
  }
  n = Math.max(0, n - skip);
  if (limit > 0) n = Math.min(n, limit);
  return { n, ok: 1 };
};

const distinct: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const key = cmd.key;
  if (typeof key !== 'string' || key === '') throw badValue("distinct requires a non-empty string 'key'");
  const coll = ctx.state.engine.collection(ctx.db, name);
  const query = optDocument(cmd, 'query') ?? {};
  const it = matcher(coll, query, queryOptions(cmd, ctx.state.engine, ctx.db))();
  const seen = new Set<string>();
  const values: unknown[] = [];
  for (let r = it.next(); !r.done; r = it.next()) {
    for (const v of indexPathValues(r.value.doc, key).values) {
      if (v === MISSING || v === undefined) continue;
      const k = keyOf(v);
      if (seen.has(k)) continue;
      seen.add(k);
      values.push(v);
    }
  }
  return { values, ok: 1 };
};

export const queryCommands: Record<string, CommandHandler> = { find, getMore, killCursors, count, distinct };

/** Resolves a find-style projection for a single returned document (findAndModify). */
export function projectOne(doc: Document, projection: Document | undefined, ctx: CommandContext, cmd: Document): Document {
  if (!projection || Object.keys(projection).length === 0) return doc;
  return projectDocs([doc], {}, projection, queryOptions(cmd, ctx.state.engine, ctx.db))[0] ?? {};
}


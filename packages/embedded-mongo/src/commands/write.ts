// Write commands: insert, update, delete, findAndModify. Each statement runs synchronously against the
// in-memory collections, so every single-document write is atomic; failures become writeErrors in the
// shape mongod uses (ordered writes stop at the first one).
import { EJSON, ObjectId } from 'bson';
import { ErrorCode, MongoCommandError, badValue } from '../errors.js';
import { applyModifier, isOperatorUpdate, seedFromFilter, sortDocs, type QueryOptions, type UpdateSpec } from '../query/mingo.js';
import type { Collection, StoredDoc } from '../storage/collection.js';
import { cloneValue, isPlainObject, keyOf, withIdFirst, type Document } from '../storage/values.js';
import { RawDoc } from '../wire/bson.js';
import { checkHint, collectionName, optArray, optDocument, queryOptions, type CommandContext, type CommandHandler } from './common.js';
import { matcher, projectOne } from './query.js';

function isReplacement(update: Document | Document[]): update is Document {
  return !Array.isArray(update) && !isOperatorUpdate(update);
}

function readUpdate(value: unknown): Document | Document[] {
  if (Array.isArray(value)) {
    if (!value.every(isPlainObject)) throw badValue('each stage of a pipeline update must be an object');
    return value as Document[];
  }
  if (!isPlainObject(value)) throw new MongoCommandError(ErrorCode.FailedToParse, 'update must be an object or a pipeline');
  return value;
}

/** The new version of `old`, or null when the update leaves it unchanged. */
function updatedDocument(old: StoredDoc, spec: UpdateSpec): Document | null {
  if (isReplacement(spec.update)) {
    const replacement = cloneValue(spec.update);
    if (replacement._id !== undefined && keyOf(replacement._id) !== old.id) {
      throw new MongoCommandError(
        ErrorCode.ImmutableField,
        `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${EJSON.stringify(replacement._id, { relaxed: true })}`,
      );
    }
    const next = withIdFirst(replacement, old.doc._id);
    return keyOf(next) === keyOf(old.doc) ? null : next;
  }
  return applyModifier(old.doc, spec, false);
}

/** The document an upsert inserts: the filter's equality fields, then the update applied to them. */
function upsertDocument(spec: UpdateSpec): Document {
  const seed = seedFromFilter(spec.filter);
  let doc: Document;
  if (isReplacement(spec.update)) {
    doc = cloneValue(spec.update);
    if (doc._id === undefined && seed._id !== undefined) doc = withIdFirst(doc, seed._id);
  } else {
    doc = applyModifier(seed, spec, true) ?? seed;
  }
  return withIdFirst(doc, doc._id === undefined ? new ObjectId() : doc._id);
}

interface Targeting {
  filter: Document;
  multi: boolean;
  sort?: Document | undefined;
  opts: QueryOptions;
}

/** The documents a statement applies to (all for multi, otherwise the first in sort order). */
function targets(coll: Collection | undefined, t: Targeting): StoredDoc[] {
  const it = matcher(coll, t.filter, t.opts)();
  if (t.multi || (t.sort && Object.keys(t.sort).length > 0)) {
    const all: StoredDoc[] = [];
    for (let r = it.next(); !r.done; r = it.next()) all.push(r.value);
    if (t.multi) return all;
    return sortDocs(all, (s) => s.doc, t.sort!, t.opts).slice(0, 1);
  }
  const first = it.next();
  return first.done ? [] : [first.value];
}

function writeReply(counts: Document, writeErrors: Document[]): Document {
  return writeErrors.length > 0 ? { ...counts, writeErrors, ok: 1 } : { ...counts, ok: 1 };
}

/** Runs the statements of a write command, collecting errors as mongod does. */
function eachStatement(statements: unknown[], ordered: boolean, run: (stmt: Document, index: number) => void): Document[] {
  const writeErrors: Document[] = [];
  for (let i = 0; i < statements.length; i++) {
    const stmt = statements[i];
    try {
      if (!isPlainObject(stmt)) throw badValue('each write statement must be an object');
      run(stmt, i);
    } catch (err) {
      if (!(err instanceof MongoCommandError)) throw err;
      writeErrors.push(err.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeErrors;
}

const insert: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const docs = optArray(cmd, 'documents') ?? [];
  const raws = ctx.sequences?.documents;
  const bypass = cmd.bypassDocumentValidation === true;
  const coll = ctx.state.engine.ensureCollection(ctx.db, name);
  let n = 0;
  const writeErrors = eachStatement(docs, cmd.ordered !== false, (doc, i) => {
    coll.insert(doc, raws?.[i], bypass);
    n++;
  });
  return writeReply({ n }, writeErrors);
};

const update: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const statements = optArray(cmd, 'updates') ?? [];
  const engine = ctx.state.engine;
  const bypass = cmd.bypassDocumentValidation === true;
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors = eachStatement(statements, cmd.ordered !== false, (stmt, index) => {
    const filter = optDocument(stmt, 'q') ?? {};
    const spec: UpdateSpec = { filter, update: readUpdate(stmt.u), opts: queryOptions({ ...cmd, ...stmt, let: cmd.let ?? stmt.c }, engine, ctx.db) };
    const arrayFilters = optArray(stmt, 'arrayFilters');
    if (arrayFilters) spec.arrayFilters = arrayFilters as Document[];
    const multi = stmt.multi === true;
    if (multi && isReplacement(spec.update)) {
      throw new MongoCommandError(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
    }
    let coll = engine.collection(ctx.db, name);
    checkHint(coll, stmt.hint);
    const found = targets(coll, { filter, multi, sort: optDocument(stmt, 'sort'), opts: spec.opts! });
    if (found.length === 0) {
      if (stmt.upsert !== true) return;
      coll ??= engine.ensureCollection(ctx.db, name);
      const stored = coll.insert(upsertDocument(spec), undefined, bypass);
      n++;
      upserted.push({ index, _id: stored.doc._id });
      return;
    }
    for (const target of found) {
      const next = updatedDocument(target, spec);
      n++;
      if (next) {
        coll!.replace(target, next, bypass);
        nModified++;
      }
    }
  });
  const counts: Document = { n, nModified };
  if (upserted.length > 0) counts.upserted = upserted;
  return writeReply(counts, writeErrors);
};

const del: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const statements = optArray(cmd, 'deletes') ?? [];
  const engine = ctx.state.engine;
  let n = 0;
  const writeErrors = eachStatement(statements, cmd.ordered !== false, (stmt) => {
    const filter = optDocument(stmt, 'q') ?? {};
    const limit = stmt.limit === undefined ? 0 : Number(stmt.limit);
    if (limit !== 0 && limit !== 1) throw new MongoCommandError(ErrorCode.FailedToParse, 'The limit field in delete objects must be 0 or 1');
    const coll = engine.collection(ctx.db, name);
    checkHint(coll, stmt.hint);
    const found = targets(coll, { filter, multi: limit === 0, opts: queryOptions({ ...cmd, ...stmt }, engine, ctx.db) });
    for (const target of found) {
      coll!.remove(target);
      n++;
    }
  });
  return writeReply({ n }, writeErrors);
};

const findAndModify: CommandHandler = (cmd, ctx: CommandContext) => {
  const name = collectionName(cmd, ctx.db);
  const engine = ctx.state.engine;
  const filter = optDocument(cmd, 'query') ?? {};
  const fields = optDocument(cmd, 'fields');
  const remove = cmd.remove === true;
  const opts = queryOptions(cmd, engine, ctx.db);
  if (remove && cmd.update !== undefined) throw new MongoCommandError(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && cmd.update === undefined) throw new MongoCommandError(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && cmd.upsert === true) throw new MongoCommandError(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  let coll = engine.collection(ctx.db, name);
  checkHint(coll, cmd.hint);
  const [target] = targets(coll, { filter, multi: false, sort: optDocument(cmd, 'sort'), opts });
  const value = (stored: StoredDoc): unknown => (fields ? projectOne(stored.doc, fields, ctx, cmd) : new RawDoc(stored.raw));
  if (remove) {
    if (!target) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
    coll!.remove(target);
    return { lastErrorObject: { n: 1 }, value: value(target), ok: 1 };
  }
  const spec: UpdateSpec = { filter, update: readUpdate(cmd.update), opts };
  const arrayFilters = optArray(cmd, 'arrayFilters');
  if (arrayFilters) spec.arrayFilters = arrayFilters as Document[];
  const bypass = cmd.bypassDocumentValidation === true;
  const returnNew = cmd.new === true;
  if (target) {
    const next = updatedDocument(target, spec);
    const stored = next ? coll!.replace(target, next, bypass) : target;
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: value(returnNew ? stored : target), ok: 1 };
  }
  if (cmd.upsert !== true) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  coll ??= engine.ensureCollection(ctx.db, name);
  const stored = coll.insert(upsertDocument(spec), undefined, bypass);
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: stored.doc._id },
    value: returnNew ? value(stored) : null,
    ok: 1,
  };
};

export const writeCommands: Record<string, CommandHandler> = { insert, update, delete: del, findAndModify, findandmodify: findAndModify };

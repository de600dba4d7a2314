// Catalog commands: create, drop, dropDatabase, renameCollection, listCollections, listDatabases,
// createIndexes, listIndexes, dropIndexes, dbStats.
import { ErrorCode, MongoCommandError, badValue } from '../errors.js';
import { compileFilter } from '../query/mingo.js';
import { checkNamespace } from '../storage/engine.js';
import { isPlainObject, type Document } from '../storage/values.js';
import { collectionName, cursorReply, documentSource, optArray, optDocument, optInt, type CommandHandler } from './common.js';

const ID_INDEX = { v: 2, key: { _id: 1 }, name: '_id_' };
// Fields of a command document that are protocol/session bookkeeping rather than options.
const GENERIC_FIELDS = new Set(['$db', 'lsid', '$clusterTime', '$readPreference', 'writeConcern', 'comment', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'maxTimeMS']);

function namespaceNotFound(db: string, name: string): MongoCommandError {
  return new MongoCommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${db}.${name}`);
}

const create: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const options: Document = {};
  for (const [k, v] of Object.entries(cmd)) if (k !== 'create' && !GENERIC_FIELDS.has(k)) options[k] = v;
  if (options.autoIndexId === false) throw badValue('autoIndexId: false is not supported');
  delete options.autoIndexId;
  ctx.state.engine.createCollection(ctx.db, name, options);
  return { ok: 1 };
};

const drop: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const coll = ctx.state.engine.collection(ctx.db, name);
  // Since MongoDB 7.0 dropping a missing collection succeeds.
  if (!coll) return { ok: 1 };
  const nIndexesWas = coll.indexSpecs().length;
  ctx.state.engine.dropCollection(ctx.db, name);
  return { nIndexesWas, ns: `${ctx.db}.${name}`, ok: 1 };
};

const dropDatabase: CommandHandler = (_cmd, ctx) => {
  checkNamespace(ctx.db);
  ctx.state.engine.dropDatabase(ctx.db);
  return { dropped: ctx.db, ok: 1 };
};

function splitNs(ns: unknown): [string, string] {
  if (typeof ns !== 'string' || !ns.includes('.')) throw new MongoCommandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${String(ns)}'`);
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

const renameCollection: CommandHandler = (cmd, ctx) => {
  const [db, from] = splitNs(cmd.renameCollection);
  const [toDb, to] = splitNs(cmd.to);
  ctx.state.engine.renameCollection(db, from, toDb, to, cmd.dropTarget === true);
  return { ok: 1 };
};

const listCollections: CommandHandler = (cmd, ctx) => {
  const filter = optDocument(cmd, 'filter') ?? {};
  const nameOnly = cmd.nameOnly === true;
  const predicate = compileFilter(filter);
  const entries: Document[] = [];
  for (const coll of ctx.state.engine.collections(ctx.db)) {
    const full: Document = {
      name: coll.name,
      type: 'collection',
      options: coll.options,
      info: { readOnly: false, uuid: coll.uuid },
      idIndex: ID_INDEX,
    };
    if (!predicate(full)) continue;
    entries.push(nameOnly ? { name: coll.name, type: 'collection' } : full);
  }
  const batchSize = optInt(optDocument(cmd, 'cursor') ?? {}, 'batchSize');
  return cursorReply(ctx, `${ctx.db}.$cmd.listCollections`, documentSource(entries), batchSize);
};

const listDatabases: CommandHandler = (cmd, ctx) => {
  const engine = ctx.state.engine;
  const predicate = compileFilter(optDocument(cmd, 'filter') ?? {});
  const databases: Document[] = [];
  let totalSize = 0;
  for (const name of engine.databaseNames()) {
    const sizeOnDisk = engine.collections(name).reduce((sum, c) => sum + c.bytes, 0);
    const entry = { name, sizeOnDisk, empty: false };
    if (!predicate(entry)) continue;
    totalSize += sizeOnDisk;
    databases.push(cmd.nameOnly === true ? { name } : entry);
  }
  if (cmd.nameOnly === true) return { databases, ok: 1 };
  return { databases, totalSize, totalSizeMb: Math.floor(totalSize / (1024 * 1024)), ok: 1 };
};

const createIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const specs = optArray(cmd, 'indexes');
  if (!specs || specs.length === 0) throw badValue('Must specify at least one index to create');
  const engine = ctx.state.engine;
  const existed = engine.collection(ctx.db, name) !== undefined;
  const coll = engine.ensureCollection(ctx.db, name);
  const before = coll.indexSpecs().length;
  const created: string[] = [];
  try {
    for (const spec of specs) {
      if (coll.createIndex(spec)) created.push(coll.indexSpecs()[coll.indexSpecs().length - 1]!.name);
    }
  } catch (err) {
    // mongod builds the batch as a unit: undo the indexes this command already added.
    for (const n of created) coll.dropIndex(n);
    throw err;
  }
  const reply: Document = { numIndexesBefore: before, numIndexesAfter: coll.indexSpecs().length, createdCollectionAutomatically: !existed };
  if (created.length === 0) reply.note = 'all indexes already exist';
  reply.ok = 1;
  return reply;
};

const listIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const coll = ctx.state.engine.collection(ctx.db, name);
  if (!coll) throw namespaceNotFound(ctx.db, name);
  const batchSize = optInt(optDocument(cmd, 'cursor') ?? {}, 'batchSize');
  return cursorReply(ctx, `${ctx.db}.${name}`, documentSource(coll.indexSpecs()), batchSize);
};

const dropIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, ctx.db);
  const coll = ctx.state.engine.collection(ctx.db, name);
  if (!coll) throw namespaceNotFound(ctx.db, name);
  const nIndexesWas = coll.indexSpecs().length;
  const target = cmd.index;
  if (target === '*') {
    for (const spec of coll.indexSpecs().slice(1)) coll.dropIndex(spec.name);
  } else if (Array.isArray(target)) {
    for (const n of target) if (!coll.findIndex(n)) throw new MongoCommandError(ErrorCode.IndexNotFound, `index not found with name [${String(n)}]`);
    for (const n of target) coll.dropIndex(String(n));
  } else if (typeof target === 'string') {
    coll.dropIndex(target);
  } else if (isPlainObject(target)) {
    const index = coll.findIndex(target);
    if (!index) throw new MongoCommandError(ErrorCode.IndexNotFound, `can't find index with key: ${JSON.stringify(target)}`);
    coll.dropIndex(index.spec.name);
  } else {
    throw badValue("dropIndexes 'index' must be a name, a key pattern, '*' or an array of names");
  }
  return { nIndexesWas, ok: 1 };
};

const dbStats: CommandHandler = (_cmd, ctx) => {
  const colls = ctx.state.engine.collections(ctx.db);
  const objects = colls.reduce((n, c) => n + c.size, 0);
  const dataSize = colls.reduce((n, c) => n + c.bytes, 0);
  const indexes = colls.reduce((n, c) => n + c.indexSpecs().length, 0);
  return {
    db: ctx.db,
    collections: colls.length,
    views: 0,
    objects,
    avgObjSize: objects > 0 ? dataSize / objects : 0,
    dataSize,
    storageSize: dataSize,
    indexes,
    indexSize: 0,
    totalSize: dataSize,
    scaleFactor: 1,
    ok: 1,
  };
};

export const adminCommands: Record<string, CommandHandler> = {
  create,
  drop,
  dropDatabase,
  renameCollection,
  listCollections,
  listDatabases,
  createIndexes,
  listIndexes,
  dropIndexes,
  dbStats,
};

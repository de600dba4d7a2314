// The one place that talks to mingo: query matching, sorting, projection, aggregation and update operators.
// mingo mutates the objects it is given in places (nested projections, $addFields on sub-paths, updates), so
// callers hand it clones of stored documents whenever the operation can write; read-only work runs on the
// stored objects directly. mingo's errors become the error codes mongod uses for the same mistakes.
import { Aggregator, Query, find, updateOne, ProcessingMode } from 'mingo';
import { MingoError } from 'mingo/util';
import type { Options } from 'mingo/types';
import { ErrorCode, MongoCommandError, badValue, notSupported } from '../errors.js';
import { cloneDoc, cloneValue, isPlainObject, setPath, withIdFirst, type Document } from '../storage/values.js';

export interface QueryOptions {
  collation?: Document;
  /** `let` variables of find/aggregate/update. */
  variables?: Document;
  /** Resolves a collection name of the same database for $lookup/$unionWith/$graphLookup. */
  collectionResolver?: (name: string) => Document[];
}

function mingoOptions(opts: QueryOptions | undefined, extra: Partial<Options> = {}): Partial<Options> {
  const out: Record<string, unknown> = { useStrictMode: true, scriptEnabled: false, ...extra };
  if (opts?.collation) out.collation = opts.collation;
  if (opts?.variables) out.variables = opts.variables;
  if (opts?.collectionResolver) out.collectionResolver = opts.collectionResolver;
  return out as Partial<Options>;
}

/** Converts an error thrown by mingo (or by bad input inside it) into a mongod-style command error. */
export function translateQueryError(err: unknown): MongoCommandError {
  if (err instanceof MongoCommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  let m: RegExpMatchArray | null;
  if ((m = /unknown query operator (\$\w+)/.exec(message))) return badValue(`unknown operator: ${m[1]}`);
  if ((m = /unknown top level operator: (\$\w+)/.exec(message))) return badValue(`unknown top level operator: ${m[1]}`);
  if ((m = /unregistered pipeline operator (\$\w+)/.exec(message)))
    return new MongoCommandError(ErrorCode.UnrecognizedPipelineStage, `Unrecognized pipeline stage name: '${m[1]}'`);
  if ((m = /accumulator '(\$\w+)' is not registered/.exec(message)))
    return new MongoCommandError(ErrorCode.InvalidPipelineOperator, `Unrecognized expression '${m[1]}'`);
  if ((m = /Unknown update operator: '(\$\w+)'/.exec(message)))
    return new MongoCommandError(
      ErrorCode.FailedToParse,
      `Unknown modifier: ${m[1]}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  if ((m = /Unknown pipeline operator: '(\$\w+)'/.exec(message)))
    return new MongoCommandError(ErrorCode.InvalidOptions, `${m[1]} is not allowed to be used within an update`);
  if (/immutable field '_id'/.test(message)) return new MongoCommandError(ErrorCode.ImmutableField, message.replace(/\.$/, ''));
  if (/requires 'jsonSchemaValidator'/.test(message)) return notSupported('$jsonSchema');
  if (/requires 'scriptEnabled'/.test(message)) return notSupported('server-side JavaScript ($where, $function, $accumulator)');
  if (err instanceof MingoError || err instanceof TypeError || err instanceof RangeError) return badValue(message);
  return new MongoCommandError(ErrorCode.InternalError, message);
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw translateQueryError(err);
  }
}

export type Predicate = (doc: Document) => boolean;

const MATCH_ALL: Predicate = () => true;

export function compileFilter(filter: Document | undefined, opts?: QueryOptions): Predicate {
  if (filter === undefined || Object.keys(filter).length === 0) return MATCH_ALL;
  const query = guarded(() => new Query(filter, mingoOptions(opts)));
  return (doc) => guarded(() => query.test(doc));
}

/** Sorts documents in place of mongod's sort stage; `$natural` means storage order. */
export function sortDocs<T>(items: T[], docOf: (item: T) => Document, sort: Document, opts?: QueryOptions): T[] {
  const keys = Object.keys(sort);
  if (keys.length === 0) return items;
  if (keys.length === 1 && keys[0] === '$natural') return Number(sort.$natural) < 0 ? items.slice().reverse() : items;
  if (keys.includes('$natural')) throw badValue('$natural sort cannot be combined with other sort keys');
  for (const k of keys) {
    const dir = sort[k];
    if (isPlainObject(dir)) throw notSupported(`sort by ${JSON.stringify(dir)}`);
    if (dir !== 1 && dir !== -1) throw badValue(`$sort key ordering must be 1 (for ascending) or -1 (for descending)`);
  }
  const byDoc = new Map<Document, T>();
  for (const item of items) byDoc.set(docOf(item), item);
  const sorted = guarded(() => find(Array.from(byDoc.keys()), {}, undefined, mingoOptions(opts)).sort(sort as never).all());
  return (sorted as Document[]).map((d) => byDoc.get(d)!);
}

/**
 * Applies a find projection (including positional `$`, $elemMatch and $slice) to copies of the documents,
 * which must already match `filter`.
 */
export function projectDocs(docs: Document[], filter: Document, projection: Document, opts?: QueryOptions): Document[] {
  const clones = docs.map(cloneDoc);
  const out = guarded(() => find(clones, filter, projection as never, mingoOptions(opts)).all()) as Document[];
  // mongod returns _id first; mingo appends it after the projected fields.
  return out.map((d) => ('_id' in d ? withIdFirst(d, d._id) : d));
}

// Stages that never write into the documents flowing through them (nor into documents they pass on).
const READ_ONLY_STAGES = new Set([
  '$match',
  '$sort',
  '$limit',
  '$skip',
  '$count',
  '$group',
  '$sortByCount',
  '$sample',
  '$lookup',
  '$facet',
  '$unionWith',
  '$bucket',
  '$bucketAuto',
]);

/** True when running the pipeline cannot mutate its input documents, so they need no copying. */
export function isReadOnlyPipeline(pipeline: unknown[]): boolean {
  for (const stage of pipeline) {
    if (!isPlainObject(stage)) return false;
    const name = Object.keys(stage)[0];
    if (name === undefined || !READ_ONLY_STAGES.has(name)) return false;
    const spec = stage[name];
    if (name === '$facet' && isPlainObject(spec)) {
      for (const sub of Object.values(spec)) if (!Array.isArray(sub) || !isReadOnlyPipeline(sub)) return false;
    }
    if ((name === '$lookup' || name === '$unionWith') && isPlainObject(spec) && Array.isArray(spec.pipeline)) {
      if (!isReadOnlyPipeline(spec.pipeline)) return false;
    }
  }
  return true;
}

const REFUSED_STAGES: Record<string, string> = {
  $out: '$out',
  $merge: '$merge',
  $changeStream: 'change streams ($changeStream)',
  $currentOp: '$currentOp',
  $listSessions: '$listSessions',
  $collStats: '$collStats',
  $indexStats: '$indexStats',
  $planCacheStats: '$planCacheStats',
};

/** Runs an aggregation pipeline; `readOnly` inputs are the stored documents themselves, so never mutated. */
export function runPipeline(docs: Document[], pipeline: Document[], opts: QueryOptions, readOnly: boolean): Document[] {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    if (name !== undefined && name in REFUSED_STAGES) throw notSupported(`the ${REFUSED_STAGES[name]} aggregation stage`);
  }
  const extra: Partial<Options> = readOnly ? {} : { processingMode: ProcessingMode.CLONE_INPUT };
  return guarded(() => new Aggregator(pipeline, mingoOptions(opts, extra)).run(docs)) as Document[];
}

export function isOperatorUpdate(update: Document): boolean {
  const first = Object.keys(update)[0];
  return first !== undefined && first.startsWith('$');
}

/** Whether an update's paths use the positional `$` operator, which needs the filter to resolve. */
function usesPositional(update: Document): boolean {
  for (const fields of Object.values(update)) {
    if (!isPlainObject(fields)) continue;
    for (const path of Object.keys(fields)) if (/(^|\.)\$(\.|$)/.test(path)) return true;
  }
  return false;
}

export interface UpdateSpec {
  filter: Document;
  update: Document | Document[];
  arrayFilters?: Document[];
  opts?: QueryOptions;
}

/**
 * Applies an operator or pipeline update to a copy of `doc`. Returns the new document, or null when the
 * update changed nothing. `$setOnInsert` is applied only when `inserting`.
 */
export function applyModifier(doc: Document, spec: UpdateSpec, inserting: boolean): Document | null {
  const docs = [cloneDoc(doc)];
  const options = mingoOptions(spec.opts);
  if (Array.isArray(spec.update)) {
    const res = guarded(() => updateOne(docs, {}, spec.update as never, {}, options));
    return res.modifiedCount > 0 ? docs[0]! : null;
  }
  const { $setOnInsert, ...rest } = spec.update;
  let modifier: Document = rest;
  if (inserting && isPlainObject($setOnInsert)) {
    modifier = { ...rest, $set: { ...(isPlainObject(rest.$set) ? rest.$set : {}), ...$setOnInsert } };
  }
  if (Object.keys(modifier).length === 0) return null;
  const condition = usesPositional(modifier) ? spec.filter : {};
  const config = spec.arrayFilters ? { arrayFilters: spec.arrayFilters } : {};
  const res = guarded(() => updateOne(docs, condition, modifier as never, config, options));
  return res.modifiedCount > 0 ? docs[0]! : null;
}

/**
 * The document an upsert starts from: the equality conditions of the filter (top level, `$eq` and inside
 * `$and`), as mongod seeds it.
 */
export function seedFromFilter(filter: Document): Document {
  const seed: Document = {};
  const visit = (f: Document): void => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) {
        for (const sub of value) if (isPlainObject(sub)) visit(sub);
        continue;
      }
      if (key.startsWith('$')) continue;
      if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
        if ('$eq' in value) setPath(seed, key, cloneValue(value.$eq));
        continue;
      }
      if (value instanceof RegExp) continue;
      setPath(seed, key, cloneValue(value));
    }
  };
  visit(filter);
  return seed;
}

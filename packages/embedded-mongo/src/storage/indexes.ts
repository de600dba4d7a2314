// Index specifications and the key maps of unique indexes. Only uniqueness is enforced (and used for
// equality lookups); other indexes are kept as specifications so listIndexes/syncIndexes behave as on mongod.
import { ErrorCode, MongoCommandError, badValue, notSupported } from '../errors.js';
import { compileFilter, type Predicate } from '../query/mingo.js';
import { MISSING, indexPathValues, isPlainObject, keyOf, type Document } from './values.js';

export interface IndexSpec {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

export const ID_INDEX_NAME = '_id_';

// Options that change how an index behaves and therefore make two specs different indexes.
const SEMANTIC_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'weights'] as const;
// Options mongod accepts and that have no effect here (storage tuning, build mode, text/geo parameters).
const PASSIVE_OPTIONS = new Set([
  'background',
  'hidden',
  'storageEngine',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'bucketSize',
  'wildcardProjection',
  'ns',
  'dropDups',
]);

export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, dir]) => `${field}_${String(dir)}`)
    .join('_');
}

/** Validates a createIndexes entry and returns the specification listIndexes will report. */
export function normalizeIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) throw badValue('each index specification must be an object');
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new MongoCommandError(ErrorCode.FailedToParse, "The 'key' field is a required property of an index specification");
  }
  for (const [field, dir] of Object.entries(key)) {
    const ok = (typeof dir === 'number' && dir !== 0) || typeof dir === 'string';
    if (!ok || field === '') throw new MongoCommandError(ErrorCode.InvalidOptions /* mongod: CannotCreateIndex */, `bad index key pattern ${JSON.stringify(key)}`);
  }
  const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : defaultIndexName(key);
  const spec: IndexSpec = { v: 2, key, name };
  for (const [opt, value] of Object.entries(raw)) {
    if (opt === 'key' || opt === 'name' || opt === 'v') continue;
    if (opt === 'collation') throw notSupported('index collation');
    if ((SEMANTIC_OPTIONS as readonly string[]).includes(opt)) {
      if ((opt === 'unique' || opt === 'sparse') && !value) continue;
      spec[opt] = value;
    } else if (!PASSIVE_OPTIONS.has(opt)) {
      throw new MongoCommandError(ErrorCode.InvalidOptions /* mongod: InvalidIndexSpecificationOption */, `The field '${opt}' is not valid for an index specification. Specification: ${JSON.stringify(raw)}`);
    } else if (opt !== 'background' && opt !== 'ns' && opt !== 'dropDups') {
      spec[opt] = value;
    }
  }
  if (spec.unique) {
    for (const dir of Object.values(key)) {
      if (dir !== 1 && dir !== -1) throw badValue(`unique indexes are supported on ascending/descending keys only, not ${JSON.stringify(dir)}`);
    }
  }
  if (spec.partialFilterExpression !== undefined && !isPlainObject(spec.partialFilterExpression)) {
    throw badValue('partialFilterExpression must be an object');
  }
  if (spec.expireAfterSeconds !== undefined && (typeof spec.expireAfterSeconds !== 'number' || spec.expireAfterSeconds < 0)) {
    throw badValue('expireAfterSeconds must be a non-negative number');
  }
  return spec;
}

/** Whether two specs describe the same index (same key order and same behaviour options). */
export function sameIndex(a: IndexSpec, b: IndexSpec): boolean {
  if (keyOf(a.key) !== keyOf(b.key)) return false;
  return SEMANTIC_OPTIONS.every((opt) => keyOf(a[opt]) === keyOf(b[opt]));
}

export interface IndexKey {
  key: string;
  /** The document's values for the index fields, reported as keyValue in duplicate-key errors. */
  values: unknown[];
}

export class Index {
  readonly spec: IndexSpec;
  readonly fields: string[];
  readonly unique: boolean;
  readonly isId: boolean;
  /** Unique indexes only: index key → id key of the document holding it. */
  readonly entries = new Map<string, string>();
  private readonly partial: Predicate | null;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.isId = spec.name === ID_INDEX_NAME;
    this.unique = !this.isId && spec.unique === true;
    this.partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : null;
  }

  /** Usable for equality lookups on every document (no sparse/partial gaps). */
  get complete(): boolean {
    return this.partial === null && !this.spec.sparse;
  }

  /**
   * The keys a document contributes, or null when the index leaves the document out (sparse with all
   * fields missing, or not matching the partial filter).
   */
  keysFor(doc: Document): IndexKey[] | null {
    if (this.partial && !this.partial(doc)) return null;
    const perField = this.fields.map((f) => indexPathValues(doc, f));
    if (this.spec.sparse && perField.every((p) => p.missing)) return null;
    const arrays = perField.map((p, i) => (p.multikey ? this.fields[i] : null)).filter((f) => f !== null);
    if (arrays.length > 1) {
      throw new MongoCommandError(ErrorCode.CannotIndexParallelArrays, `cannot index parallel arrays [${arrays[0]}] [${arrays[1]}]`);
    }
    const lists = perField.map((p) => dedupe(p.values.map((v) => (v === MISSING ? null : v))));
    const out: IndexKey[] = [];
    const expand = (i: number, acc: unknown[]): void => {
      if (i === lists.length) {
        out.push({ key: acc.map(keyOf).join('|'), values: acc.slice() });
        return;
      }
      for (const v of lists[i]!) {
        acc.push(v);
        expand(i + 1, acc);
        acc.pop();
      }
    };
    expand(0, []);
    return out;
  }

  /** The index key for filter equality values in index field order (for lookups). */
  keyForValues(values: unknown[]): string {
    return values.map(keyOf).join('|');
  }

  keyValue(values: unknown[]): Document {
    const out: Document = {};
    this.fields.forEach((f, i) => {
      out[f] = values[i];
    });
    return out;
  }
}

function dedupe(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = keyOf(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

// Value helpers shared by storage and commands: canonical equality keys (for the _id map and unique indexes),
// cloning that never shares mutable structure with stored documents, and dotted-path access.

export type Document = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Document {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function bsonType(v: object): string | undefined {
  const t = (v as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
}

/**
 * A string that is equal for two values exactly when mongod's index equality treats them as equal:
 * numbers compare by value across int32/int64/double, ObjectIds by bytes, dates by instant, documents by
 * field order and values. Strings are JSON-quoted so composite keys stay unambiguous.
 */
export function keyOf(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? 'n0' : `n${v}`;
    case 'bigint':
      return `n${v}`;
    case 'boolean':
      return v ? 'T' : 'F';
    case 'undefined':
      return 'N';
    case 'object':
      break;
    default:
      return `?${String(v)}`;
  }
  if (v === null) return 'N';
  if (Array.isArray(v)) return `[${v.map(keyOf).join(',')}]`;
  if (v instanceof Date) return `d${v.getTime()}`;
  if (v instanceof RegExp) return `r${JSON.stringify(`${v.source}/${v.flags}`)}`;
  const type = bsonType(v);
  if (type !== undefined) {
    const any = v as { toHexString?: () => string; toString(enc?: string): string; sub_type?: number; value?: unknown };
    switch (type) {
      case 'ObjectId':
        return `o${any.toHexString!()}`;
      case 'Long':
      case 'Decimal128':
        return `n${any.toString()}`;
      case 'Int32':
      case 'Double':
        return keyOf(Number(any.value));
      case 'Binary':
        return `b${any.sub_type}:${any.toString('base64')}`;
      case 'Timestamp':
        return `t${any.toString()}`;
      case 'MinKey':
        return 'm';
      case 'MaxKey':
        return 'M';
      case 'BSONSymbol':
        return JSON.stringify(String(any.value));
      default:
        return `${type}:${JSON.stringify(v)}`;
    }
  }
  let out = '{';
  let first = true;
  for (const k of Object.keys(v)) {
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(k)}:${keyOf((v as Document)[k])}`;
  }
  return `${out}}`;
}

/**
 * Deep copy of plain objects and arrays (the only structures mingo mutates); BSON value objects are
 * immutable in practice and shared, dates are copied.
 */
export function cloneValue<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (!isPlainObject(v)) return v;
  const out: Document = {};
  for (const k of Object.keys(v)) out[k] = cloneValue((v as Document)[k]);
  return out as T;
}

export function cloneDoc(doc: Document): Document {
  return cloneValue(doc);
}

/** Reading a dotted path the way a simple filter equality would (no array traversal). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Document)[part];
  }
  return cur;
}

/** Writes a dotted path, creating intermediate documents (used to seed upserts from the filter). */
export function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Document = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const next = cur[part];
    if (next === null || typeof next !== 'object') {
      const created: Document = {};
      cur[part] = created;
      cur = created;
    } else {
      cur = next as Document;
    }
  }
  cur[parts[parts.length - 1]!] = value;
}

/** Returns the document with _id as its first field, as mongod stores it. */
export function withIdFirst(doc: Document, id: unknown): Document {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' && doc._id === id) return doc;
  const out: Document = { _id: id };
  for (const k of keys) if (k !== '_id') out[k] = doc[k];
  return out;
}

/** Values an index sees at a dotted path: array elements are expanded (multikey), missing is reported. */
export interface PathValues {
  values: unknown[];
  /** Every value came from a missing path. */
  missing: boolean;
  /** The path went through or ended at an array. */
  multikey: boolean;
}

export const MISSING: unique symbol = Symbol('missing');

export function indexPathValues(doc: Document, path: string): PathValues {
  const out: unknown[] = [];
  const state = { multikey: false };
  collect(doc, path.split('.'), 0, out, state);
  const missing = out.every((v) => v === MISSING);
  return { values: out, missing, multikey: state.multikey };
}

function collect(value: unknown, parts: string[], i: number, out: unknown[], state: { multikey: boolean }): void {
  if (i === parts.length) {
    if (Array.isArray(value)) {
      state.multikey = true;
      // mongod indexes an empty array as undefined; two documents with [] collide in a unique index.
      if (value.length === 0) out.push(undefined);
      else for (const el of value) out.push(el);
    } else {
      out.push(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    state.multikey = true;
    const part = parts[i]!;
    if (/^\d+$/.test(part) && Number(part) < value.length) {
      collect(value[Number(part)], parts, i + 1, out, state);
      return;
    }
    let any = false;
    for (const el of value) {
      if (isPlainObject(el)) {
        any = true;
        collect(el, parts, i, out, state);
      }
    }
    if (!any) out.push(MISSING);
    return;
  }
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const child = value[parts[i]!];
    if (child === undefined) out.push(MISSING);
    else collect(child, parts, i + 1, out, state);
    return;
  }
  out.push(MISSING);
}

// BSON encoding of replies. Stored documents are kept as the bytes the client sent (or the last update
// produced), so cursor batches splice those bytes into the reply instead of re-serializing every document.
import { Long, deserialize, serialize, type DeserializeOptions } from 'bson';
import { isPlainObject, type Document } from '../storage/values.js';

/** A document already encoded as BSON, embedded as is. */
export class RawDoc {
  constructor(readonly bytes: Buffer) {}
}

export type ReplyDoc = Document | RawDoc;

// Long values within ±2^53 become numbers, as the driver itself does by default; larger ones stay Long.
export const DESERIALIZE_OPTIONS: DeserializeOptions = { promoteLongs: true, promoteValues: true, promoteBuffers: false };
const SERIALIZE_OPTIONS = { ignoreUndefined: true } as const;

/** The bson library's output as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodePlain(doc: Document): Buffer {
  return asBuffer(serialize(doc, SERIALIZE_OPTIONS));
}

export function decodeDocument(bytes: Uint8Array, extra?: DeserializeOptions): Document {
  return deserialize(bytes, extra ? { ...DESERIALIZE_OPTIONS, ...extra } : DESERIALIZE_OPTIONS);
}

const BSON_EMBEDDED_DOC = 0x03;
const BSON_ARRAY = 0x04;

function containsRaw(v: unknown): boolean {
  if (v instanceof RawDoc) return true;
  if (Array.isArray(v)) return v.some((x) => x instanceof RawDoc);
  if (isPlainObject(v)) {
    for (const x of Object.values(v)) if (containsRaw(x)) return true;
  }
  return false;
}

/** Encodes a reply document, splicing RawDoc values (directly or as array elements) into the output. */
export function encodeDocument(doc: Document): Buffer {
  if (!containsRaw(doc)) return encodePlain(doc);
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (value === undefined) continue;
    if (value instanceof RawDoc) {
      parts.push(elementHeader(BSON_EMBEDDED_DOC, key), value.bytes);
    } else if (Array.isArray(value) && containsRaw(value)) {
      parts.push(elementHeader(BSON_ARRAY, key), encodeArray(value));
    } else if (isPlainObject(value) && containsRaw(value)) {
      parts.push(elementHeader(BSON_EMBEDDED_DOC, key), encodeDocument(value));
    } else {
      parts.push(encodeElement(key, value));
    }
  }
  return wrapDocument(parts);
}

function encodeArray(values: unknown[]): Buffer {
  const parts: Buffer[] = [];
  values.forEach((value, i) => {
    if (value instanceof RawDoc) parts.push(elementHeader(BSON_EMBEDDED_DOC, String(i)), value.bytes);
    else if (isPlainObject(value)) parts.push(elementHeader(BSON_EMBEDDED_DOC, String(i)), encodePlain(value));
    else parts.push(encodeElement(String(i), value));
  });
  return wrapDocument(parts);
}

function elementHeader(type: number, key: string): Buffer {
  const name = Buffer.from(key, 'utf8');
  const out = Buffer.allocUnsafe(name.length + 2);
  out[0] = type;
  name.copy(out, 1);
  out[name.length + 1] = 0;
  return out;
}

/** One element (type, name, value); the envelope's scalar types are written directly (hot path). */
function encodeElement(key: string, value: unknown): Buffer {
  if (typeof value === 'string') {
    const head = elementHeader(0x02, key);
    const len = Buffer.byteLength(value, 'utf8');
    const out = Buffer.allocUnsafe(head.length + 4 + len + 1);
    head.copy(out, 0);
    out.writeInt32LE(len + 1, head.length);
    out.write(value, head.length + 4, 'utf8');
    out[out.length - 1] = 0;
    return out;
  }
  if (typeof value === 'number') {
    const int32 = Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0);
    const head = elementHeader(int32 ? 0x10 : 0x01, key);
    const out = Buffer.allocUnsafe(head.length + (int32 ? 4 : 8));
    head.copy(out, 0);
    if (int32) out.writeInt32LE(value, head.length);
    else out.writeDoubleLE(value, head.length);
    return out;
  }
  if (value instanceof Long) {
    const head = elementHeader(0x12, key);
    const out = Buffer.allocUnsafe(head.length + 8);
    head.copy(out, 0);
    out.writeInt32LE(value.low, head.length);
    out.writeInt32LE(value.high, head.length + 4);
    return out;
  }
  const bytes = serialize({ [key]: value }, SERIALIZE_OPTIONS);
  return Buffer.from(bytes.buffer, bytes.byteOffset + 4, bytes.length - 5);
}

function wrapDocument(parts: Buffer[]): Buffer {
  let size = 5;
  for (const p of parts) size += p.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let offset = 4;
  for (const p of parts) {
    p.copy(out, offset);
    offset += p.length;
  }
  out[offset] = 0;
  return out;
}

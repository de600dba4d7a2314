// MongoDB wire protocol framing: the 16-byte header, OP_MSG (body and document-sequence sections, checksum,
// moreToCome), the legacy OP_QUERY command form the driver's first handshake uses, and OP_REPLY/OP_MSG replies.
import { crc32c } from './crc32c.js';
import { decodeDocument } from './bson.js';
import type { Document } from '../storage/values.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const HEADER_BYTES = 16;
export const MAX_BSON_OBJECT_BYTES = 16 * 1024 * 1024;
export const MAX_MESSAGE_BYTES = 48_000_000;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface IncomingCommand {
  opCode: typeof OP_MSG | typeof OP_QUERY;
  requestId: number;
  /** Database the command runs against ($db, or the OP_QUERY namespace). */
  db: string;
  command: Document;
  /** OP_MSG moreToCome: the client expects no reply (unacknowledged write). */
  moreToCome: boolean;
  /** BSON bytes of each document of the kind-1 sections, by identifier, parallel to command[identifier]. */
  sequences?: Record<string, Buffer[]>;
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

/** The name of a BSON document's first element, read without decoding the document. */
function firstFieldName(doc: Buffer): string | undefined {
  if (doc.length < 6 || doc[4] === 0) return undefined;
  const end = doc.indexOf(0, 5);
  return end < 0 ? undefined : doc.toString('utf8', 5, end);
}

function docLength(buf: Buffer, offset: number, limit: number): number {
  if (offset + 5 > limit) throw new ProtocolError('truncated BSON document');
  const len = buf.readInt32LE(offset);
  if (len < 5 || offset + len > limit) throw new ProtocolError('invalid BSON document length');
  return len;
}

/** Decodes one complete message (header included). */
export function parseMessage(msg: Buffer): IncomingCommand {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(msg, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(msg, requestId);
  if (opCode === OP_COMPRESSED) throw new ProtocolError('compression was not negotiated (this server offers no compressors)');
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function parseOpMsg(msg: Buffer, requestId: number): IncomingCommand {
  const flags = msg.readUInt32LE(HEADER_BYTES);
  let end = msg.length;
  if (flags & FLAG_CHECKSUM_PRESENT) {
    end -= 4;
    const expected = msg.readUInt32LE(end);
    if (crc32c(msg.subarray(0, end)) !== expected) throw new ProtocolError('OP_MSG checksum mismatch');
  }
  // Required flag bits other than the two we understand make the message unprocessable (spec rule).
  if (flags & 0xfffc) throw new ProtocolError(`unsupported OP_MSG flag bits ${flags & 0xffff}`);
  let offset = HEADER_BYTES + 4;
  let command: Document | undefined;
  let sequences: Record<string, Buffer[]> | undefined;
  const docsByName: Record<string, Document[]> = {};
  while (offset < end) {
    const kind = msg[offset++];
    if (kind === 0) {
      const len = docLength(msg, offset, end);
      if (command) throw new ProtocolError('OP_MSG with more than one body section');
      const body = msg.subarray(offset, offset + len);
      if (firstFieldName(body) === 'insert') {
        // Keep each inserted document's own bytes, so what is stored is exactly what was sent.
        command = decodeDocument(body, { fieldsAsRaw: { documents: true } });
        if (Array.isArray(command.documents)) {
          const raws = (command.documents as Uint8Array[]).map((b) => Buffer.from(b));
          command.documents = raws.map((raw) => decodeDocument(raw));
          sequences ??= {};
          sequences.documents = raws;
        }
      } else {
        command = decodeDocument(body);
      }
      offset += len;
    } else if (kind === 1) {
      const size = msg.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError('invalid document sequence size');
      const [identifier, afterName] = readCString(msg, offset + 4);
      offset = afterName;
      const raws: Buffer[] = [];
      const docs: Document[] = [];
      while (offset < sectionEnd) {
        const len = docLength(msg, offset, sectionEnd);
        // Copied out so a stored document does not keep the whole message buffer alive.
        const raw = Buffer.from(msg.subarray(offset, offset + len));
        raws.push(raw);
        docs.push(decodeDocument(raw));
        offset += len;
      }
      sequences ??= {};
      sequences[identifier] = raws;
      docsByName[identifier] = docs;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${String(kind)}`);
    }
  }
  if (!command) throw new ProtocolError('OP_MSG without a body section');
  for (const [name, docs] of Object.entries(docsByName)) {
    if (name in command) throw new ProtocolError(`duplicate field ${name} in body and document sequence`);
    command[name] = docs;
  }
  const db = typeof command.$db === 'string' ? command.$db : 'admin';
  const out: IncomingCommand = { opCode: OP_MSG, requestId, db, command, moreToCome: (flags & FLAG_MORE_TO_COME) !== 0 };
  if (sequences) out.sequences = sequences;
  return out;
}

function parseOpQuery(msg: Buffer, requestId: number): IncomingCommand {
  let offset = HEADER_BYTES + 4; // flags
  const [fullName, afterName] = readCString(msg, offset);
  offset = afterName + 8; // numberToSkip, numberToReturn
  const len = docLength(msg, offset, msg.length);
  let query = decodeDocument(msg.subarray(offset, offset + len));
  const dot = fullName.indexOf('.');
  const db = dot < 0 ? fullName : fullName.slice(0, dot);
  const coll = dot < 0 ? '' : fullName.slice(dot + 1);
  if (coll !== '$cmd') throw new ProtocolError(`legacy OP_QUERY on ${fullName} is not supported (only commands)`);
  if (query.$query && typeof query.$query === 'object') query = query.$query as Document;
  return { opCode: OP_QUERY, requestId, db, command: query, moreToCome: false };
}

function header(total: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  out.writeInt32LE(total, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(opCode, 12);
  return out;
}

/** An OP_MSG reply with one body section. */
export function encodeOpMsg(requestId: number, responseTo: number, body: Buffer): Buffer {
  const out = header(HEADER_BYTES + 5 + body.length, requestId, responseTo, OP_MSG);
  out.writeUInt32LE(0, HEADER_BYTES);
  out[HEADER_BYTES + 4] = 0;
  body.copy(out, HEADER_BYTES + 5);
  return out;
}

/** An OP_REPLY carrying one document, the answer to a legacy OP_QUERY command. */
export function encodeOpReply(requestId: number, responseTo: number, body: Buffer): Buffer {
  const out = header(HEADER_BYTES + 20 + body.length, requestId, responseTo, OP_REPLY);
  out.writeInt32LE(0, HEADER_BYTES); // responseFlags
  out.writeBigInt64LE(0n, HEADER_BYTES + 4); // cursorID
  out.writeInt32LE(0, HEADER_BYTES + 12); // startingFrom
  out.writeInt32LE(1, HEADER_BYTES + 16); // numberReturned
  body.copy(out, HEADER_BYTES + 20);
  return out;
}

/** Splits a byte stream into complete messages without copying more than once per message. */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds received bytes and returns every message completed by them. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.coalesce();
      const len = head.readInt32LE(0);
      if (len < HEADER_BYTES || len > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${len}`);
      if (this.buffered < len) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.coalesce();
      out.push(all.subarray(0, len));
      const rest = all.subarray(len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }

  private coalesce(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}

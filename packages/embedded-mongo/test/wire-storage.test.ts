// The layers under the commands, tested directly: wire framing over a raw socket (legacy OP_QUERY handshake,
// OP_MSG body and document sequences, checksums, moreToCome), equality keys, index keys, journal frames.
import t from 'tap';
import net from 'node:net';
import { Long, ObjectId, deserialize, serialize } from 'bson';
import { startEmbeddedMongo } from '../src/index.js';
import { crc32c } from '../src/wire/crc32c.js';
import { MessageFramer, OP_MSG, OP_QUERY, OP_REPLY } from '../src/wire/protocol.js';
import { keyOf } from '../src/storage/values.js';
import { Index, normalizeIndexSpec } from '../src/storage/indexes.js';
import { encodeFrame, readFrames } from '../src/persistence/journal.js';

function header(length: number, requestId: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(requestId: number, body: object, opts: { flags?: number; sequence?: { id: string; docs: object[] }; checksum?: boolean | 'bad' } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(serialize(body))];
  if (opts.sequence) {
    const docs = Buffer.concat(opts.sequence.docs.map((d) => Buffer.from(serialize(d))));
    const name = Buffer.from(`${opts.sequence.id}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.length);
    parts.push(Buffer.from([1]), size, name, docs);
  }
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((opts.flags ?? 0) | (opts.checksum ? 1 : 0));
  const payload = Buffer.concat([flags, ...parts]);
  const total = 16 + payload.length + (opts.checksum ? 4 : 0);
  const msg = Buffer.concat([header(total, requestId, OP_MSG), payload, opts.checksum ? Buffer.alloc(4) : Buffer.alloc(0)]);
  if (opts.checksum) msg.writeUInt32LE((crc32c(msg.subarray(0, total - 4)) + (opts.checksum === 'bad' ? 1 : 0)) >>> 0, total - 4);
  return msg;
}

function opQuery(requestId: number, ns: string, query: object): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from(`${ns}\0`), Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), Buffer.from(serialize(query))]);
  return Buffer.concat([header(16 + body.length, requestId, OP_QUERY), body]);
}

/** A raw client: sends bytes, collects whole reply messages. */
class RawClient {
  private framer = new MessageFramer();
  private replies: Buffer[] = [];
  private waiting: Array<(b: Buffer) => void> = [];
  closed: Promise<void>;
  constructor(private socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      for (const m of this.framer.push(d)) {
        const w = this.waiting.shift();
        if (w) w(m);
        else this.replies.push(m);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }
  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    return new RawClient(socket);
  }
  send(b: Buffer): void {
    this.socket.write(b);
  }
  next(): Promise<Buffer> {
    const r = this.replies.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => this.waiting.push(resolve));
  }
  end(): void {
    this.socket.destroy();
  }
}

function msgBody(reply: Buffer): Record<string, any> {
  t.equal(reply.readInt32LE(12), OP_MSG);
  return deserialize(reply.subarray(21), { promoteLongs: false });
}

t.test('wire protocol over a raw socket', async (t) => {
  const server = await startEmbeddedMongo({ port: 0 });
  t.teardown(() => server.stop());

  t.test('legacy OP_QUERY handshake is answered with OP_REPLY', async (t) => {
    const c = await RawClient.connect(server.port);
    c.send(opQuery(7, 'admin.$cmd', { isMaster: 1, helloOk: true, client: { driver: { name: 'raw' } }, compression: ['zstd', 'zlib'] }));
    const reply = await c.next();
    t.equal(reply.readInt32LE(8), 7, 'responseTo');
    t.equal(reply.readInt32LE(12), OP_REPLY);
    t.equal(reply.readInt32LE(16 + 16), 1, 'numberReturned');
    const doc = deserialize(reply.subarray(36));
    t.equal(doc.ismaster, true);
    t.equal(doc.helloOk, true);
    t.equal(doc.ok, 1);
    t.notOk('compression' in doc, 'no compressor is offered');
    t.ok(doc.maxWireVersion >= 9);
    c.end();
  });

  t.test('OP_MSG with a document sequence, a checksum, moreToCome, and split writes', async (t) => {
    const c = await RawClient.connect(server.port);
    c.send(opMsg(1, { insert: 'raw', $db: 'wire' }, { sequence: { id: 'documents', docs: [{ _id: 1, big: Long.fromNumber(5) }, { _id: 2 }] } }));
    const inserted = msgBody(await c.next());
    t.equal(inserted.n, 1 + 1);
    t.equal(inserted.ok, 1);

    c.send(opMsg(2, { insert: 'raw', documents: [{ _id: 3 }], $db: 'wire' }, { flags: 2 }));
    const ping = opMsg(3, { find: 'raw', filter: {}, $db: 'wire' }, { checksum: true });
    // Byte by byte: framing must not depend on how TCP splits the stream.
    for (const byte of ping) c.send(Buffer.from([byte]));
    const found = await c.next();
    t.equal(found.readInt32LE(8), 3, 'the moreToCome insert got no reply; the next reply answers the find');
    const body = msgBody(found);
    t.same(body.cursor.firstBatch.map((d: { _id: number }) => d._id), [1, 2, 3]);
    t.ok(body.cursor.firstBatch[0].big instanceof Long, 'an int64 sent in a sequence is stored as int64');
    t.ok(body.cursor.id instanceof Long, 'cursor ids are BSON Long');

    c.send(opMsg(5, { insert: 'noid', $db: 'wire' }, { sequence: { id: 'documents', docs: [{ v: 1 }] } }));
    t.equal(msgBody(await c.next()).n, 1);
    c.send(opMsg(6, { find: 'noid', filter: {}, $db: 'wire' }));
    const generated = msgBody(await c.next()).cursor.firstBatch[0];
    t.same(Object.keys(generated), ['_id', 'v'], 'the server generates a missing _id, stored first');
    t.ok(generated._id instanceof ObjectId);

    c.send(opMsg(4, { ping: 1, $db: 'admin' }, { checksum: 'bad' }));
    await c.closed;
    t.pass('a checksum mismatch closes the connection');
  });

  t.test('unknown opcodes and garbage lengths close the connection', async (t) => {
    const a = await RawClient.connect(server.port);
    a.send(Buffer.concat([header(20, 1, 2002), Buffer.alloc(4)]));
    await a.closed;
    const b = await RawClient.connect(server.port);
    b.send(header(3, 1, OP_MSG).subarray(0, 16));
    await b.closed;
    t.pass('both closed');
    const c = await RawClient.connect(server.port);
    c.send(opMsg(9, { ping: 1, $db: 'admin' }));
    t.equal(msgBody(await c.next()).ok, 1, 'the server is still serving');
    c.end();
  });
});

t.test('crc32c matches the Castagnoli check value', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')).toString(16), 'e3069283');
});

t.test('equality keys follow mongod index equality', async (t) => {
  const id = new ObjectId();
  t.equal(keyOf(1), keyOf(1.0));
  t.equal(keyOf(5), keyOf(Long.fromNumber(5)));
  t.equal(keyOf(id), keyOf(new ObjectId(id.toHexString())));
  t.not(keyOf('1'), keyOf(1));
  t.not(keyOf({ a: 1, b: 2 }), keyOf({ b: 2, a: 1 }), 'document field order matters');
  t.equal(keyOf(null), keyOf(undefined));
  t.equal(keyOf(new Date(5)), keyOf(new Date(5)));
  t.not(keyOf(['a|b']), keyOf(['a', 'b']));
});

t.test('index keys: compound, multikey, sparse, parallel arrays', async (t) => {
  const compound = new Index(normalizeIndexSpec({ key: { a: 1, 'b.c': -1 }, unique: true }));
  t.equal(compound.spec.name, 'a_1_b.c_-1');
  t.same(compound.keysFor({ a: 1, b: [{ c: 2 }, { c: 3 }] })!.map((k) => k.values), [
    [1, 2],
    [1, 3],
  ]);
  t.same(compound.keysFor({ x: 1 })!.map((k) => k.values), [[null, null]], 'missing fields are null keys');
  t.throws(() => compound.keysFor({ a: [1, 2], b: [{ c: 1 }] }), { code: 171 });
  const sparse = new Index(normalizeIndexSpec({ key: { a: 1 }, unique: true, sparse: true }));
  t.equal(sparse.keysFor({ b: 1 }), null);
  t.same(sparse.keysFor({ a: null })!.map((k) => k.values), [[null]], 'an explicit null is indexed');
  t.throws(() => normalizeIndexSpec({ key: { a: 1 }, collation: { locale: 'en' } }), { code: 115 });
  t.throws(() => normalizeIndexSpec({ key: { a: 'text' }, unique: true }), { code: 2 });
});

t.test('journal frames: round trip and torn tails', async (t) => {
  const raw = Buffer.from(serialize({ _id: 1, v: 'x' }));
  const frames = Buffer.concat([encodeFrame({ o: 'cc', d: 'db', c: 'c' }), encodeFrame({ o: 'put', d: 'db', c: 'c' }, raw)]);
  const seen: unknown[] = [];
  const whole = readFrames(frames, (f) => seen.push([f.header.o, f.doc]));
  t.same(seen, [
    ['cc', undefined],
    ['put', { _id: 1, v: 'x' }],
  ]);
  t.same(whole, { frames: 2, validBytes: frames.length, tornTail: false });
  const cut = readFrames(frames.subarray(0, frames.length - 3), () => undefined);
  t.same([cut.frames, cut.tornTail], [1, true]);
  const flipped = Buffer.from(frames);
  flipped[flipped.length - 2]! ^= 0xff;
  t.equal(readFrames(flipped, () => undefined).frames, 1, 'a damaged frame fails its checksum');
});

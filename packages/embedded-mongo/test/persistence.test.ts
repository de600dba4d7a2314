// Persistence with a data directory: restart keeps data, catalog and indexes; a torn journal tail is
// dropped; compaction keeps everything; and the crash test: a child server killed with SIGKILL in the middle
// of acknowledged writes loses none of them. Also the CLI's ready line, SIGTERM and the directory lock.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../src/index.js';
import { harness, rejection } from './helpers.js';

const script = fileURLToPath(new URL('../../../scripts/embedded-mongo', import.meta.url));

async function withServer<T>(dbPath: string, fn: (client: MongoClient) => Promise<T>, extra: { compactAtBytes?: number } = {}): Promise<T> {
  const server = await startEmbeddedMongo({ port: 0, dbPath, ...extra });
  const client = new MongoClient(`${server.uri}/durable`);
  try {
    return await fn(client);
  } finally {
    await client.close();
    await server.stop();
  }
}

t.test('a restart keeps documents, catalog and indexes', async (t) => {
  const dir = t.testdir();
  await withServer(dir, async (client) => {
    const db = client.db();
    await db.collection('users').createIndex({ email: 1 }, { unique: true });
    await db.collection('users').insertMany([{ email: 'a' }, { email: 'b' }, { email: 'c' }]);
    await db.collection('users').updateOne({ email: 'b' }, { $set: { vip: true } });
    await db.collection('users').deleteOne({ email: 'c' });
    await db.createCollection('validated', { validator: { n: { $gte: 0 } } });
    await db.collection('temp').insertOne({ x: 1 });
    await db.collection('temp').drop();
    await db.collection('old').insertOne({ moved: true });
    await db.renameCollection('old', 'new');
    await client.db('other').collection('o').insertOne({ o: 1 });
    await client.db('other').dropDatabase();
  });
  await withServer(dir, async (client) => {
    const db = client.db();
    t.same((await db.collection('users').find({}, { projection: { _id: 0 } }).sort({ email: 1 }).toArray()), [{ email: 'a' }, { email: 'b', vip: true }]);
    t.same((await db.collection('users').indexes()).map((i) => i.name), ['_id_', 'email_1']);
    t.equal((await rejection(t, db.collection('users').insertOne({ email: 'a' }))).code, 11000, 'the unique index still holds');
    t.equal((await rejection(t, db.collection('validated').insertOne({ n: -1 }))).code, 121, 'the validator survives');
    t.same((await db.listCollections().toArray()).map((c) => c.name).sort(), ['new', 'users', 'validated']);
    t.equal((await db.collection('new').findOne({}))!.moved, true);
    t.notOk((await client.db().admin().listDatabases()).databases.some((d) => d.name === 'other'));
  });
});

t.test('a torn record at the end of the journal is dropped, the rest recovered', async (t) => {
  const dir = t.testdir();
  await withServer(dir, async (client) => {
    await client.db().collection('c').insertMany([{ i: 1 }, { i: 2 }]);
  });
  const journal = fs.readdirSync(dir).find((n) => n.startsWith('journal-'))!;
  const size = fs.statSync(path.join(dir, journal)).size;
  fs.appendFileSync(path.join(dir, journal), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
  await withServer(dir, async (client) => {
    t.same((await client.db().collection('c').find({}, { projection: { _id: 0 } }).toArray()), [{ i: 1 }, { i: 2 }]);
    await client.db().collection('c').insertOne({ i: 3 });
  });
  t.ok(fs.statSync(path.join(dir, journal)).size > size, 'the journal was truncated to its valid part and appended to');
  await withServer(dir, async (client) => {
    t.equal(await client.db().collection('c').countDocuments(), 3);
  });
});

t.test('background compaction replaces the journal with a snapshot and loses nothing', async (t) => {
  const dir = t.testdir();
  await withServer(
    dir,
    async (client) => {
      const c = client.db().collection('counters');
      await c.createIndex({ name: 1 }, { unique: true });
      await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ name: `k${i}`, n: 0, pad: 'p'.repeat(200) })));
      for (let round = 0; round < 20; round++) {
        await Promise.all(Array.from({ length: 50 }, (_, i) => c.updateOne({ name: `k${i}` }, { $inc: { n: 1 } })));
      }
      await c.deleteMany({ name: { $in: ['k0', 'k1'] } });
      for (let i = 0; i < 100 && !fs.readdirSync(dir).some((n) => n.startsWith('snapshot-')); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      t.ok(fs.readdirSync(dir).some((n) => n.startsWith('snapshot-')), 'a snapshot was written');
      await c.updateOne({ name: 'k2' }, { $set: { last: true } });
    },
    { compactAtBytes: 50_000 },
  );
  const files = fs.readdirSync(dir).sort();
  t.ok(files.filter((n) => n.startsWith('journal-')).length <= 2, `old journals are removed (${files.join(', ')})`);
  t.notOk(files.some((n) => n.endsWith('.tmp')));
  await withServer(dir, async (client) => {
    const c = client.db().collection('counters');
    t.equal(await c.countDocuments(), 48);
    t.same(await c.distinct('n'), [20], 'every increment survived compaction');
    t.equal((await c.findOne({ name: 'k2' }))!.last, true);
    t.equal((await rejection(t, c.insertOne({ name: 'k3' }))).code, 11000);
  });
});

interface Child {
  proc: ChildProcess;
  uri: string;
}

async function startChild(dbPath: string): Promise<Child> {
  const proc = spawn(script, ['--port', '0', '--dbpath', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const uri = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (mongodb:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before ready: ${err}`)));
  });
  return { proc, uri };
}

t.test('crash test: SIGKILL during acknowledged writes loses none of them', async (t) => {
  const dir = t.testdir();
  const first = await startChild(dir);
  t.match(first.uri, /^mongodb:\/\/127\.0\.0\.1:\d+$/, 'the CLI prints its URI when ready');
  const client = new MongoClient(`${first.uri}/crash`, { maxPoolSize: 10, serverSelectionTimeoutMS: 2000 });
  await client.connect();
  const c = client.db().collection('acks');
  await c.insertOne({ _id: 'counter' as never, n: 0 });
  const acknowledged: number[] = [];
  let increments = 0;
  let stop = false;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const id = w * 1_000_000 + i;
      try {
        await c.insertOne({ _id: id as never, w, i });
        acknowledged.push(id);
        await c.updateOne({ _id: 'counter' as never }, { $inc: { n: 1 } });
        increments++;
      } catch {
        return;
      }
    }
  });
  while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 10));
  first.proc.kill('SIGKILL');
  await once(first.proc, 'exit');
  stop = true;
  await Promise.all(writers);
  await client.close(true);
  t.ok(acknowledged.length >= 300);

  const second = await startChild(dir);
  const after = new MongoClient(`${second.uri}/crash`);
  try {
    const stored = new Set((await after.db().collection('acks').find({ _id: { $ne: 'counter' as never } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id as unknown as number));
    const missing = acknowledged.filter((id) => !stored.has(id));
    t.same(missing, [], `all ${acknowledged.length} acknowledged inserts are there`);
    const counter = await after.db().collection('acks').findOne({ _id: 'counter' as never });
    t.ok(counter!.n >= increments, `acknowledged increments survived (${counter!.n} >= ${increments})`);
  } finally {
    await after.close();
    second.proc.kill('SIGTERM');
    const [code] = (await once(second.proc, 'exit')) as [number | null];
    t.equal(code, 0, 'SIGTERM stops the server cleanly');
  }
  t.notOk(fs.existsSync(path.join(dir, 'mongod.lock')), 'a clean stop releases the directory');
});

t.test('a data directory in use by a live server is refused', async (t) => {
  const base = t.testdir();
  const dir = path.join(base, 'one');
  const { server } = await harness(t, { dbPath: dir });
  t.ok(server.port > 0);
  await t.rejects(startEmbeddedMongo({ port: 0, dbPath: dir }), /in use by this process/);
  const other = path.join(base, 'two');
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, 'mongod.lock'), `${process.ppid}\n`);
  await t.rejects(startEmbeddedMongo({ port: 0, dbPath: other }), /in use by process/, 'a live process holding the lock');
  fs.writeFileSync(path.join(other, 'mongod.lock'), '999999999\n');
  const taken = await startEmbeddedMongo({ port: 0, dbPath: other });
  await taken.stop();
  t.pass('a lock left by a dead process is taken over');
});

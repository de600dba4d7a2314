// Benchmark of the embedded MongoDB server: insertOne + findOne-by-_id pairs per second through the official
// driver, with one client and with N concurrent clients (separate MongoClient instances), in three setups:
// the server as a child process the way scripts/start runs it (in memory, then with a data directory, where
// every insert waits for its fdatasync), and the server in the benchmark's own process, as tests run it.
// The server's CPU time per pair is printed too: on a shared machine it is steadier than the rates.
// usage: scripts/bench/embedded-mongo [--seconds 3] [--clients 20]
// (Lives in the package because the mongodb driver is this package's dev dependency.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UUID, serialize } from 'bson';
import { MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from '../src/index.js';
import { Dispatcher } from '../src/commands/dispatch.js';
import type { ServerState } from '../src/commands/common.js';
import { CursorRegistry } from '../src/cursors.js';
import { Engine } from '../src/storage/engine.js';
import { encodeDocument } from '../src/wire/bson.js';
import { OP_MSG, parseMessage } from '../src/wire/protocol.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, clients: { type: 'string', default: '20' } } });
const durationMs = Number(values.seconds) * 1000;
const concurrentClients = Number(values.clients);
/** The target: pairs per second with one client, for the server as a child process in memory. */
const TARGET_PAIRS_PER_S = 3000;
/**
 * Warm-up pairs before measuring: V8 needs a few thousand requests to optimise the server's hot path, and on a
 * loaded machine its background compiler is still busy after one second (measured: server CPU per pair falls
 * from ~500 to ~150 us once warm).
 */
const WARM_UP_PAIRS = 3000;

interface Running {
  uri: string;
  /** CPU seconds the server has used so far (NaN when unknown). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** CPU seconds used so far by a process (Linux /proc), or NaN elsewhere. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function childServer(dbPath?: string): Promise<Running> {
  const args = ['--port', '0', ...(dbPath ? ['--dbpath', dbPath] : [])];
  const proc = spawn(path.join(root, 'scripts/embedded-mongo'), args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const uri = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    uri,
    cpuSeconds: () => processCpuSeconds(proc.pid!),
    stop: async () => {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

async function inProcessServer(): Promise<Running> {
  const server = await startEmbeddedMongo({ port: 0 });
  // Client and server share the process here: no separate server figure.
  return { uri: server.uri, cpuSeconds: () => Number.NaN, stop: () => server.stop() };
}

/** Runs insert+findOne pairs on each client until the time is up (or `maxPairs` per client). */
async function run(clients: MongoClient[], ms: number, maxPairs = Infinity): Promise<{ perSecond: number; pairs: number }> {
  const deadline = Date.now() + ms;
  const started = performance.now();
  const counts = await Promise.all(
    clients.map(async (client) => {
      const c = client.db('bench').collection('pairs');
      let n = 0;
      while (Date.now() < deadline && n < maxPairs) {
        const _id = new ObjectId();
        await c.insertOne({ _id, userId: 'u1', energyWh: 1234, state: 'waiting', at: new Date() });
        const back = await c.findOne({ _id });
        if (!back) throw new Error('inserted document not found');
        n++;
      }
      return n;
    }),
  );
  const pairs = counts.reduce((a, b) => a + b, 0);
  return { perSecond: pairs / ((performance.now() - started) / 1000), pairs };
}

async function figure(server: Running, clients: MongoClient[]): Promise<{ text: string; perSecond: number }> {
  const cpu0 = server.cpuSeconds();
  const r = await run(clients, durationMs);
  const cpuUs = ((server.cpuSeconds() - cpu0) / r.pairs) * 1e6;
  const rate = Math.round(r.perSecond).toString().padStart(6);
  const text = Number.isNaN(cpuUs) ? `${rate} pairs/s                      ` : `${rate} pairs/s (server ${Math.round(cpuUs).toString().padStart(4)} µs CPU/pair)`;
  return { text, perSecond: r.perSecond };
}

/** Prints one line and returns the single-client rate. */
async function measure(label: string, start: () => Promise<Running>): Promise<number> {
  const server = await start();
  try {
    const one = await new MongoClient(server.uri).connect();
    await run([one], 30_000, WARM_UP_PAIRS); // warm-up: JIT, connection pool
    const single = await figure(server, [one]);
    await one.close();
    const many = await Promise.all(Array.from({ length: concurrentClients }, () => new MongoClient(server.uri, { maxPoolSize: 1 }).connect()));
    const concurrent = await figure(server, many);
    await Promise.all(many.map((c) => c.close()));
    console.log(`${label.padEnd(30)} 1 client: ${single.text}   ${concurrentClients} clients: ${concurrent.text}`);
    return single.perSecond;
  } finally {
    await server.stop();
  }
}

/**
 * The server's own work per pair without network or driver: decode the two OP_MSG requests the driver sends,
 * run them, encode the replies. This is the figure the server's code controls.
 */
async function serverAlone(pairs: number): Promise<number> {
  const quiet = () => undefined;
  const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
  const state: ServerState = { engine: new Engine(logger), cursors: new CursorRegistry(), logger, startedAtMs: Date.now(), connections: () => 0 };
  const dispatcher = new Dispatcher(state, null);
  const lsid = { id: new UUID() };
  const message = (body: object): Buffer => {
    const bson = serialize(body);
    const head = Buffer.alloc(21);
    head.writeInt32LE(21 + bson.length, 0);
    head.writeInt32LE(OP_MSG, 12);
    return Buffer.concat([head, bson]);
  };
  const messages: Buffer[] = [];
  for (let i = 0; i < pairs; i++) {
    const _id = new ObjectId();
    messages.push(message({ insert: 'pairs', documents: [{ _id, userId: 'u1', energyWh: 1234, state: 'waiting', at: new Date() }], ordered: true, lsid, $db: 'bench' }));
    messages.push(message({ find: 'pairs', filter: { _id }, limit: 1, singleBatch: true, batchSize: 1, lsid, $db: 'bench' }));
  }
  const started = performance.now();
  for (const m of messages) {
    const incoming = parseMessage(m);
    const ctx = { state, db: incoming.db, connectionId: 1, ...(incoming.sequences ? { sequences: incoming.sequences } : {}) };
    encodeDocument(await dispatcher.execute(incoming.command, ctx));
  }
  return ((performance.now() - started) * 1000) / pairs;
}

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(
  `embedded-mongo: insertOne + findOne by _id, ${values.seconds} s per figure after ${WARM_UP_PAIRS} warm-up pairs, ${os.cpus().length} cores, ` +
    `load average ${load()} (1/5/15 min), node ${process.version}`,
);
const target = await measure('child process, in memory', () => childServer());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-mongo-bench-'));
try {
  await measure('child process, data directory', () => childServer(dir));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const inProcess = await measure('in-process, in memory', inProcessServer);
await serverAlone(20_000);
console.log(`server alone (decode, execute, encode; no network, no driver): ${(await serverAlone(50_000)).toFixed(1)} µs per pair`);
const verdict = (rate: number) => `${Math.round(rate)} pairs/s: ${rate >= TARGET_PAIRS_PER_S ? 'MET' : 'NOT MET'}`;
console.log(
  `target (>= ${TARGET_PAIRS_PER_S} pairs/s, 1 client, server as a child process in memory, i.e. the first figure): ${verdict(target)}` +
    ` (in-process, for reference: ${verdict(inProcess)}); load average now ${load()}`,
);

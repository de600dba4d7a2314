// Benchmark of the embedded MongoDB server: insertOne + findOne-by-_id pairs per second through the official
// driver, with one client and with 20 concurrent clients, against a server child process started the way
// scripts/start starts it (in memory, then with a data directory: every insert waits for its fdatasync).
// usage: scripts/bench/embedded-mongo [--seconds 3] [--clients 20]
// (Lives in the package because the mongodb driver is this package's dev dependency.)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, clients: { type: 'string', default: '20' } } });
const durationMs = Number(values.seconds) * 1000;
const concurrentClients = Number(values.clients);

async function startServer(dbPath?: string): Promise<{ proc: ChildProcess; uri: string }> {
  const args = ['--port', '0', ...(dbPath ? ['--dbpath', dbPath] : [])];
  const proc = spawn(path.join(root, 'scripts/embedded-mongo'), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const uri = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { proc, uri };
}

/** CPU seconds used so far by a process (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Runs insert+findOne pairs on each client until the time is up; returns pairs per second. */
async function run(clients: MongoClient[]): Promise<{ perSecond: number; pairs: number }> {
  const deadline = Date.now() + durationMs;
  const started = performance.now();
  const counts = await Promise.all(
    clients.map(async (client) => {
      const c = client.db('bench').collection('pairs');
      let n = 0;
      while (Date.now() < deadline) {
        const _id = new ObjectId();
        await c.insertOne({ _id, userId: 'u1', energyWh: 1234, state: 'waiting', at: new Date() });
        const back = await c.findOne({ _id });
        if (!back) throw new Error('inserted document not found');
        n++;
      }
      return n;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const pairs = counts.reduce((a, b) => a + b, 0);
  return { perSecond: pairs / seconds, pairs };
}

async function measure(label: string, dbPath?: string): Promise<void> {
  const server = await startServer(dbPath);
  try {
    const one = new MongoClient(server.uri);
    await one.connect();
    await run([one]); // warm-up (JIT, connection pool)
    const pid = server.proc.pid!;
    let cpu0 = cpuSeconds(pid);
    const single = await run([one]);
    const singleCpuUs = ((cpuSeconds(pid) - cpu0) / single.pairs) * 1e6;
    await one.close();
    const many = await Promise.all(Array.from({ length: concurrentClients }, () => new MongoClient(server.uri, { maxPoolSize: 1 }).connect()));
    cpu0 = cpuSeconds(pid);
    const concurrent = await run(many);
    const manyCpuUs = ((cpuSeconds(pid) - cpu0) / concurrent.pairs) * 1e6;
    await Promise.all(many.map((c) => c.close()));
    const fmt = (n: number) => Math.round(n).toString().padStart(6);
    console.log(
      `${label.padEnd(28)} 1 client: ${fmt(single.perSecond)} pairs/s (server CPU ${fmt(singleCpuUs)} µs/pair)   ` +
        `${concurrentClients} clients: ${fmt(concurrent.perSecond)} pairs/s (server CPU ${fmt(manyCpuUs)} µs/pair)`,
    );
  } finally {
    server.proc.kill('SIGTERM');
    await once(server.proc, 'exit');
  }
}

console.log(`embedded-mongo bench: insertOne + findOne by _id, ${values.seconds} s per figure, ${os.cpus().length} cores, node ${process.version}`);
await measure('in memory');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-mongo-bench-'));
try {
  await measure('data directory (fdatasync)', dir);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

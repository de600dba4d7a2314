// A normal start and stop of a service prints no warnings: no fastify deprecation, no request lines, and the
// intended MongoDB disconnect at info (a lost connection stays a warning).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startEmbeddedMongo } from '@voltq/embedded-mongo';
import { connectMongo } from '../src/mongo.js';
import type { Logger } from '../src/logger.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/quiet-main.ts', import.meta.url));

interface Line {
  level: string;
  msg: string;
  [k: string]: unknown;
}

t.test('a service starts, answers and stops without a warning', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, stderr);
  t.notMatch(stderr, /FSTDEP|DeprecationWarning|FastifyDeprecation/, 'no deprecation printed');
  const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  t.ok(lines.some((l) => l.msg === 'stopped'), 'it stopped normally');
  t.same(lines.filter((l) => l.level === 'warn' || l.level === 'error'), [], 'no warning or error on a normal stop');
  t.match(lines.find((l) => l.msg === 'mongo disconnected'), { level: 'info' }, 'the intended disconnect is info');
  t.same(lines.filter((l) => /request/.test(l.msg)), [], 'no line per request');
});

t.test('a MongoDB disconnect is a warning unless the owner said it is closing', async (t) => {
  const mongo = await startEmbeddedMongo({ port: 0 });
  t.teardown(() => mongo.stop());
  const seen: { level: string; msg: string }[] = [];
  const log = {
    info: (msg: string) => seen.push({ level: 'info', msg }),
    warn: (msg: string) => seen.push({ level: 'warn', msg }),
  } as unknown as Logger;
  for (const closing of [false, true]) {
    const conn = await connectMongo(`mongodb://127.0.0.1:${mongo.port}`, { dbName: 'quiet', log, closing: () => closing });
    await conn.close();
  }
  t.same(seen.filter((s) => s.msg === 'mongo disconnected'), [
    { level: 'warn', msg: 'mongo disconnected' },
    { level: 'info', msg: 'mongo disconnected' },
  ]);
});

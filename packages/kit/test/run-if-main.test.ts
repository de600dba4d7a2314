// runIfMain: a service's main.ts runs the service when node starts it, and only exports its descriptor when a
// test imports it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const kit = new URL('../src/index.ts', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'voltq-run-if-main-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
// a service that needs no connections and stops itself once started
const main = join(dir, 'main.ts');
writeFileSync(main, `import { runIfMain, serviceConfigSchema } from ${JSON.stringify(kit)};
export const probeService = {
  name: 'probe',
  configSchema: serviceConfigSchema('probe'),
  uses: { amqp: false, redis: false, mongo: false },
  async start() { process.stdout.write('started\\n'); setTimeout(() => process.kill(process.pid, 'SIGTERM'), 10); },
};
await runIfMain(import.meta.url, probeService);
`);
const importer = join(dir, 'importer.ts');
writeFileSync(importer, `import { probeService } from './main.ts';\nprocess.stdout.write('imported ' + probeService.name + '\\n');\n`);
const env = { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'silent' };

t.test('started by node, main.ts runs the service', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', main], { env, timeout: 30_000 });
  t.match(stdout, /^started$/m);
});

t.test('imported, main.ts only hands over its descriptor', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', importer], { env, timeout: 30_000 });
  t.equal(stdout, 'imported probe\n', 'the service did not start');
});

// `scripts/scenario --url` drives a running platform (all six services as processes) through the gateway and
// must print the same bytes as the in-process engine, for every scenario the engine issue checks in.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';

const run = promisify(execFile);
const scenarios = join(repoRoot, 'packages/scheduling/scenarios');
const manifest = JSON.parse(readFileSync(join(scenarios, 'manifest.json'), 'utf8')) as Array<{ events: string; args: string[]; expected: string }>;
const ADMIN = { VOLTQ_ADMIN_USER: 'admin', VOLTQ_ADMIN_PASSWORD: 'scenario-admin-password' };

const namespace = testNamespace('scn');
let platform: Platform;
t.before(async () => {
  platform = await startPlatform({ namespace, randomPorts: true, env: { ...ADMIN, LOG_LEVEL: 'warn' } });
});
t.teardown(async () => {
  await platform?.stop();
  await removeNamespace(namespace);
});

async function scenario(args: string[]): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'scripts/scenario'), args, {
    env: { ...process.env, ...ADMIN },
    maxBuffer: 16 << 20,
    timeout: 240_000,
  });
  return stdout;
}

for (const entry of manifest) {
  t.test(`${entry.events} ${entry.args.join(' ')}: --url prints what the engine prints`, async (t) => {
    const file = join(scenarios, entry.events);
    const inProcess = await scenario([file, ...entry.args]);
    t.equal(inProcess, readFileSync(join(scenarios, entry.expected), 'utf8'), 'in-process output is the checked-in CSV');
    const overHttp = await scenario([file, ...entry.args, '--url', platform.gatewayUrl]);
    t.equal(overHttp, inProcess, 'the platform prints the same bytes');
  });
}

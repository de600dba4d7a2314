// The main job of `scripts/start`: start the platform, the pile simulator, print where everything is, and stop
// it all on Ctrl-C / SIGTERM.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { repoRoot, startPlatform } from './platform.js';

const dataDir = process.env.VOLTQ_DATA_DIR ?? join(repoRoot, '.voltq');
mkdirSync(join(dataDir, 'mongo'), { recursive: true });

// The first admin: taken from the environment, else generated once and kept next to the data so that a
// restart keeps working with the same login.
const adminUser = process.env.VOLTQ_ADMIN_USER ?? 'admin';
const passwordFile = join(dataDir, 'admin-password');
let adminPassword = process.env.VOLTQ_ADMIN_PASSWORD ?? '';
if (!adminPassword) {
  if (existsSync(passwordFile)) adminPassword = readFileSync(passwordFile, 'utf8').trim();
  else {
    adminPassword = randomBytes(12).toString('base64url');
    writeFileSync(passwordFile, adminPassword + '\n', { mode: 0o600 });
  }
}

const platform = await startPlatform({
  namespace: process.env.VOLTQ_NS ?? 'voltq',
  mongoDbPath: process.env.MONGODB_URI ? undefined : join(dataDir, 'mongo'),
  env: { VOLTQ_ADMIN_USER: adminUser, VOLTQ_ADMIN_PASSWORD: adminPassword },
  output: 'inherit',
}).catch((err: Error) => {
  console.error(`[voltq] error: ${err.message}`);
  process.exit(1);
});

const simulator = spawn(join(repoRoot, 'scripts/simulate-piles'), ['--station', 'default'], {
  cwd: repoRoot,
  env: { ...process.env, ...platform.env },
  stdio: 'inherit',
});

const gateway = platform.gatewayUrl;
console.log(`
VoltQ is running.
  gateway      ${gateway}
  API docs     ${gateway}/docs
  admin login  ${adminUser} / ${adminPassword}   (POST ${gateway}/api/admin/login)
  piles        JSON over WebSocket ws://127.0.0.1:${platform.ports['device-bridge']}/piles, TCP 127.0.0.1:${platform.pileTcpPort}
  MongoDB      ${platform.mongoUri}
Press Ctrl-C to stop.
`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  console.log('[voltq] stopping…');
  simulator.kill('SIGTERM');
  await platform.stop();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

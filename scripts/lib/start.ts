// The main job of `scripts/start`: start the platform and the pile simulator, print where everything is, keep the
// services running (a service that dies is restarted), and stop it all in order on Ctrl-C / SIGTERM.
import { mkdirSync, readFileSync, writeFileSync, existsSync, openSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { runOcppChargePoints, runWalkUpPiles, type OcppChargePoints, type WalkUpPiles } from '@voltq/pile-sim';
import { DEMO_STATION, seedDemoStation, type DemoDevice } from './demo-station.js';
import { DEFAULT_PILE_TCP_PORT, DEFAULT_PORT_BASE, repoRoot, startPlatform, type Platform, type ServiceName } from './platform.js';

const say = (line: string) => console.log(`[voltq] ${line}`);

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`[voltq] error: ${name} must be a port number, got "${raw}"`);
    process.exit(1);
  }
  return value;
}

const dataDir = process.env.VOLTQ_DATA_DIR ?? join(repoRoot, '.voltq');
const logDir = join(dataDir, 'logs');
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

let platform: Platform | undefined;
let stopping = false;

// A service that dies on its own is started again, at most a few times a minute.
const restarts: number[] = [];
function restart(name: ServiceName, exit: string) {
  if (stopping || !platform) return;
  const now = Date.now();
  while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
  if (restarts.length >= 5) {
    console.error(`[voltq] error: ${name} exited (${exit}) and keeps failing; see ${join(logDir, `${name}.log`)}. Stopping.`);
    void shutdown(1);
    return;
  }
  restarts.push(now);
  say(`${name} exited (${exit}); restarting it (log: ${join(logDir, `${name}.log`)})`);
  platform.startService(name).then(
    () => say(`${name} is back`),
    (err: Error) => {
      console.error(`[voltq] error: ${name} did not come back: ${err.message}`);
      void shutdown(1);
    },
  );
}

say(`starting (logs in ${logDir})`);
try {
  platform = await startPlatform({
    namespace: process.env.VOLTQ_NS ?? 'voltq',
    portBase: intFromEnv('VOLTQ_PORT_BASE', DEFAULT_PORT_BASE),
    pileTcpPort: intFromEnv('PILE_TCP_PORT', DEFAULT_PILE_TCP_PORT),
    mongoDbPath: process.env.MONGODB_URI ? undefined : join(dataDir, 'mongo'),
    env: { VOLTQ_ADMIN_USER: adminUser, VOLTQ_ADMIN_PASSWORD: adminPassword },
    logDir,
    ownProcessGroup: true,
    onUnexpectedExit: restart,
  });
} catch (err) {
  console.error(`[voltq] error: ${(err as Error).message}`);
  process.exit(1);
}

const simulatorLog = openSync(join(logDir, 'simulate-piles.log'), 'a');
const simulator: ChildProcess = spawn(join(repoRoot, 'scripts/simulate-piles'), ['--station', 'default'], {
  cwd: repoRoot,
  env: { ...process.env, ...platform.env },
  stdio: ['ignore', simulatorLog, simulatorLog],
  detached: true,
});
closeSync(simulatorLog);

// The demo walk-up station and its two piles (two ports each), connected from this process so that their secrets
// never show on a command line. A car is full after 40 kWh, so a "charge until full" order ends on its own.
let demoDevices: DemoDevice[] = [];
let walkUpPiles: WalkUpPiles | undefined;
let chargePoints: OcppChargePoints | undefined;
const ocppUrl = platform.env.DEVICE_BRIDGE_URL!.replace(/\/piles$/, '/ocpp');
try {
  demoDevices = await seedDemoStation({
    gatewayUrl: platform.gatewayUrl,
    admin: { username: adminUser, password: adminPassword },
    secretsFile: join(dataDir, 'demo-devices.json'),
  });
  const spec = (d: DemoDevice) => ({ deviceId: d.deviceId, secret: d.secret, ports: d.ports, connectors: d.ports, powerKw: d.powerKw });
  walkUpPiles = await runWalkUpPiles({ url: platform.env.DEVICE_BRIDGE_URL!, piles: demoDevices.filter((d) => d.protocol === 'json').map(spec), carKwh: 40 });
  chargePoints = await runOcppChargePoints({ url: ocppUrl, points: demoDevices.filter((d) => d.protocol === 'ocpp1.6').map(spec), carKwh: 40 });
} catch (err) {
  console.error(`[voltq] warning: the demo walk-up station is not running: ${(err as Error).message}`);
}

const gateway = platform.gatewayUrl;
console.log(`
VoltQ is running.
  gateway      ${gateway}
  API docs     ${gateway}/docs
  admin login  ${adminUser} / ${adminPassword}   (POST ${gateway}/api/admin/login)
  piles        JSON over WebSocket ws://127.0.0.1:${platform.ports['device-bridge']}/piles, TCP 127.0.0.1:${platform.pileTcpPort}
               (simulated piles of the default station are connected)
  walk-up      station ${DEMO_STATION.stationId} "${DEMO_STATION.name}": ${demoDevices.map((d) => `${d.pileId} (${d.protocol === 'json' ? 'IMEI' : 'OCPP'} ${d.deviceId}, ${d.ports} ports, ${d.powerKw} kW)`).join(', ') || 'not seeded (see the warning above)'}
  OCPP 1.6J    ${ocppUrl}/<chargePointId> (subprotocol ocpp1.6, HTTP Basic id:secret)${demoDevices.some((d) => d.protocol === 'ocpp1.6') ? `; the simulated charger ${ocppUrl}/${demoDevices.find((d) => d.protocol === 'ocpp1.6')!.deviceId} is connected` : ''}
               try GET ${gateway}/api/ChargingPile/qrcode/${demoDevices[0]?.deviceId ?? '<imei>'}
  MongoDB      ${platform.mongoUri}
  WeChat       ${platform.wechatSandboxUrl ? `local sandbox ${platform.wechatSandboxUrl} (mini-program login; pay pages at /sandbox/pay?code=…)` : platform.env.WECHAT_API_BASE_URL}
  logs         ${logDir}/<service>.log
Press Ctrl-C to stop.
`);

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Services first: the device bridge shuts down without reporting its piles offline, so a restart does not
  // fault the piles and cut the charges running on them. The simulator goes last.
  await walkUpPiles?.stop();
  await chargePoints?.stop();
  await platform?.stop();
  if (simulator.exitCode === null && simulator.signalCode === null) {
    simulator.kill('SIGTERM');
    await once(simulator, 'exit');
  }
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

// scripts/simulate-piles: runs the station's piles (and registered walk-up piles and OCPP charge points) against a
// device-bridge until SIGINT/SIGTERM.
import { derivePileSecret, DEV_PILE_MASTER_KEY } from './secrets.js';
import { parseSimArgs, USAGE, type SimPlan } from './args.js';
import { SimPile } from './client.js';
import { SimChargePoint } from './ocpp-client.js';

const stamp = () => new Date().toISOString();

let plan: SimPlan;
try {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  plan = parseSimArgs(process.argv.slice(2), process.env);
} catch (err) {
  console.error(`simulate-piles: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const masterKey = process.env.PILE_MASTER_KEY || DEV_PILE_MASTER_KEY;
const log = (line: string) => {
  if (!plan.quiet) console.log(`${stamp()} [sim] ${line}`);
};
if (!process.env.PILE_MASTER_KEY) log('PILE_MASTER_KEY not set: using the development key');

const piles = new Map<string, SimPile>();
const chargePoints = new Map<string, SimChargePoint>();
// piles that gave up: refused (wrong secret) or taken over by another connection (the client logs that itself)
const gaveUp = new Set<string>();
const giveUp = (pileId: string) => {
  gaveUp.add(pileId);
  if (gaveUp.size === piles.size + chargePoints.size) {
    console.error(`${stamp()} [sim] every pile was refused or taken over; exiting`);
    process.exit(1);
  }
};
for (const p of plan.piles) {
  const pile = new SimPile({
    pileId: p.pileId,
    secret: derivePileSecret(masterKey, p.pileId),
    door: p.door,
    wsUrl: plan.wsUrl,
    tcp: plan.tcp,
    log,
  });
  pile.on('refused', () => {
    console.error(`${stamp()} [sim] ${p.pileId}: login refused (unknown pile or wrong PILE_MASTER_KEY); giving up on it`);
    giveUp(p.pileId);
  });
  pile.on('replaced', () => giveUp(p.pileId));
  piles.set(p.pileNo, pile);
}
const walkUps = new Map<string, SimPile>();
for (const w of plan.walkUp) {
  const pile = new SimPile({
    deviceId: w.deviceId,
    secret: w.secret,
    door: w.door,
    wsUrl: plan.wsUrl,
    tcp: plan.tcp,
    ports: w.ports,
    powerW: Math.round(w.powerKw * 1000),
    speed: plan.speed,
    meterIntervalMs: plan.meterIntervalMs,
    ...(plan.carKwh !== undefined ? { carKwh: plan.carKwh } : {}),
    log,
  });
  pile.on('refused', () => {
    console.error(`${stamp()} [sim] ${w.deviceId}: login refused (unknown device or wrong secret); giving up on it`);
    giveUp(w.deviceId);
  });
  pile.on('replaced', () => giveUp(w.deviceId));
  walkUps.set(w.deviceId, pile);
  piles.set(`walk-up:${w.deviceId}`, pile);
}

for (const o of plan.ocpp) {
  const point = new SimChargePoint({
    url: plan.ocppUrl,
    deviceId: o.deviceId,
    secret: o.secret,
    connectors: o.connectors,
    powerW: Math.round(o.powerKw * 1000),
    speed: plan.speed,
    meterIntervalMs: plan.meterIntervalMs,
    ...(plan.carKwh !== undefined ? { carKwh: plan.carKwh } : {}),
    log,
  });
  point.on('refused', ({ code }: { code: number }) => {
    console.error(`${stamp()} [sim] ${o.deviceId}: refused at the upgrade (${code}: unknown id or wrong secret); giving up on it`);
    giveUp(`ocpp:${o.deviceId}`);
  });
  chargePoints.set(o.deviceId, point);
}

const timers: NodeJS.Timeout[] = [];
for (const f of plan.ocppFaults) timers.push(setTimeout(() => chargePoints.get(f.deviceId)?.fault(f.connectorId), f.atMs));
for (const r of plan.ocppRecoveries) timers.push(setTimeout(() => chargePoints.get(r.deviceId)?.recover(r.connectorId), r.atMs));
for (const f of plan.faults) timers.push(setTimeout(() => piles.get(f.pileNo)?.fault('simulated fault (--fault)'), f.atMs));
for (const r of plan.recoveries) timers.push(setTimeout(() => piles.get(r.pileNo)?.recover(), r.atMs));
for (const c of plan.cards) {
  timers.push(setTimeout(() => {
    const point = chargePoints.get(c.deviceId);
    if (point) {
      // offline, the charge point takes the card itself and queues the start (LocalAuthorizeOffline)
      point.cardStart(c.portNo, c.cardId).then(
        (r) => log(`${c.deviceId} connector ${c.portNo}: card ${c.cardId} ${r.accepted ? 'charging' : `refused (${r.reason})`}`),
        (err: unknown) => log(`${c.deviceId} connector ${c.portNo}: card ${c.cardId} failed: ${(err as Error).message}`),
      );
      return;
    }
    const pile = walkUps.get(c.deviceId);
    if (!pile?.online) return log(`${c.deviceId}: card ${c.cardId} not presented (pile offline)`);
    pile.cardStart(c.portNo, c.cardId).then(
      (r) => log(`${c.deviceId} port ${c.portNo}: card ${c.cardId} ${'sessionId' in r ? `started session ${r.sessionId}` : `refused (${r.refused})`}`),
      (err: unknown) => log(`${c.deviceId} port ${c.portNo}: card ${c.cardId} failed: ${(err as Error).message}`),
    );
  }, c.atMs));
}

log(`${plan.piles.length} piles of station ${plan.stationId}, ${plan.walkUp.length} walk-up piles: ws ${plan.wsUrl}, tcp ${plan.tcp.host}:${plan.tcp.port}`);
if (plan.ocpp.length) log(`${plan.ocpp.length} OCPP 1.6J charge points: ${plan.ocppUrl}/<id>`);
for (const pile of piles.values()) pile.start();
for (const point of chargePoints.values()) point.start();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: logging the piles out`);
  timers.forEach(clearTimeout);
  await Promise.all([...piles.values()].map((p) => p.stop()));
  await Promise.all([...chargePoints.values()].map((p) => p.stop()));
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

// Running several simulated piles or charge points at once (tests, scripts/start): start them all and resolve when
// every one is online, or stop them all and throw after a bounded wait. One piece for both protocols.
import type { EventEmitter } from 'node:events';

export interface Simulated extends EventEmitter {
  deviceId: string;
  start(): void;
  stop(): Promise<void>;
}

export interface Fleet<T extends Simulated> {
  /** by device id */
  get(deviceId: string): T;
  stop(): Promise<void>;
}

export async function startFleet<T extends Simulated>(
  sims: T[],
  opts: { waitOnline?: boolean; readyTimeoutMs?: number; what: string; refused: string },
): Promise<Fleet<T>> {
  const fleet: Fleet<T> = {
    get(deviceId) {
      const sim = sims.find((s) => s.deviceId === deviceId);
      if (!sim) throw new Error(`no simulated ${opts.what} ${deviceId}`);
      return sim;
    },
    stop: async () => void (await Promise.all(sims.map((s) => s.stop()))),
  };
  const online = sims.map((s) => new Promise<void>((resolve, reject) => {
    s.once('online', () => resolve());
    s.once('refused', () => reject(new Error(`${s.deviceId}: ${opts.refused}`)));
  }));
  for (const s of sims) s.start();
  if (opts.waitOnline === false) return fleet;
  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(online),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${opts.what}s not online within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (err) {
    await fleet.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return fleet;
}

// One fault-test file: one private broker, cache and platform for all its scenarios (they boot in ~20 s, a
// scenario takes ~15 s), the 60 users registered once, then one round of the flow per fault, in order.
import t from 'tap';
import { startFaultPlatform, type FaultPlatform } from './harness.js';
import { checkInvariants, runRound, setupFlow, type Fault, type Flow } from './flow.js';

/** A file's whole run is bounded here rather than by .taprc's per-file default (180 s). */
const FILE_TIMEOUT_MS = 300_000;

export function faultSuite(label: string, scenarios: { title: string; fault: Fault }[]): void {
  t.setTimeout(FILE_TIMEOUT_MS);
  let h: FaultPlatform | undefined;
  let flow: Flow;
  t.before(async () => {
    h = await startFaultPlatform(label);
    flow = await setupFlow(h);
  });
  t.teardown(async () => {
    await h?.close();
  });
  for (const { title, fault } of scenarios) {
    t.test(title, async (t) => {
      checkInvariants(t, flow, await runRound(flow, fault));
    });
  }
}

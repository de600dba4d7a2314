// A free TCP port for the bridge's TCP door: the service started from its descriptor reports no bound port, so the
// test picks one, the way scripts/lib/platform.ts does for the platform (below the kernel's ephemeral range).
export { freePort } from '../../../../scripts/lib/ports.js';

// Docker HEALTHCHECK: GET /healthz on this container's HTTP_PORT (node:20-slim has no curl or wget).
// Kubernetes ignores HEALTHCHECK and uses the Deployment's probes instead.
const defaults = { gateway: 8080, auth: 8081, order: 8082, scheduler: 8083, billing: 8084, 'device-bridge': 8085 };
const port = process.env.HTTP_PORT || defaults[process.env.SERVICE ?? ''] || 8080;
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}

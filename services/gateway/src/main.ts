// gateway: /api (document 004 + platform additions) with OpenAPI at /docs; verifies JWTs, calls services by RPC.
// The wiring: the JWKS (fetched from auth at start, retried until it answers; readiness waits for it), the token
// subjects' existence check, the login limiter, the push hub and every dialect. `node src/main.ts` runs it; tests import the descriptor.
import { runIfMain, type RunServiceOptions, type ServiceContext } from '@voltq/kit';
import { configSchema, type GatewayConfig } from './config.js';
import { JwksVerifier } from './core/jwt.js';
import { LiveTokenVerifier, PrincipalCache } from './core/principals.js';
import { LoginThrottle } from './domain/rate-limit.js';
import { gatewayHttpOptions, hasGatewayHttpOptions } from './edge.js';
import { registerHandlers } from './handlers.js';
import { startPushHub } from './dialects/ws/index.js';
import { AttemptLimiter } from './store/rate-limit.js';

export async function startGateway(ctx: ServiceContext<GatewayConfig>): Promise<void> {
  const { config, bus, clock, log, http, redis } = ctx;
  if (!hasGatewayHttpOptions(http)) {
    log.warn('the HTTP server was built without gatewayHttpOptions: framework refusals and long path parameters are not handled as the API says (start the gateway with gatewayService)');
  }
  const verifier = new JwksVerifier({
    fetchJwks: () => bus.call('auth.jwks', {}, { timeoutMs: 3000 }),
    minRefetchMs: config.jwksRefetchIntervalMs,
    log,
  });
  // Auth may start after us: keep trying in the background; /readyz says not ready until the keys are here.
  let timer: NodeJS.Timeout | undefined;
  const load = async () => {
    if (ctx.isShuttingDown() || (await verifier.refresh())) return;
    timer = setTimeout(() => void load(), 1000);
  };
  await load();
  ctx.addReadinessCheck('jwks', () => verifier.loaded);
  ctx.onShutdown(() => clearTimeout(timer));

  // a token counts only while its subject exists with the role it names (auth.principal, cached briefly)
  const principals = new PrincipalCache({
    lookup: (userId) => bus.call('auth.principal', { userId }, { timeoutMs: 3000 }),
    ttlMs: config.principalCacheTtlMs,
    maxEntries: config.principalCacheMaxEntries,
    now: Date.now,
  });

  const pushes = await startPushHub(ctx);
  await registerHandlers(http, {
    bus,
    clock,
    verifier: new LiveTokenVerifier(verifier, principals),
    timeZone: config.timeZone,
    defaultStationId: config.defaultStationId,
    billWaitMs: config.billWaitMs,
    clockRpcTimeoutMs: config.clockRpcTimeoutMs,
    // in Redis, so every replica shares the counts
    logins: new LoginThrottle(new AttemptLimiter(redis), config.voltqNs, {
      accountMaxFailures: config.loginAccountMaxFailures,
      accountWindowMs: config.loginAccountWindowMs,
      addressMaxFailures: config.loginAddressMaxFailures,
      addressWindowMs: config.loginAddressWindowMs,
    }, config.trustedProxyHops),
    pushes,
  });
}

/** Everything runService needs to run the gateway (tests: `runService({ ...gatewayService, env, exit: false })`). */
export const gatewayService = {
  name: 'gateway',
  configSchema,
  uses: { amqp: true, redis: true, mongo: false },
  httpOptions: gatewayHttpOptions,
  start: startGateway,
} satisfies RunServiceOptions<typeof configSchema>;

await runIfMain(import.meta.url, gatewayService);

// Process lifecycle: config, logger, metrics, connections, clock, bus, HTTP (/healthz, /readyz, /metrics) and
// graceful shutdown on SIGTERM/SIGINT (not ready -> stop consuming -> finish in-flight -> close -> exit 0).
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Static, TObject } from '@sinclair/typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type mongoose from 'mongoose';
import { Bus } from './bus/bus.js';
import { createClock, createLocalClock, type Clock } from './clock.js';
import { ConfigError, loadConfig, type BaseConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { connectMongo, mongoHealthy } from './mongo.js';
import { createRedis, RedisGeneration, redisHealthy } from './redis.js';

export interface ServiceContext<C extends BaseConfig = BaseConfig> {
  config: C;
  log: Logger;
  metrics: Metrics;
  /** the HTTP server before it listens: add routes and plugins in start() */
  http: FastifyInstance;
  bus: Bus;
  redis: Redis;
  mongo: mongoose.Connection | undefined;
  clock: Clock;
  addReadinessCheck(name: string, check: () => boolean | Promise<boolean>): void;
  /** Redis's data generation (undefined without Redis): a loss of Redis's data is noticed within ~1 s */
  redisGeneration: RedisGeneration | undefined;
  /**
   * Runs `fn` after Redis lost its data (in registration order); `/readyz` is unready (`redis-rebuild`) until every
   * such step finished, and a failed step runs again at the next check. No-op for a service without Redis.
   */
  onRedisLoss(name: string, fn: () => Promise<void> | void): void;
  /** runs at shutdown after consumers stopped and before connections close (last registered first) */
  onShutdown(fn: () => Promise<void> | void): void;
  isShuttingDown(): boolean;
}

export interface RunServiceOptions<S extends TObject> {
  name: string;
  configSchema: S;
  env?: Record<string, string | undefined>;
  /** which connections to open; default all */
  uses?: { amqp?: boolean; redis?: boolean; mongo?: boolean };
  start: (ctx: ServiceContext<Static<S> & BaseConfig>) => Promise<void>;
  /** exit the process on shutdown, fatal errors and bad config (default true; tests pass false) */
  exit?: boolean;
  /** handle SIGTERM/SIGINT (default: same as exit) */
  signals?: boolean;
  httpOptions?: FastifyServerOptions;
  /** wait between turning unready and closing (lets a load balancer notice); default 0 */
  shutdownDelayMs?: number;
  /** give up on a stuck shutdown after this; default 25000 */
  shutdownTimeoutMs?: number;
}

export interface ServiceHandle<C extends BaseConfig = BaseConfig> {
  ctx: ServiceContext<C>;
  /** `http://host:port` */
  address: string;
  shutdown(): Promise<void>;
}

/** `p`, or false after `ms` (a probe must answer even when a store hangs). */
function withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]).finally(() => clearTimeout(timer));
}

export async function runService<S extends TObject>(opts: RunServiceOptions<S>): Promise<ServiceHandle<Static<S> & BaseConfig>> {
  const exit = opts.exit ?? true;
  type C = Static<S> & BaseConfig;
  let config: C;
  try {
    config = loadConfig(opts.configSchema, opts.env ?? process.env) as C;
  } catch (err) {
    if (err instanceof ConfigError && exit) {
      process.stderr.write(`${opts.name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const uses = { amqp: true, redis: true, mongo: true, ...opts.uses };
  const log = createLogger({ service: config.serviceName || opts.name, level: config.logLevel });
  const metrics = createMetrics(config.serviceName || opts.name);
  const checks = new Map<string, () => boolean | Promise<boolean>>();
  const hooks: (() => Promise<void> | void)[] = [];
  let shuttingDown = false;

  // no line per request (every health probe would log twice); fastify 5 takes that from a log controller (the
  // top-level disableRequestLogging option prints deprecation FSTDEP023 at every start)
  const http = Fastify({
    loggerInstance: log.child({ component: 'http' }),
    logController: new LogController({ disableRequestLogging: true }),
    ...opts.httpOptions,
  });
  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_req, reply) => {
    const failing: string[] = [];
    if (shuttingDown) failing.push('shutting-down');
    for (const [name, check] of checks) {
      const ok = await Promise.resolve()
        .then(check)
        .catch(() => false);
      if (!ok) failing.push(name);
    }
    return failing.length === 0 ? { status: 'ready' } : reply.code(503).send({ status: 'not-ready', failing });
  });
  http.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let redis: Redis | undefined;
  let generation: RedisGeneration | undefined;
  let mongo: mongoose.Connection | undefined;
  let clock: Clock | undefined;
  let bus: Bus | undefined;
  let closing = false;
  const closeAll = async () => {
    closing = true;
    generation?.stop();
    await bus?.close().catch((err: unknown) => log.warn({ err }, 'closing the bus failed'));
    await clock?.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    await mongo?.close().catch(() => undefined);
    if (redis) await redis.quit().catch(() => redis?.disconnect());
  };

  try {
    if (uses.redis) {
      redis = createRedis(config.redisUrl, { log, name: config.serviceName });
      if (redis.status !== 'ready') await once(redis, 'ready');
      checks.set('redis', () => redisHealthy(redis!));
      const checkMs = Number((opts.env ?? process.env).REDIS_GENERATION_CHECK_MS ?? '') || undefined;
      generation = new RedisGeneration({ redis, ns: config.voltqNs, log, checkMs, metrics });
      await generation.start();
      // a probe reads the generation itself, so a loss shows as unready at the first probe after it
      checks.set('redis-rebuild', async () => (await withTimeout(generation!.check(), 1000)) && generation!.rebuilt());
      clock = await createClock(redis, config.voltqNs, { log });
    } else {
      clock = createLocalClock();
    }
    if (uses.mongo) {
      mongo = await connectMongo(config.mongodbUri, { dbName: config.voltqNs, log, closing: () => closing });
      checks.set('mongo', () => mongoHealthy(mongo!));
    }
    bus = new Bus({
      url: config.amqpUrl,
      ns: config.voltqNs,
      service: config.serviceName,
      log,
      redis,
      clock,
      metrics,
      rpcTimeoutMs: config.rpcTimeoutMs,
    });
    if (uses.amqp) {
      await bus.start();
      checks.set('amqp', () => bus!.check());
    }
  } catch (err) {
    log.fatal({ err }, 'startup failed');
    await closeAll();
    if (exit) process.exit(1);
    throw err;
  }

  const ctx: ServiceContext<C> = {
    config,
    log,
    metrics,
    http,
    bus,
    // without Redis a service gets no client: using it is a programming error that shows at once
    redis: redis ?? (new Proxy({}, { get: () => { throw new Error('this service runs without Redis (uses.redis = false)'); } }) as Redis),
    mongo,
    clock,
    addReadinessCheck: (name, check) => void checks.set(name, check),
    redisGeneration: generation,
    onRedisLoss: (name, fn) => generation?.onLoss(name, fn),
    onShutdown: (fn) => void hooks.push(fn),
    isShuttingDown: () => shuttingDown,
  };

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      shuttingDown = true;
      log.info('shutting down');
      const timer = setTimeout(() => {
        log.error('shutdown took too long, exiting');
        if (exit) process.exit(1);
      }, opts.shutdownTimeoutMs ?? 25_000);
      timer.unref();
      if (opts.shutdownDelayMs) await new Promise((r) => setTimeout(r, opts.shutdownDelayMs));
      // stop taking new work; in-flight messages and RPCs finish and are acknowledged
      await bus?.stopConsuming();
      for (const fn of hooks.reverse()) {
        await Promise.resolve()
          .then(fn)
          .catch((err: unknown) => log.error({ err }, 'shutdown hook failed'));
      }
      await closeAll();
      clearTimeout(timer);
      log.info('stopped');
    })();
    return shutdownPromise;
  };

  try {
    await opts.start(ctx);
    await http.listen({ port: config.httpPort, host: config.httpHost });
  } catch (err) {
    log.fatal({ err }, 'startup failed');
    await shutdown().catch(() => undefined);
    if (exit) process.exit(1);
    throw err;
  }
  const addr = http.server.address();
  const address = typeof addr === 'object' && addr ? `http://${config.httpHost}:${addr.port}` : String(addr);
  log.info({ address }, 'service started');

  if (opts.signals ?? exit) {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'signal received');
      shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  if (exit) {
    process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  }
  return { ctx, address, shutdown };
}

/**
 * Runs the service when `moduleUrl` is the program node started (`node services/x/src/main.ts`) and does nothing
 * when the module was imported (a test that runs the descriptor in-process with its own env). The last line of
 * every service's main.ts: `await runIfMain(import.meta.url, xService)`.
 */
export async function runIfMain<S extends TObject>(moduleUrl: string, service: RunServiceOptions<S>): Promise<void> {
  const entry = process.argv[1];
  if (!entry) return;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolvePath(p);
    }
  };
  if (real(entry) !== real(fileURLToPath(moduleUrl))) return;
  await runService(service);
}

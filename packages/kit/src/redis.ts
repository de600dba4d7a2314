// ioredis connections that keep retrying with capped backoff + jitter; errors are logged, not thrown at random.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis };

export interface RedisConnectOptions {
  log?: Logger;
  name?: string;
  lazyConnect?: boolean;
  options?: RedisOptions;
}

export function backoffDelay(attempt: number, baseMs = 100, maxMs = 5000): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter": never 0, never above the cap
}

export function createRedis(url: string, opts: RedisConnectOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: opts.name,
    lazyConnect: opts.lazyConnect ?? false,
    retryStrategy: (times) => backoffDelay(times, 100, 5000),
    ...opts.options,
  });
  let lastLog = 0;
  redis.on('error', (err: Error) => {
    // while Redis is down ioredis emits an error per attempt: log at most once a second
    const now = Date.now();
    if (now - lastLog < 1000) return;
    lastLog = now;
    opts.log?.warn({ err: err.message, redis: opts.name }, 'redis connection error');
  });
  redis.on('ready', () => opts.log?.debug({ redis: opts.name }, 'redis ready'));
  return redis;
}

/** True when Redis answers PING within `timeoutMs`. */
export async function redisHealthy(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

// A dedicated mongoose connection per service; the first connect is retried with backoff (the store may start later).
import mongoose from 'mongoose';
import type { Logger } from './logger.js';
import { backoffDelay } from './redis.js';

export interface MongoConnectOptions {
  dbName: string;
  log?: Logger;
  /** attempts before giving up on the first connect; default 10 */
  retries?: number;
  serverSelectionTimeoutMS?: number;
  /** true once the owner closes the connection on purpose (the service stops): the disconnect is then expected */
  closing?: () => boolean;
}

export async function connectMongo(uri: string, opts: MongoConnectOptions): Promise<mongoose.Connection> {
  const retries = opts.retries ?? 10;
  for (let attempt = 1; ; attempt++) {
    const conn = mongoose.createConnection(uri, {
      dbName: opts.dbName,
      serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5000,
    });
    try {
      await conn.asPromise();
      conn.on('disconnected', () => {
        if (opts.closing?.()) opts.log?.info('mongo disconnected');
        else opts.log?.warn('mongo disconnected');
      });
      conn.on('reconnected', () => opts.log?.info('mongo reconnected'));
      return conn;
    } catch (err) {
      await conn.close().catch(() => undefined);
      if (attempt >= retries) throw err;
      const delay = backoffDelay(attempt, 200, 5000);
      opts.log?.warn({ err: (err as Error).message, attempt, delay }, 'mongo connect failed, retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** MongoDB's E11000: a unique index refused the write (the caller tells what was taken). */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export function mongoHealthy(conn: mongoose.Connection): boolean {
  return conn.readyState === 1;
}

/** The equality filter of those `keys` of `source` that are set: `{ userId: '7' }` from a query's optional fields. */
export function definedFields<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) filter[key as string] = source[key];
  return filter;
}

/** One page of `query` in `sort` order and the total of matches (pageNum counts from 1), as lean documents. */
export async function findPage<T>(
  model: mongoose.Model<T>,
  query: Record<string, unknown>,
  page: { pageNum: number; pageSize: number },
  sort: Record<string, 1 | -1>,
): Promise<{ items: T[]; total: number }> {
  const [items, total] = await Promise.all([
    model.find(query as mongoose.QueryFilter<T>).sort(sort).skip((page.pageNum - 1) * page.pageSize).limit(page.pageSize).lean<T[]>(),
    model.countDocuments(query as mongoose.QueryFilter<T>),
  ]);
  return { items, total };
}

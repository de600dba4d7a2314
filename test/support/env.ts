// Shared helpers for integration tests: every run gets its own namespace (exchange/queue prefix, Redis key
// prefix, database name) and, unless MONGODB_URI is set, its own in-memory embedded MongoDB.
import { randomBytes } from 'node:crypto';
import { startEmbeddedMongo } from '@voltq/embedded-mongo';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh namespace for one test run, e.g. `t-3f9a1c2b`. */
export function testNamespace(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export interface TestMongo {
  uri: string;
  stop(): Promise<void>;
}

/** The embedded MongoDB in memory (or MONGODB_URI when set, left running). */
export async function startTestMongo(): Promise<TestMongo> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  const server = await startEmbeddedMongo({ port: 0 });
  return { uri: server.uri, stop: () => server.stop() };
}

/** The environment a service under test reads (kit's base config), namespaced. */
export function serviceEnv(ns: string, mongoUri: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    VOLTQ_NS: ns,
    AMQP_URL,
    REDIS_URL,
    MONGODB_URI: mongoUri,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...extra,
  };
}

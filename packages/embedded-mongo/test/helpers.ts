// Shared test setup: an in-process server on a free port and a driver client, both closed at teardown.
import { MongoClient, type Db } from 'mongodb';
import type { Test } from 'tap';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../src/index.js';

export interface Harness {
  server: EmbeddedMongo;
  client: MongoClient;
  db: Db;
}

export async function harness(t: Test, opts: EmbeddedMongoOptions = {}): Promise<Harness> {
  const server = await startEmbeddedMongo({ port: 0, ...opts });
  const client = new MongoClient(`${server.uri}/conformance`, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  t.teardown(async () => {
    await client.close();
    await server.stop();
  });
  return { server, client, db: client.db() };
}

/** Resolves to the rejection of `p` (fails the test if it resolves). */
export async function rejection(t: Test, p: Promise<unknown>): Promise<Record<string, any>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, any>;
  }
  t.fail('expected the operation to fail');
  return {};
}

// Removes what a test run created on the shared RabbitMQ and Redis: every queue and exchange named
// `<ns>.…` and every Redis key `<ns>:…`. Names come from the broker itself (rabbitmqctl, when this machine runs
// the broker) plus any the caller knows, so no run leaves durable queues behind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { AMQP_URL, REDIS_URL } from './env.js';

const run = promisify(execFile);

/** Names the local broker lists (empty when rabbitmqctl is not here or not allowed). */
async function brokerNames(kind: 'queues' | 'exchanges', prefix: string): Promise<string[]> {
  try {
    const { stdout } = await run('rabbitmqctl', [`list_${kind}`, 'name', '--quiet', '--no-table-headers'], { timeout: 20_000 });
    return stdout.split('\n').map((l) => l.trim()).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

/**
 * `knownQueues` (full names) are deleted with their dead-letter queues `<queue>.dlq` even where the broker cannot
 * be listed (no rabbitmqctl here).
 */
export async function removeAmqpNamespace(ns: string, knownQueues: string[] = []): Promise<void> {
  const prefix = `${ns}.`;
  const known = knownQueues.flatMap((q) => (q.endsWith('.dlq') ? [q] : [q, `${q}.dlq`]));
  // each rabbitmqctl call starts an Erlang VM (~1 s): list both at once
  const [listedQueues, listedExchanges] = await Promise.all([brokerNames('queues', prefix), brokerNames('exchanges', prefix)]);
  const queues = new Set([...known, ...listedQueues]);
  const exchanges = new Set([`${ns}.events`, `${ns}.commands`, `${ns}.dlx`, ...listedExchanges]);
  await deleteEach([...queues], (ch, name) => ch.deleteQueue(name));
  await deleteEach([...exchanges], (ch, name) => ch.deleteExchange(name));
}

/**
 * One channel per name: a failed delete closes only its own channel (its error event is handled here, or amqplib
 * would throw it), and a connection the broker closed is opened again, so one failure stops no other delete.
 */
async function deleteEach(names: string[], remove: (ch: Channel, name: string) => Promise<unknown>): Promise<void> {
  let conn: ChannelModel | undefined;
  try {
    for (const name of names) {
      for (let attempt = 1; attempt <= 2; attempt++) {
        try {
          if (!conn) {
            conn = await connect(AMQP_URL);
            conn.on('error', () => undefined);
          }
          const ch = await conn.createChannel();
          ch.on('error', () => undefined);
          await remove(ch, name).catch(() => undefined);
          await ch.close().catch(() => undefined);
          break;
        } catch {
          // the connection went away: the next attempt opens another
          await conn?.close().catch(() => undefined);
          conn = undefined;
        }
      }
    }
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

export async function removeRedisNamespace(ns: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Both of the above. */
export async function removeNamespace(ns: string, knownQueues: string[] = []): Promise<void> {
  await removeAmqpNamespace(ns, knownQueues);
  await removeRedisNamespace(ns);
}

// The TCP server: recovers the data directory (if any), accepts connections, runs the background timers
// (idle cursor expiry, TTL monitor) and shuts everything down cleanly.
import net from 'node:net';
import type { Logger, ServerState } from './commands/common.js';
import { Dispatcher } from './commands/dispatch.js';
import { CursorRegistry } from './cursors.js';
import { DataDirectory } from './persistence/data-dir.js';
import { Engine } from './storage/engine.js';
import type { Document } from './storage/values.js';
import { Connection } from './wire/connection.js';

/** Any pino-style logger (`logger.info(obj, msg)`); missing levels are dropped. */
export interface EmbeddedMongoLogger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

export interface EmbeddedMongoOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on, 127.0.0.1 by default. */
  host?: string;
  /** Data directory: when set, every acknowledged write is journaled there and survives a crash. */
  dbPath?: string;
  logger?: EmbeddedMongoLogger;
  /** Journal size (bytes) that starts a background compaction; 64 MiB by default. */
  compactAtBytes?: number;
  /** How often expired TTL-index documents are deleted (mongod: every 60 s). */
  ttlMonitorIntervalMs?: number;
}

export interface EmbeddedMongo {
  /** `mongodb://<host>:<port>`; append `/<db>` for a default database. */
  readonly uri: string;
  readonly port: number;
  readonly host: string;
  /** Stops accepting, closes connections and cursors, flushes and releases the data directory. */
  stop(): Promise<void>;
}

const CURSOR_SWEEP_INTERVAL_MS = 60_000;

function toLogger(l: EmbeddedMongoLogger | undefined): Logger {
  const level = (fn: ((obj: object, msg?: string) => void) | undefined) =>
    fn ? (data: Document, msg: string) => fn.call(l, data, msg) : () => undefined;
  return { debug: level(l?.debug), info: level(l?.info), warn: level(l?.warn), error: level(l?.error) };
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const logger = toLogger(opts.logger);
  const host = opts.host ?? '127.0.0.1';
  const engine = new Engine(logger);
  const dataDir = opts.dbPath ? DataDirectory.open(opts.dbPath, engine, logger, opts.compactAtBytes ? { compactAtBytes: opts.compactAtBytes } : {}) : null;
  const sockets = new Set<net.Socket>();
  const cursors = new CursorRegistry();
  const state: ServerState = { engine, cursors, logger, startedAtMs: Date.now(), connections: () => sockets.size };
  const dispatcher = new Dispatcher(state, dataDir ? dataDir.journal : null);
  let nextConnectionId = 1;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Connection(nextConnectionId++, socket, dispatcher, state, logger);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await dataDir?.close();
    throw err;
  }
  const port = (server.address() as net.AddressInfo).port;
  const timers = [
    setInterval(() => cursors.sweep(Date.now()), CURSOR_SWEEP_INTERVAL_MS),
    setInterval(() => {
      const removed = engine.expireTtl(Date.now());
      if (removed > 0) logger.debug({ removed }, 'TTL monitor removed expired documents');
    }, opts.ttlMonitorIntervalMs ?? 60_000),
  ];
  for (const t of timers) t.unref();
  const urlHost = host.includes(':') ? `[${host}]` : host;
  logger.info({ host, port, dbPath: opts.dbPath ?? null }, 'embedded-mongo listening');

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const t of timers) clearInterval(t);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      cursors.closeAll();
      await dataDir?.close();
      logger.info({ port }, 'embedded-mongo stopped');
    })();
    return stopping;
  };
  return { uri: `mongodb://${urlHost}:${port}`, port, host, stop };
}

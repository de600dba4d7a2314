// Command line: embedded-mongo --port <port> [--host <ip>] [--dbpath <dir>]
// Prints "ready mongodb://<host>:<port>" on stdout once it accepts connections; logs JSON lines on stderr;
// stops cleanly (pending journal writes flushed) on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { startEmbeddedMongo, type EmbeddedMongoLogger } from './index.js';

function stderrLogger(verbose: boolean): EmbeddedMongoLogger {
  const line = (level: string) => (obj: object, msg?: string) => {
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...obj })}\n`);
  };
  return { ...(verbose ? { debug: line('debug') } : {}), info: line('info'), warn: line('warn'), error: line('error') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '27017' },
      host: { type: 'string', default: '127.0.0.1' },
      bind_ip: { type: 'string' },
      dbpath: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: embedded-mongo --port <port> [--host <ip>] [--dbpath <dir>] [--verbose]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const server = await startEmbeddedMongo({
    port,
    host: values.bind_ip ?? values.host,
    ...(values.dbpath ? { dbPath: values.dbpath } : {}),
    logger: stderrLogger(values.verbose),
  });
  process.stdout.write(`ready ${server.uri}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop after ${signal} failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded-mongo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

// pino JSON logs with the service name, correlation ids on child loggers, secrets redacted.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = ['password', 'token', 'secret', 'authorization', 'accessToken', 'refreshToken', 'apiKey', 'cookie'];
// fast-redact needs explicit depths; three levels cover log objects like { req: { headers: { authorization } } }.
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

/** A URL's query string may hold a token or a password (documents 000, 001, 003 put them there): never logged. */
function withoutQuery(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const at = value.indexOf('?');
  return at < 0 ? value : `${value.slice(0, at)}?[redacted]`;
}
// top-level `url` and `path`, e.g. @fastify/websocket's "no websocket handler" line logs `{ path: req.url }`
const URL_SERIALIZERS = { url: withoutQuery, path: withoutQuery };

export interface LoggerOptions {
  service: string;
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: URL_SERIALIZERS,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

export function withCorrelation(log: Logger, correlationId: string, bindings: Record<string, unknown> = {}): Logger {
  return log.child({ correlationId, ...bindings });
}

// Typed configuration from environment variables: camelCase schema keys <-> UPPER_SNAKE variable names.
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}

/** `rpcTimeoutMs` -> `RPC_TIMEOUT_MS`. */
export function envName(key: string, schema?: TSchema): string {
  const explicit = (schema as { env?: unknown } | undefined)?.env;
  if (typeof explicit === 'string') return explicit;
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function describe(schema: TSchema): string {
  if (schema.anyOf) return (schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const ?? s.type)).join(' | ');
  const bounds: string[] = [];
  if (schema.minimum !== undefined) bounds.push(`>= ${schema.minimum}`);
  if (schema.maximum !== undefined) bounds.push(`<= ${schema.maximum}`);
  if (schema.minLength !== undefined) bounds.push(`at least ${schema.minLength} characters`);
  return [String(schema.type ?? 'value'), ...bounds].join(', ');
}

/**
 * Reads every property of `schema` from `env`, converting strings to numbers/booleans and applying defaults.
 * Throws one ConfigError naming every bad or missing variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Record<string, string | undefined> = process.env): Static<T> {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  const required = new Set(schema.required ?? []);
  for (const [key, prop] of Object.entries(schema.properties) as [string, TSchema][]) {
    const variable = envName(key, prop);
    const raw = env[variable];
    if (raw === undefined || raw === '') {
      if (prop.default !== undefined) out[key] = Value.Clone(prop.default);
      else if (required.has(key)) issues.push({ variable, message: `is required (${describe(prop)})` });
      continue;
    }
    const value = Value.Convert(prop, raw);
    if (!Value.Check(prop, value)) {
      const first = Value.Errors(prop, value).First();
      issues.push({ variable, message: `${first?.message ?? 'invalid'} (${describe(prop)}), got ${JSON.stringify(raw)}` });
      continue;
    }
    out[key] = value;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out as Static<T>;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_HTTP_PORTS: Readonly<Record<string, number>> = {
  gateway: 8080,
  auth: 8081,
  order: 8082,
  scheduler: 8083,
  billing: 8084,
  'device-bridge': 8085,
};

export const baseConfigProperties = {
  serviceName: Type.String({ minLength: 1, default: 'voltq' }),
  logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
  voltqNs: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'voltq' }),
  amqpUrl: Type.String({ pattern: '^amqps?://', default: 'amqp://guest:guest@127.0.0.1:5672' }),
  redisUrl: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  mongodbUri: Type.String({ pattern: '^mongodb(\\+srv)?://', default: 'mongodb://127.0.0.1:27017' }),
  httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  httpHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
  rpcTimeoutMs: Type.Integer({ minimum: 1, maximum: 600_000, default: 5000 }),
};
export type BaseConfigProperties = typeof baseConfigProperties;
export const baseConfigSchema = Type.Object(baseConfigProperties);
export type BaseConfig = Static<typeof baseConfigSchema>;

/** The base variables with SERVICE_NAME and HTTP_PORT defaulting for `service`, plus the service's own. */
export function serviceConfigSchema<P extends TProperties = Record<never, never>>(
  service: string,
  extra?: P,
): TObject<BaseConfigProperties & P> {
  const props = {
    ...baseConfigProperties,
    serviceName: Type.String({ minLength: 1, default: service }),
    httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: DEFAULT_HTTP_PORTS[service] ?? 8080 }),
    ...(extra ?? {}),
  };
  return Type.Object(props) as unknown as TObject<BaseConfigProperties & P>;
}

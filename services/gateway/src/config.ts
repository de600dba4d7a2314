// The gateway's configuration: the kit's base variables plus edge settings.
import { Type, type Static } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

export const configSchema = serviceConfigSchema('gateway', {
  /** IANA zone of the times shown and of dates/times given without an offset */
  timeZone: Type.String({ minLength: 1, default: 'Asia/Shanghai' }),
  defaultStationId: Type.String({ minLength: 1, maxLength: 128, default: 'default' }),
  /** minimum time between two JWKS fetches when a token names an unknown key */
  jwksRefetchIntervalMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
  /** how long DELETE /api/queue/requests/{id} waits for the bill of the session its cancel stopped */
  billWaitMs: Type.Integer({ minimum: 0, maximum: 10_000, default: 3000 }),
  /** RPC timeout for clock moves (they run every due completion before answering) */
  clockRpcTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 60_000 }),
  /** how long the answer "this token's user exists, with this role" is reused (0: ask auth on every request) */
  /** failed logins (user and admin doors together) / registrations with a taken name, per username per window */
  loginAccountMaxFailures: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 5 }),
  loginAccountWindowMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 900_000 }),
  /** the same failures per client address per window */
  loginAddressMaxFailures: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 20 }),
  loginAddressWindowMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000 }),
  /** proxies in front of the gateway (1 behind the ingress) whose X-Forwarded-For entry names the client */
  trustedProxyHops: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
  principalCacheTtlMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 30_000 }),
  /** user ids kept in that cache (least recently used go first) */
  principalCacheMaxEntries: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000 }),
});
export type GatewayConfig = Static<typeof configSchema>;

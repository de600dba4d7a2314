// device-bridge configuration: kit's base variables plus the pile doors, heartbeats, credentials and seeding.
import { Type } from '@sinclair/typebox';
import { serviceConfigSchema } from '@voltq/kit';

export const configSchema = serviceConfigSchema('device-bridge', {
  /** TCP door (JSON lines); 0 = any free port (tests) */
  pileTcpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 9100 }),
  /** TCP door address; default: HTTP_HOST */
  pileTcpHost: Type.Optional(Type.String({ minLength: 1 })),
  /** how often a pile must show a sign of life (told to the pile at login) */
  pileHeartbeatIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  /** missed intervals after which the pile is offline */
  pileHeartbeatMisses: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
  /** a connection must log in within this time */
  pileLoginTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  /** largest pile message (a WebSocket frame or a TCP line) */
  pileMaxMessageBytes: Type.Integer({ minimum: 256, maximum: 1_048_576, default: 65_536 }),
  /** HMAC key of the seeded piles' secrets; unset = the development default (logged as a warning) */
  pileMasterKey: Type.Optional(Type.String({ minLength: 8 })),
  /** piles created at start when missing, `<stationId>-<pileNo>` comma-separated */
  pileSeed: Type.String({ default: 'default-F1,default-F2,default-T1,default-T2,default-T3' }),
  /** this replica's id (pile registry, command queue); default `<hostname>-<random>` */
  replicaId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$' })),
  /** OCPP door: WebSocket ping interval; a charge point that misses a pong is dropped within two of them.
   *  Default: PILE_HEARTBEAT_INTERVAL_MS */
  ocppPingIntervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  /** new pile connections admitted per second on this replica, all doors together (token bucket, as many in a burst);
   *  more are refused before authentication and retry: a reconnection storm neither crashes the bridge nor touches
   *  the piles already logged in */
  pileAdmissionPerSecond: Type.Integer({ minimum: 1, maximum: 100_000, default: 200 }),
  /** device_logs entries are removed after this many days (TTL index) */
  deviceLogTtlDays: Type.Integer({ minimum: 1, default: 30 }),
  /** an OCPP transaction with no StopTransaction this long (clock ms) after its last message is closed at its last reading */
  ocppStaleSessionMs: Type.Integer({ minimum: 1000, default: 24 * 3600 * 1000 }),
});

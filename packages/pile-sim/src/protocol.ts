// The JSON pile protocol (services/device-bridge/README.md "Pile protocol"): one JSON object per message — one
// WebSocket text frame on the bridge's `/piles`, one line on its TCP door. The bridge parses with it (both doors), the
// simulated pile speaks it; the transports only frame messages.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { EnergyWms, Id } from '@voltq/contracts';

/** Optional message id chosen by the pile; echoed in the answer so a pile can match replies. */
const MsgId = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));

export const PILE_STATES = ['idle', 'charging', 'suspended', 'unavailable'] as const;
export type PileState = (typeof PILE_STATES)[number];

export const Meter = Type.Object({
  /** cumulative energy register of the pile */
  energyWms: EnergyWms(),
  powerW: Type.Optional(Type.Integer({ minimum: 0 })),
  sessionId: Type.Optional(Id),
});
export type Meter = Static<typeof Meter>;

// ---- pile -> bridge -------------------------------------------------------------------------------------------
export const pileMessageSchemas = {
  login: Type.Object({
    type: Type.Literal('login'),
    id: MsgId,
    pileId: Id,
    secret: Type.String({ minLength: 1, maxLength: 256 }),
  }),
  heartbeat: Type.Object({ type: Type.Literal('heartbeat'), id: MsgId }),
  status: Type.Object({
    type: Type.Literal('status'),
    id: MsgId,
    state: Type.Union(PILE_STATES.map((s) => Type.Literal(s))),
    meter: Type.Optional(Meter),
  }),
  fault: Type.Object({
    type: Type.Literal('fault'),
    id: MsgId,
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    errorCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  }),
  recovered: Type.Object({ type: Type.Literal('recovered'), id: MsgId }),
  meter: Type.Object({
    type: Type.Literal('meter'),
    id: MsgId,
    energyWms: EnergyWms(),
    powerW: Type.Optional(Type.Integer({ minimum: 0 })),
    sessionId: Type.Optional(Id),
  }),
  /** the pile's answer to a `start`/`stop` command */
  'command.ack': Type.Object({
    type: Type.Literal('command.ack'),
    id: MsgId,
    commandId: Id,
    accepted: Type.Boolean(),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  }),
  logout: Type.Object({ type: Type.Literal('logout'), id: MsgId, reason: Type.Optional(Type.String({ maxLength: 200 })) }),
} as const;

type PileSchemas = typeof pileMessageSchemas;
export type PileMessageType = keyof PileSchemas;
export type PileMessage<K extends PileMessageType = PileMessageType> = K extends PileMessageType ? Static<PileSchemas[K]> : never;

// ---- bridge -> pile -------------------------------------------------------------------------------------------
/** Error codes a pile can receive (stable strings). */
export const PILE_ERROR_CODES = [
  'MALFORMED', // not JSON, not an object, binary frame
  'TOO_LARGE', // message longer than the limit
  'UNKNOWN_TYPE',
  'INVALID', // fields do not match the message's schema
  'NOT_LOGGED_IN',
  'ALREADY_LOGGED_IN',
  'AUTH_FAILED',
  'LOGIN_TIMEOUT',
  'HEARTBEAT_TIMEOUT',
  'REPLACED', // the same pile logged in on another connection
  'UNAVAILABLE', // the bridge cannot serve right now (shutting down, store down)
] as const;
export type PileErrorCode = (typeof PILE_ERROR_CODES)[number];

export interface CommandFields {
  commandId: string;
  sessionId?: string;
  orderId?: string;
  powerW?: number;
  targetEnergyWms?: number;
}

export type ServerMessage =
  | {
      type: 'login.ok';
      id?: string;
      pileId: string;
      stationId: string;
      pileNo: string;
      heartbeatIntervalMs: number;
      heartbeatIntervalS: number;
      faulted: boolean;
      serverTime: string;
    }
  | { type: 'heartbeat.ok'; id?: string; serverTime: string }
  | { type: 'ack'; for: PileMessageType; id?: string; duplicate?: boolean }
  | { type: 'error'; code: PileErrorCode; message: string; id?: string; details?: unknown }
  | ({ type: 'start' } & CommandFields)
  | ({ type: 'stop' } & CommandFields);

export function encode(msg: ServerMessage | PileMessage): string {
  return JSON.stringify(msg);
}

// ---- parsing --------------------------------------------------------------------------------------------------
const checks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(pileMessageSchemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TSchema)]),
);

export type ParseResult =
  | { ok: true; msg: PileMessage }
  | { ok: false; code: PileErrorCode; message: string; id?: string; details?: unknown };

const MAX_ERRORS = 5;

/** Parses and validates one message from a pile; never throws. */
export function parsePileMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: 'MALFORMED', message: `not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'MALFORMED', message: 'a message must be a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  // echo the pile's message id in the error when it looks like one
  const id = typeof obj.id === 'string' && obj.id.length > 0 && obj.id.length <= 64 ? obj.id : undefined;
  if (typeof obj.type !== 'string') return { ok: false, code: 'INVALID', message: 'missing "type" (a string)', id };
  const check = checks.get(obj.type);
  if (!check) {
    return {
      ok: false,
      code: 'UNKNOWN_TYPE',
      message: `unknown message type "${obj.type.slice(0, 64)}"; expected one of ${Object.keys(pileMessageSchemas).join(', ')}`,
      id,
    };
  }
  if (!check.Check(value)) {
    const problems: { path: string; message: string }[] = [];
    for (const e of check.Errors(value)) {
      // never echo a secret back, nor anything long
      problems.push({ path: e.path || '/', message: e.message });
      if (problems.length >= MAX_ERRORS) break;
    }
    const summary = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    return { ok: false, code: 'INVALID', message: `invalid ${obj.type} message: ${summary}`, id, details: problems };
  }
  return { ok: true, msg: value as PileMessage };
}

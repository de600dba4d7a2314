// The JSON pile protocol (services/device-bridge/README.md "Pile protocol"): one JSON object per message — one
// WebSocket text frame on the bridge's `/piles`, one line on its TCP door. The bridge parses with it (both doors), the
// simulated pile speaks it; the transports only frame messages.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { CardId, DeviceId, DeviceStopReason, EnergyWms, Id, PortNo } from '@voltq/contracts';

/** Optional message id chosen by the pile; echoed in the answer so a pile can match replies. */
const MsgId = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));

export const PILE_STATES = ['idle', 'charging', 'suspended', 'unavailable'] as const;
export type PileState = (typeof PILE_STATES)[number];
/** A connector's own states (a `status` with `portNo`); the pile-level `status` keeps PILE_STATES. */
export const PORT_STATES = ['idle', 'preparing', 'charging', 'suspended', 'finishing', 'faulted', 'unavailable'] as const;
export type PortState = (typeof PORT_STATES)[number];
export const STOP_REASONS = ['remote', 'local', 'full', 'fault', 'unplugged', 'other'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export const Meter = Type.Object({
  /** cumulative energy register of the pile */
  energyWms: EnergyWms(),
  powerW: Type.Optional(Type.Integer({ minimum: 0 })),
  sessionId: Type.Optional(Id),
});
export type Meter = Static<typeof Meter>;

// ---- pile -> bridge -------------------------------------------------------------------------------------------
export const pileMessageSchemas = {
  /** `deviceId` (a registered device's IMEI) or `pileId` (a seeded queue pile, whose device id is its pile id) */
  login: Type.Object({
    type: Type.Literal('login'),
    id: MsgId,
    pileId: Type.Optional(Id),
    deviceId: Type.Optional(DeviceId),
    secret: Type.String({ minLength: 1, maxLength: 256 }),
  }),
  heartbeat: Type.Object({ type: Type.Literal('heartbeat'), id: MsgId }),
  status: Type.Object({
    type: Type.Literal('status'),
    id: MsgId,
    /** without `portNo`: one of PILE_STATES (the whole pile); with it: one of PORT_STATES */
    state: Type.Union(PORT_STATES.map((s) => Type.Literal(s))),
    portNo: Type.Optional(PortNo),
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
    /** the register (of the port, with `portNo`) */
    energyWms: EnergyWms(),
    powerW: Type.Optional(Type.Integer({ minimum: 0 })),
    sessionId: Type.Optional(Id),
    portNo: Type.Optional(PortNo),
    voltageV: Type.Optional(Type.Number({ minimum: 0, maximum: 2000 })),
    currentA: Type.Optional(Type.Number({ minimum: 0, maximum: 2000 })),
    temperatureC: Type.Optional(Type.Number({ minimum: -100, maximum: 300 })),
  }),
  /** the pile's answer to a command (`start`, `stop`, `config`, `command`) */
  'command.ack': Type.Object({
    type: Type.Literal('command.ack'),
    id: MsgId,
    commandId: Id,
    accepted: Type.Boolean(),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    /** a start's answer: the port register when the session began */
    meterWms: Type.Optional(EnergyWms()),
    /** the pile's answer as it wants the operator to see it (`{status, ...}`) */
    data: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 50 })),
  }),
  /** a card presented at a port: the bridge checks its owner and answers `card.ok` {sessionId} or CARD_REFUSED */
  'card.start': Type.Object({
    type: Type.Literal('card.start'),
    id: MsgId,
    portNo: PortNo,
    cardId: CardId,
    /** the port register now (the session's start) */
    energyWms: EnergyWms(),
  }),
  /** a port's session ended (a stop command, at the pile, the car full, a fault, unplugged): its final register */
  'session.stopped': Type.Object({
    type: Type.Literal('session.stopped'),
    id: MsgId,
    portNo: PortNo,
    sessionId: Id,
    energyWms: EnergyWms(),
    reason: DeviceStopReason,
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
  'CARD_REFUSED', // card.start with a card no user holds
  'REMOVED', // the device was removed from the registry: the connection is closed, do not reconnect
] as const;
export type PileErrorCode = (typeof PILE_ERROR_CODES)[number];

export interface CommandFields {
  commandId: string;
  /** the connector of a pile with ports */
  portNo?: number;
  sessionId?: string;
  orderId?: string;
  powerW?: number;
  targetEnergyWms?: number;
  /** a start on behalf of a card (OCPP idTag) */
  idTag?: string;
}

/** Operator commands (DESIGN "Devices"): `{type: 'command', commandId, command, ...its fields}`. */
export const OPERATOR_COMMANDS = ['reset', 'unlock', 'availability', 'get-configuration', 'change-configuration', 'trigger'] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export type ServerMessage =
  | {
      type: 'login.ok';
      id?: string;
      pileId: string;
      stationId: string;
      pileNo: string;
      /** the registered device's id and its number of ports */
      deviceId?: string;
      ports?: number;
      heartbeatIntervalMs: number;
      heartbeatIntervalS: number;
      faulted: boolean;
      serverTime: string;
    }
  | { type: 'heartbeat.ok'; id?: string; serverTime: string }
  | { type: 'ack'; for: PileMessageType; id?: string; duplicate?: boolean }
  | { type: 'error'; code: PileErrorCode; message: string; id?: string; details?: unknown }
  | { type: 'card.ok'; id?: string; sessionId: string }
  | ({ type: 'start' } & CommandFields)
  | ({ type: 'stop' } & CommandFields)
  | { type: 'config'; commandId: string; config: number[] }
  | { type: 'command'; commandId: string; command: OperatorCommand; [field: string]: unknown };

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

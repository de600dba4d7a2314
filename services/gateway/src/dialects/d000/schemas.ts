// 000's closed request schemas and its answers (field names as the document writes them).
import { Type, type TSchema } from '@sinclair/typebox';

/** A number sent as form text ("100.4") or as a JSON number (000:256 `quantity: "100.4"` next to type number). */
export const FormNumber = Type.Union([Type.Number(), Type.String({ pattern: '^\\s*[0-9]+(\\.[0-9]+)?\\s*$', maxLength: 32 })]);

export const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false });

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 128 }),
}, { additionalProperties: false });

export const RegisterBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 128 }),
  email: Type.String({ minLength: 3, maxLength: 254 }),
  license_plate: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  // sic (000:108); the detail answer's spelling is accepted too
  battery_capcity: Type.Optional(FormNumber),
  battery_capacity: Type.Optional(FormNumber),
}, { additionalProperties: false });

const envelope = <T extends Record<string, TSchema>>(fields: T) =>
  Type.Object({ code: Type.Integer(), msg: Type.String(), ...fields });

export const TokenAnswer = envelope({ token: Type.Optional(Type.String()) });

export const DetailAnswer = envelope({
  data: Type.Optional(Type.Object({
    user_id: Type.String(),
    username: Type.String(),
    email: Type.String(),
    license_plate: Type.String(),
    battery_capacity: Type.Number(),
    created_at: Type.String(),
    updated_at: Type.String(),
  })),
});

/** 000 documents only HTTP 200; refusals are `{code: -1, msg}` in a 200 too. */
export const Failure = Type.Object({ code: Type.Integer(), msg: Type.String() });
export const responses = <T extends TSchema>(ok: T) => ({ 200: Type.Union([ok, Failure]) });

const Mode = Type.Union([Type.Literal('fast'), Type.Literal('slow')]);

/** apply (000:241): both needed to queue (the table marks them optional; a request without them is refused, -1). */
export const ApplyBody = Type.Object({ mode: Mode, quantity: FormNumber }, { additionalProperties: false });
/** modify (000:326): either or both. */
export const ModifyBody = Type.Object({ mode: Type.Optional(Mode), quantity: Type.Optional(FormNumber) }, { additionalProperties: false });

export const QueueNumberAnswer = envelope({ data: Type.Optional(Type.String()) });
export const PlainAnswer = envelope({});
export const InfoAnswer = envelope({
  data: Type.Optional(Type.Object({
    user_id: Type.String(),
    charging_type: Type.String(),
    request_power: Type.Number(),
    queue_num: Type.String(),
    time_duration: Type.Integer(),
    created_at: Type.String(),
    state: Type.Boolean(),
  })),
});

/** `num` (000:428, default 10), bounded as every list (DESIGN.md): at most 200. */
export const LogQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096 })),
  num: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 10 })),
}, { additionalProperties: false });

export const LogAnswer = envelope({
  log: Type.Optional(Type.Array(Type.Object({
    record_id: Type.Integer(),
    request_id: Type.Integer(),
    charging_station_id: Type.Integer(),
    start_time: Type.String(),
    end_time: Type.String(),
    actual_power: Type.String(),
    service_fee: Type.String(),
    charging_fee: Type.String(),
    total_fee: Type.String(),
  }))),
});

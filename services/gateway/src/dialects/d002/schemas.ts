// TypeBox schemas of 002's requests: every one closed (a field the route does not take is refused, nothing stored).
import { Type, type ObjectOptions, type TProperties } from '@sinclair/typebox';

export const Closed = <T extends TProperties>(properties: T, options: ObjectOptions = {}) => Type.Object(properties, { ...options, additionalProperties: false });
const Id = Type.String({ minLength: 1, maxLength: 128 });
/** 002's account: an e-mail (its regex), checked at registration only (README "One identity"). */
const Account = Type.String({ minLength: 1, maxLength: 254, pattern: '^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$' });
const Password = Type.String({ minLength: 1, maxLength: 32 });
const Mode = Type.String({ enum: ['F', 'T'], description: 'F fast, T slow' });
const ApplyKwh = Type.Number({ exclusiveMinimum: 0, description: 'kWh' });
const Kwh = Type.Number({ minimum: 0, description: 'kWh' });

export const RegisterBody = Closed({ account: Account, password: Password, name: Type.String({ minLength: 1, maxLength: 64 }) });
export const LoginBody = Closed({ account: Type.String({ minLength: 1, maxLength: 254 }), password: Password, session: Type.Optional(Type.String()) });
export const InformationBody = Closed({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  old_password: Type.Optional(Password),
  new_password: Type.Optional(Password),
});
export const CarBody = Closed({
  name: Type.String({ minLength: 1, maxLength: 32, description: 'the plate' }),
  power_capacity: Type.Optional(Type.Union([Kwh, Type.Null()])),
  power_current: Type.Optional(Type.Union([Kwh, Type.Null()])),
});
export const CarPatchBody = Closed({
  car_id: Id,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  power_capacity: Type.Optional(Kwh),
  power_current: Type.Optional(Kwh),
});
export const CarRefBody = Closed({ car_id: Id });
export const OrderQuery = Closed({ mode: Type.String({ enum: ['CURRENT', 'HISTORY'] }) });
export const OrderBody = Closed({ car_id: Id, mode: Mode, apply_kwh: ApplyKwh });
export const OrderPatchBody = Closed({ id: Id, mode: Type.Optional(Mode), apply_kwh: Type.Optional(ApplyKwh) });
export const OrderRefBody = Closed({ id: Id });
export const RechargeQuery = Closed({ amount: Type.Optional(Type.String({ maxLength: 32 })) });
/** A pile id as 002 shows it (`charge_array[].id`: F1, T2 …). */
const PileId = Type.String({ minLength: 1, maxLength: 32, description: 'pile id, e.g. F1' });
export const PileQuery = Closed({ charge_id: PileId });
export const ManageBody = Closed({
  mode: Type.String({ enum: ['SWITCHON', 'SWITCHOFF'] }),
  switch_array: Type.Array(PileId, { maxItems: 200, description: 'pile ids of the station' }),
});

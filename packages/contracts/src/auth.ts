// Auth: users, admins, tokens, JWKS.
import { Type, type Static } from '@sinclair/typebox';
import { EpochMs, Id, type RpcSchemaPair } from './common.js';

export const Username = Type.String({ minLength: 1, maxLength: 64 });
export const Password = Type.String({ minLength: 1, maxLength: 256 });

export const RegisterParams = Type.Object({
  username: Username,
  password: Password,
  phone: Type.Optional(Type.String({ maxLength: 32 })),
  carId: Type.Optional(Id),
});
export const RegisterResult = Type.Object({ userId: Id, username: Username });

export const LoginParams = Type.Object({ username: Username, password: Password });
export const LoginResult = Type.Object({
  token: Type.String(),
  userId: Id,
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  expiresAt: EpochMs(),
});
export type LoginResult = Static<typeof LoginResult>;

export const CarView = Type.Object({ carId: Id, plate: Type.Optional(Type.String()), capacityWms: Type.Optional(Type.Integer({ minimum: 0 })) });
export const UserInfo = Type.Object({
  userId: Id,
  username: Username,
  phone: Type.Optional(Type.String()),
  cars: Type.Array(CarView),
  createdAt: EpochMs(),
});
export type UserInfo = Static<typeof UserInfo>;

export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });
export type Jwks = Static<typeof Jwks>;

export const authMessages = {} as const;

export const authRpc = {
  'auth.register': { params: RegisterParams, result: RegisterResult },
  'auth.login': { params: LoginParams, result: LoginResult },
  'auth.adminLogin': { params: LoginParams, result: LoginResult },
  'auth.userInfo': { params: Type.Object({ userId: Id }), result: UserInfo },
  'auth.jwks': { params: Type.Object({}), result: Jwks },
} as const satisfies Record<string, RpcSchemaPair>;

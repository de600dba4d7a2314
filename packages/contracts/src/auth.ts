// Auth: users, admins, cars, tokens, JWKS.
import { Type, type Static } from '@sinclair/typebox';
import { EpochMs, Id, Literals, type RpcSchemaPair } from './common.js';

/** JWT registered claims shared by the issuer (auth) and the verifier (gateway). */
export const JWT_ISSUER = 'voltq-auth';
export const JWT_AUDIENCE = 'voltq';

export const Role = Literals(['user', 'admin']);
export type Role = Static<typeof Role>;

export const Username = Type.String({ minLength: 1, maxLength: 64 });
export const Password = Type.String({ minLength: 1, maxLength: 256 });
/** 0 unknown, 1 male, 2 female (document 004). */
export const Gender = Type.Integer({ minimum: 0, maximum: 2 });
export const Plate = Type.String({ minLength: 1, maxLength: 32 });

export const RegisterParams = Type.Object({
  username: Username,
  password: Password,
  nickname: Type.Optional(Type.String({ maxLength: 64 })),
  avatar: Type.Optional(Type.String({ maxLength: 1024 })),
  gender: Type.Optional(Gender),
  phone: Type.Optional(Type.String({ maxLength: 32 })),
  /** a first car to register with the account (its plate / label) */
  carId: Type.Optional(Id),
}, { additionalProperties: false });
export type RegisterParams = Static<typeof RegisterParams>;

export const LoginParams = Type.Object({ username: Username, password: Password }, { additionalProperties: false });
export type LoginParams = Static<typeof LoginParams>;
export const LoginResult = Type.Object({
  token: Type.String(),
  userId: Id,
  username: Username,
  role: Role,
  expiresAt: EpochMs({ description: 'real epoch ms (tokens expire by wall time, not the simulated clock)' }),
});
export type LoginResult = Static<typeof LoginResult>;
/** Registering logs the new user in (document 004 answers a token). */
export const RegisterResult = LoginResult;
export type RegisterResult = LoginResult;

export const CarView = Type.Object({
  carId: Id,
  plate: Type.Optional(Type.String()),
  capacityWms: Type.Optional(Type.Integer({ minimum: 0 })),
  createdAt: Type.Optional(EpochMs()),
});
export type CarView = Static<typeof CarView>;

export const UserInfo = Type.Object({
  userId: Id,
  username: Username,
  role: Role,
  nickname: Type.String(),
  avatar: Type.String(),
  gender: Gender,
  phone: Type.Optional(Type.String()),
  country: Type.Optional(Type.String()),
  province: Type.Optional(Type.String()),
  city: Type.Optional(Type.String()),
  language: Type.Optional(Type.String()),
  cars: Type.Array(CarView),
  createdAt: EpochMs(),
  lastLoginAt: Type.Optional(EpochMs()),
});
export type UserInfo = Static<typeof UserInfo>;

export const AddCarParams = Type.Object({
  userId: Id,
  plate: Plate,
  /** the client's own id for the car (e.g. a label); made by auth when absent */
  carId: Type.Optional(Id),
  capacityWms: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: false });
/**
 * Document 004's editable profile fields (PUT /api/user/update); absent fields stay as they are. Closed: nothing
 * else (role, username, passwordHash, ids, timestamps, balances) can be named; auth also picks exactly these.
 */
export const PROFILE_FIELDS = ['nickname', 'avatar', 'gender', 'country', 'province', 'city', 'language'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export const UpdateProfileParams = Type.Object({
  userId: Id,
  nickname: Type.Optional(Type.String({ maxLength: 64 })),
  avatar: Type.Optional(Type.String({ maxLength: 1024 })),
  gender: Type.Optional(Gender),
  country: Type.Optional(Type.String({ maxLength: 64 })),
  province: Type.Optional(Type.String({ maxLength: 64 })),
  city: Type.Optional(Type.String({ maxLength: 64 })),
  language: Type.Optional(Type.String({ maxLength: 32 })),
}, { additionalProperties: false });
export type UpdateProfileParams = Static<typeof UpdateProfileParams>;

export const CarRefParams = Type.Object({ userId: Id, carId: Id }, { additionalProperties: false });
export const ListCarsParams = Type.Object({ userId: Id }, { additionalProperties: false });
export const UserRefParams = Type.Object({ userId: Id }, { additionalProperties: false });

/** Whether a token's subject is still an account, and its role now (the gateway refuses a token otherwise). */
export const PrincipalResult = Type.Object({
  userId: Id,
  exists: Type.Boolean(),
  role: Type.Optional(Role),
});
export type PrincipalResult = Static<typeof PrincipalResult>;
export const CarList = Type.Object({ items: Type.Array(CarView) });

/** A JSON Web Key Set: the public keys that verify auth's tokens (by `kid`). */
export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });
export type Jwks = Static<typeof Jwks>;

export const authMessages = {} as const;

export const authRpc = {
  /** CONFLICT "username exists" when taken. */
  'auth.register': { params: RegisterParams, result: RegisterResult },
  /** UNAUTHORIZED "wrong username or password" (the same for an unknown user). Role user only. */
  'auth.login': { params: LoginParams, result: LoginResult },
  /** As auth.login, for accounts with role admin. */
  'auth.adminLogin': { params: LoginParams, result: LoginResult },
  'auth.userInfo': { params: UserRefParams, result: UserInfo },
  /** A lean lookup by user id for the gateway's token check (cached there): never NOT_FOUND, `exists` says. */
  'auth.principal': { params: UserRefParams, result: PrincipalResult },
  'auth.updateProfile': { params: UpdateProfileParams, result: UserInfo },
  'auth.jwks': { params: Type.Object({}, { additionalProperties: false }), result: Jwks },
  /** Cars of a user: plate unique per user (CONFLICT), carId made by auth. */
  'auth.addCar': { params: AddCarParams, result: CarView },
  'auth.listCars': { params: ListCarsParams, result: CarList },
  /** NOT_FOUND unless the car belongs to the user. */
  'auth.getCar': { params: CarRefParams, result: CarView },
  'auth.removeCar': { params: CarRefParams, result: CarView },
} as const satisfies Record<string, RpcSchemaPair>;

// Auth: users, admins, cars, tokens, JWKS.
import { Type, type Static } from '@sinclair/typebox';
import { EpochMs, Id, Literals, type RpcSchemaPair } from './common.js';

/** JWT registered claims shared by the issuer (auth) and the verifier (gateway). */
export const JWT_ISSUER = 'voltq-auth';
export const JWT_AUDIENCE = 'voltq';

export const Role = Literals(['user', 'admin']);
export type Role = Static<typeof Role>;

/**
 * The one login identifier of every dialect (000/001/003 `username`, 002 `account` in e-mail form, 004
 * `username`): one namespace, unique by `usernameKey` (so two accounts never differ only by case or by
 * surrounding blanks). 254 is the longest e-mail address (RFC 5321), since 002's account name is one. Each door
 * keeps its own form and length rules at registration (gateway); auth takes any of them.
 */
export const Username = Type.String({ minLength: 1, maxLength: 254 });
export const Password = Type.String({ minLength: 1, maxLength: 256 });
/** An e-mail address (a profile field, not verified and not an identifier): something@domain.tld. */
export const Email = Type.String({ maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' });

/** How a username is stored and shown: without surrounding blanks, in Unicode NFC. */
export function normalizeUsername(username: string): string {
  return username.trim().normalize('NFC');
}

/** What makes a username unique and finds it at login: the normalised name in lower case. */
export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase();
}
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
  /** document 000's required `email` (002's account name when the gateway passes it too) */
  email: Type.Optional(Email),
  /** a first car to register with the account (its plate / label) */
  carId: Type.Optional(Id),
  /** that first car's battery (document 000's `battery_capcity`); ignored without carId */
  carCapacityWms: Type.Optional(Type.Integer({ minimum: 0 })),
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
  /** the user's WeChat openid, when they have one */
  openId: Type.Optional(Type.String()),
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
  email: Type.Optional(Type.String()),
  country: Type.Optional(Type.String()),
  province: Type.Optional(Type.String()),
  city: Type.Optional(Type.String()),
  language: Type.Optional(Type.String()),
  cars: Type.Array(CarView),
  /** the WeChat openid of a user who logged in through the mini-program (auth.wechatLogin) */
  openId: Type.Optional(Type.String({ maxLength: 128 })),
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
 * The editable profile fields: document 004's seven (PUT /api/user/update) plus `email` (000 shows it; 002's
 * `name` is the nickname); absent fields stay as they are. Closed: nothing else (role, username, passwordHash,
 * ids, timestamps, balances) can be named; auth also picks exactly these. Which of them a dialect may send is
 * that dialect's allow-list in the gateway (004: its seven).
 */
export const PROFILE_FIELDS = ['nickname', 'avatar', 'gender', 'country', 'province', 'city', 'language', 'email'] as const;
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
  email: Type.Optional(Email),
}, { additionalProperties: false });
export type UpdateProfileParams = Static<typeof UpdateProfileParams>;

/** Document 002's password change (POST /client/index/information with old_password, new_password). */
export const ChangePasswordParams = Type.Object({ userId: Id, oldPassword: Password, newPassword: Password }, { additionalProperties: false });
export type ChangePasswordParams = Static<typeof ChangePasswordParams>;

export const CarRefParams = Type.Object({ userId: Id, carId: Id }, { additionalProperties: false });
/** Document 002's PATCH /client/index/car: absent fields stay as they are. */
export const UpdateCarParams = Type.Object({
  userId: Id,
  carId: Id,
  plate: Type.Optional(Plate),
  capacityWms: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: false });
export type UpdateCarParams = Static<typeof UpdateCarParams>;
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

/**
 * An RFID card: the OCPP idTag a pile reads (IdToken, CiString20: at most 20 printable characters, compared without
 * case). A card belongs to one user; a session started with it at a pile is that user's.
 */
export const CardId = Type.String({ minLength: 1, maxLength: 20, pattern: '^[\\x21-\\x7E]+$', description: 'RFID card id (OCPP idTag)' });
export const CardView = Type.Object({ cardId: CardId, createdAt: EpochMs() });
export type CardView = Static<typeof CardView>;
export const CardRefParams = Type.Object({ userId: Id, cardId: CardId }, { additionalProperties: false });
export const CardList = Type.Object({ items: Type.Array(CardView) });
export const CardOwnerParams = Type.Object({ cardId: CardId }, { additionalProperties: false });
export const CardOwner = Type.Object({ cardId: CardId, userId: Id });

/**
 * The app's configuration document (document 004's `/api/config`), kept by auth and edited by operators: texts,
 * notices and banners. What auth knows itself (the WeChat app id, the token lifetime) is answered beside it.
 */
export const APP_TEXT_FIELDS = ['appName', 'appVersion', 'companyName', 'contactPhone', 'contactEmail', 'serviceAgreement', 'privacyPolicy', 'aboutUs', 'helpCenter', 'faq'] as const;
export type AppTextField = (typeof APP_TEXT_FIELDS)[number];
const AppText = Type.String({ maxLength: 20_000 });
export const AppNotice = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  title: Type.String({ maxLength: 200 }),
  content: Type.String({ maxLength: 20_000 }),
  publishTime: EpochMs(),
}, { additionalProperties: false });
export const AppBanner = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  imageUrl: Type.String({ maxLength: 2048 }),
  linkUrl: Type.String({ maxLength: 2048 }),
  title: Type.String({ maxLength: 200 }),
}, { additionalProperties: false });
export const AppConfigDocument = Type.Object({
  ...(Object.fromEntries(APP_TEXT_FIELDS.map((k) => [k, AppText])) as Record<AppTextField, typeof AppText>),
  noticeList: Type.Array(AppNotice, { maxItems: 100 }),
  bannerList: Type.Array(AppBanner, { maxItems: 50 }),
}, { additionalProperties: false });
export type AppConfigDocument = Static<typeof AppConfigDocument>;
export const AppConfig = Type.Composite([AppConfigDocument, Type.Object({
  wechatAppId: Type.String(),
  jwtExpiryInMinutes: Type.Integer({ minimum: 1 }),
  updatedAt: Type.Optional(EpochMs()),
})]);
export type AppConfig = Static<typeof AppConfig>;
/** A change of the document: absent fields stay; a list given replaces the list. */
export const PutAppConfigParams = Type.Partial(AppConfigDocument, { additionalProperties: false });
export type PutAppConfigParams = Static<typeof PutAppConfigParams>;

/**
 * The mini-program's login (document 004's `/api/user/wechat/login`): `code` from wx.login, exchanged with WeChat's
 * jscode2session for the user's openid; the first login creates the user, later ones update the profile given.
 */
export const WechatLoginParams = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 256 }),
  /** the profile fields a user may change, but the e-mail (WeChat does not give one) */
  profile: Type.Optional(Type.Omit(UpdateProfileParams, ['userId', 'email'], { additionalProperties: false })),
}, { additionalProperties: false });
export type WechatLoginParams = Static<typeof WechatLoginParams>;

/** A JSON Web Key Set: the public keys that verify auth's tokens (by `kid`). */
export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });
export type Jwks = Static<typeof Jwks>;

export const authMessages = {} as const;

export const authRpc = {
  /**
   * CONFLICT "username exists" when taken, also by a name differing only in case or surrounding blanks; the name
   * is stored normalised (normalizeUsername). One RPC for every dialect's registration: each sends its own fields.
   */
  'auth.register': { params: RegisterParams, result: RegisterResult },
  /**
   * UNAUTHORIZED "wrong username or password" (the same for an unknown user). Role user only. The name is found
   * by usernameKey, whichever case or blanks the caller typed.
   */
  'auth.login': { params: LoginParams, result: LoginResult },
  /**
   * The mini-program's login: UNAUTHORIZED (resource wechat) when WeChat refuses the code, UNAVAILABLE (resource
   * wechat) when WeChat cannot be asked (not configured, unreachable); the answer carries the openId.
   */
  'auth.wechatLogin': { params: WechatLoginParams, result: LoginResult },
  /** As auth.login, for accounts with role admin. */
  'auth.adminLogin': { params: LoginParams, result: LoginResult },
  'auth.userInfo': { params: UserRefParams, result: UserInfo },
  /** A lean lookup by user id for the gateway's token check (cached there): never NOT_FOUND, `exists` says. */
  'auth.principal': { params: UserRefParams, result: PrincipalResult },
  'auth.updateProfile': { params: UpdateProfileParams, result: UserInfo },
  /** UNAUTHORIZED "wrong password" when oldPassword is not the account's; NOT_FOUND for an unknown user. */
  'auth.changePassword': { params: ChangePasswordParams, result: UserRefParams },
  'auth.jwks': { params: Type.Object({}, { additionalProperties: false }), result: Jwks },
  /** Cars of a user: plate unique per user (CONFLICT), carId made by auth. */
  'auth.addCar': { params: AddCarParams, result: CarView },
  'auth.listCars': { params: ListCarsParams, result: CarList },
  /** NOT_FOUND unless the car belongs to the user. */
  'auth.getCar': { params: CarRefParams, result: CarView },
  'auth.removeCar': { params: CarRefParams, result: CarView },
  /** NOT_FOUND unless the car belongs to the user; CONFLICT "car exists" when the new plate is another car's of the user. */
  'auth.updateCar': { params: UpdateCarParams, result: CarView },
  /**
   * Cards of a user. CONFLICT "card exists" (resource card) when another user holds the card (whatever its case);
   * the user's own card again answers that card (a retry).
   */
  'auth.addCard': { params: CardRefParams, result: CardView },
  'auth.listCards': { params: UserRefParams, result: CardList },
  /** NOT_FOUND unless the card belongs to the user. */
  'auth.removeCard': { params: CardRefParams, result: CardView },
  /** Whose card this is (a session started with it at a pile): NOT_FOUND for a card no user holds. */
  'auth.cardOwner': { params: CardOwnerParams, result: CardOwner },
  /** The app's configuration (defaults until an operator edits it). */
  'auth.appConfig': { params: Type.Object({}, { additionalProperties: false }), result: AppConfig },
  'auth.putAppConfig': { params: PutAppConfigParams, result: AppConfig },
} as const satisfies Record<string, RpcSchemaPair>;

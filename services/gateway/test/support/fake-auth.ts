// An in-memory stand-in for the auth service, served over the test's own bus: the RPCs the gateway calls (and the
// order fake's auth.getCar), with auth's answers and errors. It behaves as auth does without being auth (a gateway
// test never imports another service's src/): passwords are checked for real (scrypt, constant-time compare; a
// wrong one is the same UNAUTHORIZED for a known and an unknown name) and tokens are real JWTs with auth's claims
// and key handling (EdDSA over an Ed25519 key whose kid is its JWK thumbprint, published as the JWKS).
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import {
  Email,
  JWT_AUDIENCE,
  JWT_ISSUER,
  normalizeUsername,
  PROFILE_FIELDS,
  usernameKey,
  type CarView,
  type Jwks,
  type LoginResult,
  type RegisterParams,
  type Role,
  type UpdateProfileParams,
  type UserInfo,
} from '@voltq/contracts';
import { DomainError, type Bus } from '@voltq/kit';

const BAD_CREDENTIALS = 'wrong username or password';
const JWT_ALG = 'EdDSA';
/** scrypt cost of the fake's hashes: real hashing, cheap enough for a test's hundred logins */
const SCRYPT = { N: 1 << 12, r: 8, p: 1 } as const;
const KEY_BYTES = 64;

/** An account as auth stores it: the contract's user without its cars, plus the password hash and the name's key. */
export type FakeUser = Omit<UserInfo, 'cars'> & { passwordHash: string; usernameKey: string };

const EMAIL_FORM = new RegExp(Email.pattern ?? '');
const isEmail = (value: unknown): value is string => typeof value === 'string' && value.length <= 254 && EMAIL_FORM.test(value);

interface FakeCar {
  carId: string;
  userId: string;
  plate: string;
  capacityWms?: number;
  createdAt: number;
}

export interface TokenClaims {
  userId: string;
  username: string;
  role: Role;
}

export interface FakeAuth {
  /** the stored accounts, queried as a test queried auth's collection (copies: changing one changes nothing) */
  users: {
    findOne(filter: Partial<FakeUser>): Promise<FakeUser | null>;
    deleteOne(filter: Partial<FakeUser>): Promise<{ deletedCount: number }>;
  };
  /** auth's signing key: a token for any claims (a user that does not exist, a role it does not have) */
  keys: { sign(claims: TokenClaims, ttlSeconds: number, nowMs?: number): Promise<{ token: string; expiresAt: number }> };
}

export interface FakeAuthOptions {
  /** the first admin, as VOLTQ_ADMIN_USER / VOLTQ_ADMIN_PASSWORD */
  adminUser: string;
  adminPassword: string;
  /** token lifetime (auth's TOKEN_TTL_SECONDS, default 24 h) */
  tokenTtlSeconds?: number;
  /** time of createdAt / lastLoginAt (auth uses the platform clock) */
  now?: () => number;
}

function derive(password: string, salt: Buffer, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `${salt.toString('base64url')}$${(await derive(password, salt, KEY_BYTES)).toString('base64url')}`;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [salt, key] = stored.split('$').map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer];
  return timingSafeEqual(await derive(password, salt, key.length), key);
}

function matches<T extends object>(record: T, filter: Partial<T>): boolean {
  return Object.entries(filter).every(([key, value]) => record[key as keyof T] === value);
}

function carView(car: FakeCar): CarView {
  const view: CarView = { carId: car.carId, plate: car.plate, createdAt: car.createdAt };
  if (car.capacityWms !== undefined) view.capacityWms = car.capacityWms;
  return view;
}

/** Serves auth's RPCs on `bus` (awaited: the queues exist when it returns) with the first admin already there. */
export async function serveFakeAuth(bus: Bus, opts: FakeAuthOptions): Promise<FakeAuth> {
  const now = opts.now ?? Date.now;
  const tokenTtlSeconds = opts.tokenTtlSeconds ?? 24 * 3600;
  const users = new Map<string, FakeUser>();
  const cars: FakeCar[] = [];
  const cards = new Map<string, { cardId: string; userId: string; createdAt: number }>();
  let lastUserId = 0;

  const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: Jwks = { keys: [{ ...publicJwk, kid, alg: JWT_ALG, use: 'sig' }] };
  const keys: FakeAuth['keys'] = {
    async sign(claims, ttlSeconds, nowMs = Date.now()) {
      // wall time, as auth: token expiry does not follow the simulated clock
      const iat = Math.floor(nowMs / 1000);
      const exp = iat + ttlSeconds;
      const token = await new SignJWT({ role: claims.role, name: claims.username })
        .setProtectedHeader({ alg: JWT_ALG, kid, typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(privateKey as CryptoKey);
      return { token, expiresAt: exp * 1000 };
    },
  };
  // an unknown name costs one password check too, as in auth
  const dummyHash = await hashPassword(randomUUID());

  // as auth: the exact stored name first, else the name's key (one namespace whatever the case)
  const byName = (username: string) =>
    [...users.values()].find((u) => u.username === username) ?? [...users.values()].find((u) => u.usernameKey === usernameKey(username));
  const keyTaken = (key: string) => [...users.values()].some((u) => u.usernameKey === key);
  const userOf = (userId: string) => {
    const user = users.get(userId);
    if (!user) throw new DomainError('NOT_FOUND', `user ${userId} not found`, { resource: 'user' });
    return user;
  };

  async function createAccount(params: RegisterParams, role: Role): Promise<FakeUser> {
    const username = normalizeUsername(params.username);
    if (username === '') throw new DomainError('VALIDATION', 'username is empty');
    if (params.email !== undefined && !isEmail(params.email)) throw new DomainError('VALIDATION', 'email is not an e-mail address');
    const key = usernameKey(username);
    if (keyTaken(key)) throw new DomainError('CONFLICT', 'username exists');
    const user: FakeUser = {
      userId: String(++lastUserId),
      username,
      usernameKey: key,
      passwordHash: await hashPassword(params.password),
      role,
      nickname: params.nickname ?? username,
      avatar: params.avatar ?? '',
      gender: params.gender ?? 0,
      createdAt: now(),
    };
    if (params.phone !== undefined) user.phone = params.phone;
    if (params.email !== undefined) user.email = params.email;
    if (keyTaken(key)) throw new DomainError('CONFLICT', 'username exists'); // a parallel registration won
    users.set(user.userId, user);
    return user;
  }

  async function issue(user: FakeUser): Promise<LoginResult> {
    const { token, expiresAt } = await keys.sign({ userId: user.userId, username: user.username, role: user.role }, tokenTtlSeconds);
    return { token, userId: user.userId, username: user.username, role: user.role, expiresAt };
  }

  async function login(username: string, password: string, role: Role): Promise<LoginResult> {
    const user = byName(username);
    if (!user) {
      await verifyPassword(password, dummyHash);
      throw new DomainError('UNAUTHORIZED', BAD_CREDENTIALS);
    }
    if (!(await verifyPassword(password, user.passwordHash)) || user.role !== role) throw new DomainError('UNAUTHORIZED', BAD_CREDENTIALS);
    user.lastLoginAt = now();
    return issue(user);
  }

  function userInfo(userId: string): UserInfo {
    const user = userOf(userId);
    const info: UserInfo = {
      userId: user.userId,
      username: user.username,
      role: user.role,
      nickname: user.nickname,
      avatar: user.avatar,
      gender: user.gender,
      cars: cars.filter((c) => c.userId === userId).map(carView),
      createdAt: user.createdAt,
    };
    for (const key of ['phone', 'email', 'country', 'province', 'city', 'language'] as const) {
      if (user[key] !== undefined) info[key] = user[key];
    }
    if (user.lastLoginAt !== undefined) info.lastLoginAt = user.lastLoginAt;
    return info;
  }

  /** Only the profile fields (PROFILE_FIELDS), each with its own type, whatever else the params carry. */
  function updateProfile(params: UpdateProfileParams): UserInfo {
    const set: Record<string, string | number> = {};
    for (const key of PROFILE_FIELDS) {
      const value = (params as Record<string, unknown>)[key];
      if (value === undefined) continue;
      const fits = key === 'gender'
        ? Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2
        : key === 'email' ? isEmail(value) : typeof value === 'string';
      if (!fits) throw new DomainError('VALIDATION', `${key} has the wrong type`);
      set[key] = value as string | number;
    }
    if (Object.keys(set).length > 0) Object.assign(userOf(params.userId), set);
    return userInfo(params.userId);
  }

  function addCar(params: { userId: string; plate: string; carId?: string; capacityWms?: number }): CarView {
    userOf(params.userId);
    const car: FakeCar = { carId: params.carId ?? randomUUID(), userId: params.userId, plate: params.plate, createdAt: now() };
    if (params.capacityWms !== undefined) car.capacityWms = params.capacityWms;
    // auth's unique indexes: carId, and the plate per user
    if (cars.some((c) => c.carId === car.carId || (c.userId === car.userId && c.plate === car.plate))) {
      throw new DomainError('CONFLICT', 'car exists', { resource: 'car' });
    }
    cars.push(car);
    return carView(car);
  }

  function carIndex(userId: string, carId: string): number {
    const index = cars.findIndex((c) => c.userId === userId && c.carId === carId);
    if (index < 0) throw new DomainError('NOT_FOUND', `car ${carId} not found`, { resource: 'car' });
    return index;
  }

  await createAccount({ username: opts.adminUser, password: opts.adminPassword }, 'admin');

  await Promise.all([
    bus.serve('auth.register', async (params) => {
      const user = await createAccount(params, 'user');
      if (params.carId !== undefined) {
        try {
          const car = { userId: user.userId, plate: params.carId, carId: params.carId };
          addCar(params.carCapacityWms === undefined ? car : { ...car, capacityWms: params.carCapacityWms });
        } catch (err) {
          // the account exists; a taken car id does not fail the registration
          if (!(err instanceof DomainError && err.code === 'CONFLICT')) throw err;
        }
      }
      return issue(user);
    }),
    bus.serve('auth.login', async (params) => login(params.username, params.password, 'user')),
    bus.serve('auth.adminLogin', async (params) => login(params.username, params.password, 'admin')),
    bus.serve('auth.userInfo', async (params) => userInfo(params.userId)),
    bus.serve('auth.updateProfile', async (params) => updateProfile(params)),
    bus.serve('auth.changePassword', async ({ userId, oldPassword, newPassword }) => {
      const user = userOf(userId);
      if (!(await verifyPassword(oldPassword, user.passwordHash))) throw new DomainError('UNAUTHORIZED', 'wrong password');
      user.passwordHash = await hashPassword(newPassword);
      return { userId };
    }),
    bus.serve('auth.principal', async ({ userId }) => {
      const user = users.get(userId);
      return user ? { userId, exists: true, role: user.role } : { userId, exists: false };
    }),
    bus.serve('auth.jwks', async () => structuredClone(jwks)),
    // cards as auth keeps them: one owner per card, whatever its case
    bus.serve('auth.addCard', async ({ userId, cardId }) => {
      userOf(userId);
      const held = cards.get(cardId.toUpperCase());
      if (held && held.userId !== userId) throw new DomainError('CONFLICT', 'card exists', { resource: 'card' });
      const card = held ?? { cardId, userId, createdAt: now() };
      cards.set(cardId.toUpperCase(), card);
      return { cardId: card.cardId, createdAt: card.createdAt };
    }),
    bus.serve('auth.listCards', async ({ userId }) => ({ items: [...cards.values()].filter((c) => c.userId === userId).map((c) => ({ cardId: c.cardId, createdAt: c.createdAt })) })),
    bus.serve('auth.removeCard', async ({ userId, cardId }) => {
      const held = cards.get(cardId.toUpperCase());
      if (!held || held.userId !== userId) throw new DomainError('NOT_FOUND', `card ${cardId} not found`, { resource: 'card' });
      cards.delete(cardId.toUpperCase());
      return { cardId: held.cardId, createdAt: held.createdAt };
    }),
    bus.serve('auth.addCar', async (params) => addCar(params)),
    bus.serve('auth.listCars', async ({ userId }) => ({ items: cars.filter((c) => c.userId === userId).map(carView) })),
    bus.serve('auth.getCar', async ({ userId, carId }) => carView(cars[carIndex(userId, carId)]!)),
    bus.serve('auth.removeCar', async ({ userId, carId }) => carView(cars.splice(carIndex(userId, carId), 1)[0]!)),
    bus.serve('auth.updateCar', async ({ userId, carId, plate, capacityWms }) => {
      const car = cars[carIndex(userId, carId)]!;
      // auth's unique index: the plate per user
      if (plate !== undefined && cars.some((c) => c !== car && c.userId === userId && c.plate === plate)) {
        throw new DomainError('CONFLICT', 'car exists', { resource: 'car' });
      }
      if (plate !== undefined) car.plate = plate;
      if (capacityWms !== undefined) car.capacityWms = capacityWms;
      return carView(car);
    }),
  ]);

  return {
    users: {
      findOne: async (filter) => {
        const user = [...users.values()].find((u) => matches(u, filter));
        return user ? structuredClone(user) : null;
      },
      deleteOne: async (filter) => {
        const user = [...users.values()].find((u) => matches(u, filter));
        if (user) users.delete(user.userId);
        return { deletedCount: user ? 1 : 0 };
      },
    },
    keys,
  };
}

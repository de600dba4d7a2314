// Accounts: registration, login (users and admins), profile and cars, over an AccountStore (store/accounts.ts
// keeps them in MongoDB). No transport here: handlers.ts maps each RPC to one method, tests can call them too.
import { randomUUID } from 'node:crypto';
import {
  normalizeUsername,
  usernameKey,
  type CardView,
  type ProfileField,
  type CarView,
  type ChangePasswordParams,
  type LoginResult,
  type PrincipalResult,
  type RegisterParams,
  type Role,
  type UpdateCarParams,
  type UpdateProfileParams,
  type UserInfo,
} from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { hashPassword, needsRehash, randomPassword, verifyPassword, type ScryptParams } from './passwords.js';
import { cardKeyOf, carUpdate, carView, isEmail, profileUpdate, userInfo, type CardRecord, type CarRecord, type UserRecord } from './profile.js';
import type { SigningKeys } from './tokens.js';
import { wechatUsername } from './wechat-login.js';

/**
 * What accounts need kept: users and cars. Uniqueness (usernameKey, username, userId, carId, plate per user) is
 * the store's.
 */
export interface AccountStore {
  /** "1", "2", ...: an atomic counter shared by every replica */
  nextUserId(): Promise<string>;
  /** whether an account has this usernameKey */
  usernameTaken(key: string): Promise<boolean>;
  userExists(userId: string): Promise<boolean>;
  /** CONFLICT 'username exists' when the name or its key is taken */
  insertUser(user: UserRecord): Promise<void>;
  /**
   * The account a login names: the one stored with exactly `username`, else the one whose usernameKey is
   * usernameKey(username). (The exact spelling first: an account from before the key whose key collided with an
   * older one's is still found by its own name.)
   */
  userByName(username: string): Promise<UserRecord | undefined>;
  userById(userId: string): Promise<UserRecord | undefined>;
  userByOpenId(openId: string): Promise<UserRecord | undefined>;
  roleOf(userId: string): Promise<Role | undefined>;
  /** false when there is no such user */
  updateUser(userId: string, set: Partial<UserRecord>): Promise<boolean>;
  /** CONFLICT 'car exists' when the car id or the user's plate is taken */
  insertCar(car: CarRecord): Promise<void>;
  carsOf(userId: string): Promise<CarRecord[]>;
  car(userId: string, carId: string): Promise<CarRecord | undefined>;
  removeCar(userId: string, carId: string): Promise<CarRecord | undefined>;
  /** the car after the change, undefined when the user has no such car; CONFLICT 'car exists' for a taken plate */
  updateCar(userId: string, carId: string, set: Partial<Pick<CarRecord, 'plate' | 'capacityWms'>>): Promise<CarRecord | undefined>;
  /** CONFLICT 'card exists' when a card with its cardKey is stored (any user's) */
  insertCard(card: CardRecord): Promise<void>;
  cardsOf(userId: string): Promise<CardRecord[]>;
  cardByKey(cardKey: string): Promise<CardRecord | undefined>;
  /** the removed card; undefined when the user holds no card with this key */
  removeCard(userId: string, cardKey: string): Promise<CardRecord | undefined>;
}

export interface AccountsOptions {
  store: AccountStore;
  keys: SigningKeys;
  tokenTtlSeconds: number;
  scrypt: ScryptParams;
  /** platform clock time (epoch ms) for createdAt / lastLoginAt */
  now: () => number;
  /** the password check (tests count its runs); scrypt by default */
  verifyPassword?: (password: string, stored: string) => Promise<boolean>;
}

const BAD_CREDENTIALS = 'wrong username or password';

function userNotFound(userId: string): DomainError {
  return new DomainError('NOT_FOUND', `user ${userId} not found`, { resource: 'user' });
}

function cardNotFound(cardId: string): DomainError {
  return new DomainError('NOT_FOUND', `card ${cardId} not found`, { resource: 'card' });
}

const cardView = (c: CardRecord): CardView => ({ cardId: c.cardId, createdAt: c.createdAt });

function carNotFound(carId: string): DomainError {
  return new DomainError('NOT_FOUND', `car ${carId} not found`, { resource: 'car' });
}

export class Accounts {
  private dummyHash: Promise<string>;
  private readonly verify: (password: string, stored: string) => Promise<boolean>;
  private readonly store: AccountStore;

  constructor(private readonly opts: AccountsOptions) {
    this.store = opts.store;
    this.verify = opts.verifyPassword ?? verifyPassword;
    // Logging in as an unknown user still costs one scrypt run, so timing does not reveal which names exist.
    this.dummyHash = hashPassword(randomUUID(), opts.scrypt);
  }

  private async createAccount(params: RegisterParams, role: Role, extra: Partial<Pick<UserRecord, 'openId' | ProfileField>> = {}): Promise<UserRecord> {
    const username = normalizeUsername(params.username);
    if (username === '') throw new DomainError('VALIDATION', 'username is empty');
    // Also checked here for callers that skipped the RPC schema: nothing is stored with a malformed e-mail.
    if (params.email !== undefined && !isEmail(params.email)) throw new DomainError('VALIDATION', 'email is not an e-mail address');
    const key = usernameKey(username);
    // Checked first so a taken name does not consume an id; the unique index settles races.
    if (await this.store.usernameTaken(key)) throw new DomainError('CONFLICT', 'username exists');
    const passwordHash = await hashPassword(params.password, this.opts.scrypt);
    const user: UserRecord = {
      userId: await this.store.nextUserId(),
      username,
      usernameKey: key,
      passwordHash,
      role,
      nickname: params.nickname ?? username,
      avatar: params.avatar ?? '',
      gender: params.gender ?? 0,
      createdAt: this.opts.now(),
    };
    if (params.phone !== undefined) user.phone = params.phone;
    if (params.email !== undefined) user.email = params.email;
    Object.assign(user, extra);
    await this.store.insertUser(user);
    return user;
  }

  private async issue(user: UserRecord): Promise<LoginResult> {
    const { token, expiresAt } = await this.opts.keys.sign(
      { userId: user.userId, username: user.username, role: user.role },
      this.opts.tokenTtlSeconds,
    );
    return { token, userId: user.userId, username: user.username, role: user.role, expiresAt, ...(user.openId !== undefined ? { openId: user.openId } : {}) };
  }

  /**
   * The mini-program's login for the WeChat user `openId`: their account (its profile updated from `profile`), or
   * a new one (username `wx_<openid>`, a password nobody knows: this account logs in through WeChat only).
   */
  async wechatLogin(openId: string, profile: Record<string, unknown> = {}): Promise<LoginResult> {
    const set = profileUpdate(profile);
    const known = await this.store.userByOpenId(openId);
    if (known) {
      await this.store.updateUser(known.userId, { ...set, lastLoginAt: this.opts.now() });
      return this.issue(known);
    }
    const username = wechatUsername(openId);
    try {
      const user = await this.createAccount({ username, password: randomUUID() }, 'user', { ...set, openId });
      return this.issue(user);
    } catch (err) {
      // the same user's first two logins at once: the other one created the account
      const raced = err instanceof DomainError && err.code === 'CONFLICT' ? await this.store.userByOpenId(openId) : undefined;
      if (raced) return this.issue(raced);
      throw err;
    }
  }

  async register(params: RegisterParams): Promise<LoginResult> {
    const user = await this.createAccount(params, 'user');
    if (params.carId !== undefined) {
      const car = { userId: user.userId, plate: params.carId, carId: params.carId };
      const withCapacity = params.carCapacityWms === undefined ? car : { ...car, capacityWms: params.carCapacityWms };
      await this.addCar(withCapacity).catch((err: unknown) => {
        // The account exists; a taken car id must not fail the registration.
        if (!(err instanceof DomainError && err.code === 'CONFLICT')) throw err;
      });
    }
    return this.issue(user);
  }

  /** Verifies the password and issues a token; `role` separates the user and admin doors. */
  async login(username: string, password: string, role: Role): Promise<LoginResult> {
    const user = await this.store.userByName(username);
    if (!user) {
      await this.verify(password, await this.dummyHash);
      throw new DomainError('UNAUTHORIZED', BAD_CREDENTIALS);
    }
    const ok = await this.verify(password, user.passwordHash);
    if (!ok || user.role !== role) throw new DomainError('UNAUTHORIZED', BAD_CREDENTIALS);
    const update: Partial<UserRecord> = { lastLoginAt: this.opts.now() };
    if (needsRehash(user.passwordHash, this.opts.scrypt)) update.passwordHash = await hashPassword(password, this.opts.scrypt);
    await this.store.updateUser(user.userId, update);
    return this.issue(user);
  }

  async userInfo(userId: string): Promise<UserInfo> {
    const user = await this.store.userById(userId);
    if (!user) throw userNotFound(userId);
    return userInfo(user, await this.store.carsOf(userId));
  }

  /**
   * Sets the profile fields a user may change (contracts' PROFILE_FIELDS) and nothing else: the
   * update is built from the allow-list, whatever else `params` carries (role, username, passwordHash,
   * createdAt, _id, balance ... are never written, even by a caller that bypassed the RPC schema).
   */
  async updateProfile(params: UpdateProfileParams): Promise<UserInfo> {
    const { userId } = params;
    const set = profileUpdate(params);
    if (Object.keys(set).length > 0 && !(await this.store.updateUser(userId, set))) throw userNotFound(userId);
    return this.userInfo(userId);
  }

  /** Document 002's password change: the old password must be the account's (UNAUTHORIZED otherwise). */
  async changePassword(params: ChangePasswordParams): Promise<{ userId: string }> {
    const user = await this.store.userById(params.userId);
    if (!user) throw userNotFound(params.userId);
    if (!(await this.verify(params.oldPassword, user.passwordHash))) throw new DomainError('UNAUTHORIZED', 'wrong password');
    await this.store.updateUser(user.userId, { passwordHash: await hashPassword(params.newPassword, this.opts.scrypt) });
    return { userId: user.userId };
  }

  /** The gateway's token check: does the user still exist, with which role (one indexed lookup, two fields). */
  async principal(userId: string): Promise<PrincipalResult> {
    const role = await this.store.roleOf(userId);
    return role ? { userId, exists: true, role } : { userId, exists: false };
  }

  /**
   * Creates the first admin when it does not exist. With a configured password an existing admin's password is
   * reset to it (the environment is the operator's lever); without one a random password is generated for a new
   * admin and returned so the caller can show it once.
   */
  async bootstrapAdmin(username: string, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    const existing = await this.store.userByName(username);
    if (existing) {
      if (existing.role !== 'admin') throw new Error(`admin bootstrap: "${username}" exists and is not an admin`);
      if (password !== undefined && !(await verifyPassword(password, existing.passwordHash))) {
        await this.store.updateUser(existing.userId, { passwordHash: await hashPassword(password, this.opts.scrypt) });
      }
      return { created: false };
    }
    const chosen = password ?? randomPassword();
    try {
      await this.createAccount({ username, password: chosen }, 'admin');
    } catch (err) {
      // Another replica bootstrapped it at the same moment.
      if (err instanceof DomainError && err.code === 'CONFLICT') return { created: false };
      throw err;
    }
    return password === undefined ? { created: true, generatedPassword: chosen } : { created: true };
  }

  async addCar(params: { userId: string; plate: string; carId?: string; capacityWms?: number }): Promise<CarView> {
    if (!(await this.store.userExists(params.userId))) throw userNotFound(params.userId);
    const car: CarRecord = { carId: params.carId ?? randomUUID(), userId: params.userId, plate: params.plate, createdAt: this.opts.now() };
    if (params.capacityWms !== undefined) car.capacityWms = params.capacityWms;
    await this.store.insertCar(car);
    return carView(car);
  }

  async listCars(userId: string): Promise<CarView[]> {
    return (await this.store.carsOf(userId)).map(carView);
  }

  async getCar(userId: string, carId: string): Promise<CarView> {
    const car = await this.store.car(userId, carId);
    if (!car) throw carNotFound(carId);
    return carView(car);
  }

  async removeCar(userId: string, carId: string): Promise<CarView> {
    const car = await this.store.removeCar(userId, carId);
    if (!car) throw carNotFound(carId);
    return carView(car);
  }

  /** Changes a car's plate and capacity (nothing else: carUpdate's allow-list), only the owner's. */
  async updateCar(params: UpdateCarParams): Promise<CarView> {
    const set = carUpdate(params);
    const car = Object.keys(set).length > 0
      ? await this.store.updateCar(params.userId, params.carId, set)
      : await this.store.car(params.userId, params.carId);
    if (!car) throw carNotFound(params.carId);
    return carView(car);
  }

  /** Binds a card to the user: another user's card is CONFLICT; the user's own again answers it (a retry). */
  async addCard(userId: string, cardId: string): Promise<CardView> {
    if (!(await this.store.userExists(userId))) throw userNotFound(userId);
    const card: CardRecord = { cardId, cardKey: cardKeyOf(cardId), userId, createdAt: this.opts.now() };
    try {
      await this.store.insertCard(card);
      return cardView(card);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'CONFLICT')) throw err;
      const held = await this.store.cardByKey(card.cardKey);
      if (held?.userId === userId) return cardView(held);
      throw err;
    }
  }

  async listCards(userId: string): Promise<CardView[]> {
    return (await this.store.cardsOf(userId)).map(cardView);
  }

  async removeCard(userId: string, cardId: string): Promise<CardView> {
    const card = await this.store.removeCard(userId, cardKeyOf(cardId));
    if (!card) throw cardNotFound(cardId);
    return cardView(card);
  }

  /** Whose card it is (however the pile spells it). */
  async cardOwner(cardId: string): Promise<{ cardId: string; userId: string }> {
    const card = await this.store.cardByKey(cardKeyOf(cardId));
    if (!card) throw cardNotFound(cardId);
    return { cardId: card.cardId, userId: card.userId };
  }
}

// Accounts: registration, login (users and admins), profile and cars. No transport here: the RPC handlers in
// service.ts call these methods, tests can too.
import { randomUUID } from 'node:crypto';
import { PROFILE_FIELDS, type CarView, type LoginResult, type PrincipalResult, type RegisterParams, type Role, type UpdateProfileParams, type UserInfo } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import type { SigningKeys } from './keys.js';
import { isDuplicateKey, type AuthModels, type CarDoc, type UserDoc } from './models.js';
import { hashPassword, needsRehash, randomPassword, verifyPassword, type ScryptParams } from './passwords.js';

export interface AccountsOptions {
  models: AuthModels;
  keys: SigningKeys;
  tokenTtlSeconds: number;
  scrypt: ScryptParams;
  /** platform clock time (epoch ms) for createdAt / lastLoginAt */
  now: () => number;
  /** the password check (tests count its runs); scrypt by default */
  verifyPassword?: (password: string, stored: string) => Promise<boolean>;
}

const BAD_CREDENTIALS = 'wrong username or password';

/**
 * The `$set` of a profile update: only the allow-listed fields, each only with the type the field has (strings,
 * gender an integer 0-2); anything else in `params` is ignored. Pure, exported for tests.
 */
export function profileUpdate(params: Record<string, unknown>): Partial<Pick<UserDoc, (typeof PROFILE_FIELDS)[number]>> {
  const set: Record<string, string | number> = {};
  for (const key of PROFILE_FIELDS) {
    const value = params[key];
    if (value === undefined) continue;
    const fits = key === 'gender' ? Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2 : typeof value === 'string';
    if (!fits) throw new DomainError('VALIDATION', `${key} has the wrong type`);
    set[key] = value as string | number;
  }
  return set;
}

function carView(car: CarDoc): CarView {
  const view: CarView = { carId: car.carId, plate: car.plate, createdAt: car.createdAt };
  if (car.capacityWms !== undefined) view.capacityWms = car.capacityWms;
  return view;
}

export class Accounts {
  private dummyHash: Promise<string>;
  private readonly verify: (password: string, stored: string) => Promise<boolean>;

  constructor(private readonly opts: AccountsOptions) {
    this.verify = opts.verifyPassword ?? verifyPassword;
    // Logging in as an unknown user still costs one scrypt run, so timing does not reveal which names exist.
    this.dummyHash = hashPassword(randomUUID(), opts.scrypt);
  }

  /** The next user id: "1", "2", ... from an atomic counter shared by every replica. */
  private async nextUserId(): Promise<string> {
    const counter = await this.opts.models.Counter.findOneAndUpdate(
      { _id: 'userId' },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    if (!counter) throw new DomainError('INTERNAL', 'user id counter unavailable');
    return String(counter.seq);
  }

  private async createAccount(params: RegisterParams, role: Role): Promise<UserDoc> {
    const { User } = this.opts.models;
    // Checked first so a taken name does not consume an id; the unique index settles races.
    if (await User.exists({ username: params.username })) throw new DomainError('CONFLICT', 'username exists');
    const passwordHash = await hashPassword(params.password, this.opts.scrypt);
    const doc: UserDoc = {
      userId: await this.nextUserId(),
      username: params.username,
      passwordHash,
      role,
      nickname: params.nickname ?? params.username,
      avatar: params.avatar ?? '',
      gender: params.gender ?? 0,
      createdAt: this.opts.now(),
    };
    if (params.phone !== undefined) doc.phone = params.phone;
    try {
      await User.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', 'username exists');
      throw err;
    }
    return doc;
  }

  private async issue(user: UserDoc): Promise<LoginResult> {
    const { token, expiresAt } = await this.opts.keys.sign(
      { userId: user.userId, username: user.username, role: user.role },
      this.opts.tokenTtlSeconds,
    );
    return { token, userId: user.userId, username: user.username, role: user.role, expiresAt };
  }

  async register(params: RegisterParams): Promise<LoginResult> {
    const user = await this.createAccount(params, 'user');
    if (params.carId !== undefined) {
      await this.addCar({ userId: user.userId, plate: params.carId, carId: params.carId }).catch((err: unknown) => {
        // The account exists; a taken car id must not fail the registration.
        if (!(err instanceof DomainError && err.code === 'CONFLICT')) throw err;
      });
    }
    return this.issue(user);
  }

  /** Verifies the password and issues a token; `role` separates the user and admin doors. */
  async login(username: string, password: string, role: Role): Promise<LoginResult> {
    const { User } = this.opts.models;
    const user = await User.findOne({ username }).lean<UserDoc>();
    if (!user) {
      await this.verify(password, await this.dummyHash);
      throw new DomainError('UNAUTHORIZED', BAD_CREDENTIALS);
    }
    const ok = await this.verify(password, user.passwordHash);
    if (!ok || user.role !== role) throw new DomainError('UNAUTHORIZED', BAD_CREDENTIALS);
    const update: Partial<UserDoc> = { lastLoginAt: this.opts.now() };
    if (needsRehash(user.passwordHash, this.opts.scrypt)) update.passwordHash = await hashPassword(password, this.opts.scrypt);
    await User.updateOne({ userId: user.userId }, { $set: update });
    return this.issue(user);
  }

  async userInfo(userId: string): Promise<UserInfo> {
    const user = await this.opts.models.User.findOne({ userId }).lean<UserDoc>();
    if (!user) throw new DomainError('NOT_FOUND', `user ${userId} not found`, { resource: 'user' });
    const cars = await this.opts.models.Car.find({ userId }).sort({ createdAt: 1 }).lean<CarDoc[]>();
    const info: UserInfo = {
      userId: user.userId,
      username: user.username,
      role: user.role,
      nickname: user.nickname ?? user.username,
      avatar: user.avatar ?? '',
      gender: user.gender ?? 0,
      cars: cars.map(carView),
      createdAt: user.createdAt,
    };
    for (const key of ['phone', 'country', 'province', 'city', 'language'] as const) {
      if (user[key] !== undefined) info[key] = user[key];
    }
    if (user.lastLoginAt !== undefined) info.lastLoginAt = user.lastLoginAt;
    return info;
  }

  /**
   * Sets the profile fields a user may change (document 004's PUT /api/user/update) and nothing else: the
   * update is built from the allow-list, whatever else `params` carries (role, username, passwordHash,
   * createdAt, _id, balance ... are never written, even by a caller that bypassed the RPC schema).
   */
  async updateProfile(params: UpdateProfileParams): Promise<UserInfo> {
    const { userId } = params;
    const set = profileUpdate(params);
    if (Object.keys(set).length > 0) {
      const res = await this.opts.models.User.updateOne({ userId }, { $set: set });
      if (res.matchedCount === 0) throw new DomainError('NOT_FOUND', `user ${userId} not found`, { resource: 'user' });
    }
    return this.userInfo(userId);
  }

  /** The gateway's token check: does the user still exist, with which role (one indexed lookup, two fields). */
  async principal(userId: string): Promise<PrincipalResult> {
    const user = await this.opts.models.User.findOne({ userId }, { _id: 0, userId: 1, role: 1 }).lean<Pick<UserDoc, 'userId' | 'role'>>();
    return user ? { userId, exists: true, role: user.role } : { userId, exists: false };
  }

  /**
   * Creates the first admin when it does not exist. With a configured password an existing admin's password is
   * reset to it (the environment is the operator's lever); without one a random password is generated for a new
   * admin and returned so the caller can show it once.
   */
  async bootstrapAdmin(username: string, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    const { User } = this.opts.models;
    const existing = await User.findOne({ username }).lean<UserDoc>();
    if (existing) {
      if (existing.role !== 'admin') throw new Error(`admin bootstrap: "${username}" exists and is not an admin`);
      if (password !== undefined && !(await verifyPassword(password, existing.passwordHash))) {
        await User.updateOne({ userId: existing.userId }, { $set: { passwordHash: await hashPassword(password, this.opts.scrypt) } });
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
    const { Car, User } = this.opts.models;
    if (!(await User.exists({ userId: params.userId }))) {
      throw new DomainError('NOT_FOUND', `user ${params.userId} not found`, { resource: 'user' });
    }
    const doc: CarDoc = { carId: params.carId ?? randomUUID(), userId: params.userId, plate: params.plate, createdAt: this.opts.now() };
    if (params.capacityWms !== undefined) doc.capacityWms = params.capacityWms;
    try {
      await Car.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', 'car exists', { resource: 'car' });
      throw err;
    }
    return carView(doc);
  }

  async listCars(userId: string): Promise<CarView[]> {
    const cars = await this.opts.models.Car.find({ userId }).sort({ createdAt: 1 }).lean<CarDoc[]>();
    return cars.map(carView);
  }

  async getCar(userId: string, carId: string): Promise<CarView> {
    const car = await this.opts.models.Car.findOne({ userId, carId }).lean<CarDoc>();
    if (!car) throw new DomainError('NOT_FOUND', `car ${carId} not found`, { resource: 'car' });
    return carView(car);
  }

  async removeCar(userId: string, carId: string): Promise<CarView> {
    const car = await this.opts.models.Car.findOneAndDelete({ userId, carId }).lean<CarDoc>();
    if (!car) throw new DomainError('NOT_FOUND', `car ${carId} not found`, { resource: 'car' });
    return carView(car);
  }
}

// What auth stores of a user and a car, and the pure rules around them: which profile fields a user may change,
// and how a stored user or car is shown.
import { Email, PROFILE_FIELDS, type CarView, type UserInfo } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

/**
 * A user (or admin, by role) as stored in `users`: the contract's user without its cars, plus the password hash
 * and `usernameKey` (contracts' usernameKey of the name: unique, what a login looks up). Accounts stored before
 * the key existed get it when auth starts (store/accounts.ts, backfillUsernameKeys).
 */
export type UserRecord = Omit<UserInfo, 'cars'> & { passwordHash: string; usernameKey: string };

const EMAIL_FORM = new RegExp(Email.pattern ?? '');

/** The e-mail form of the contract (for callers that skipped the RPC schema). */
export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && value.length <= (Email.maxLength ?? 254) && EMAIL_FORM.test(value);
}

/** A car as stored in `cars`. */
/** A user's RFID card: `cardKey` (the id in capitals) is unique, as OCPP compares idTags without case. */
export interface CardRecord {
  cardId: string;
  cardKey: string;
  userId: string;
  createdAt: number;
}

/** The key two spellings of one card share (OCPP IdToken is case-insensitive). */
export function cardKeyOf(cardId: string): string {
  return cardId.toUpperCase();
}

export interface CarRecord {
  carId: string;
  userId: string;
  plate: string;
  capacityWms?: number;
  createdAt: number;
}

/**
 * The `$set` of a profile update: only the allow-listed fields, each only with the type the field has (strings,
 * gender an integer 0-2); anything else in `params` is ignored.
 */
export function profileUpdate(params: Record<string, unknown>): Partial<Pick<UserRecord, (typeof PROFILE_FIELDS)[number]>> {
  const set: Record<string, string | number> = {};
  for (const key of PROFILE_FIELDS) {
    const value = params[key];
    if (value === undefined) continue;
    const fits = key === 'gender'
      ? Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2
      : key === 'email' ? isEmail(value) : typeof value === 'string';
    if (!fits) throw new DomainError('VALIDATION', `${key} has the wrong type`);
    set[key] = value as string | number;
  }
  return set;
}

/** The `$set` of a car change: plate (a non-empty string) and capacityWms (an integer >= 0), nothing else. */
export function carUpdate(params: Record<string, unknown>): Partial<Pick<CarRecord, 'plate' | 'capacityWms'>> {
  const set: Partial<Pick<CarRecord, 'plate' | 'capacityWms'>> = {};
  const { plate, capacityWms } = params;
  if (plate !== undefined) {
    if (typeof plate !== 'string' || plate === '') throw new DomainError('VALIDATION', 'plate has the wrong type');
    set.plate = plate;
  }
  if (capacityWms !== undefined) {
    if (!Number.isSafeInteger(capacityWms) || (capacityWms as number) < 0) throw new DomainError('VALIDATION', 'capacityWms has the wrong type');
    set.capacityWms = capacityWms as number;
  }
  return set;
}

export function carView(car: CarRecord): CarView {
  const view: CarView = { carId: car.carId, plate: car.plate, createdAt: car.createdAt };
  if (car.capacityWms !== undefined) view.capacityWms = car.capacityWms;
  return view;
}

export function userInfo(user: UserRecord, cars: CarRecord[]): UserInfo {
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
  for (const key of ['phone', 'email', 'country', 'province', 'city', 'language', 'openId'] as const) {
    if (user[key] !== undefined) info[key] = user[key];
  }
  if (user.lastLoginAt !== undefined) info.lastLoginAt = user.lastLoginAt;
  return info;
}

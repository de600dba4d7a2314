// Users, cars and cards in MongoDB: auth's AccountStore. User ids come from the `counters` collection ({_id: 'userId'}).
import type { Connection } from 'mongoose';
import { usernameKey, type Role } from '@voltq/contracts';
import { DomainError, isDuplicateKey, MongoCounters } from '@voltq/kit';
import type { AccountStore } from '../domain/accounts.js';
import type { CardRecord, CarRecord, UserRecord } from '../domain/profile.js';
import type { AuthModels } from './models.js';

export class MongoAccountStore implements AccountStore {
  private readonly counters: MongoCounters;

  constructor(
    conn: Connection,
    private readonly models: AuthModels,
  ) {
    this.counters = new MongoCounters(conn, 'counters');
  }

  async nextUserId(): Promise<string> {
    return String(await this.counters.next('userId'));
  }

  async usernameTaken(key: string): Promise<boolean> {
    return (await this.models.User.exists({ usernameKey: key })) !== null;
  }

  /**
   * Gives every account stored before usernameKey existed its key (run at start, before serving; idempotent, so
   * replicas starting together are fine). Two old accounts whose names differ only by case cannot share a key:
   * the older (by createdAt) gets it, the other keeps none and logs in by its exact stored name only
   * (userByName); `collided` counts those.
   */
  async backfillUsernameKeys(): Promise<{ keyed: number; collided: number }> {
    const unkeyed = await this.models.User.find({ usernameKey: { $exists: false } }, { _id: 0, userId: 1, username: 1 })
      .sort({ createdAt: 1, userId: 1 })
      .lean<Pick<UserRecord, 'userId' | 'username'>[]>();
    let keyed = 0;
    let collided = 0;
    for (const user of unkeyed) {
      try {
        const res = await this.models.User.updateOne({ userId: user.userId, usernameKey: { $exists: false } }, { $set: { usernameKey: usernameKey(user.username) } });
        keyed += res.modifiedCount;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        collided += 1;
      }
    }
    return { keyed, collided };
  }

  async userExists(userId: string): Promise<boolean> {
    return (await this.models.User.exists({ userId })) !== null;
  }

  async insertUser(user: UserRecord): Promise<void> {
    try {
      await this.models.User.create(user);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', 'username exists');
      throw err;
    }
  }

  async userByName(username: string): Promise<UserRecord | undefined> {
    const found = await this.models.User.find({ $or: [{ username }, { usernameKey: usernameKey(username) }] }).limit(2).lean<UserRecord[]>();
    return found.find((user) => user.username === username) ?? found[0];
  }

  async userById(userId: string): Promise<UserRecord | undefined> {
    return (await this.models.User.findOne({ userId }).lean<UserRecord>()) ?? undefined;
  }

  async userByOpenId(openId: string): Promise<UserRecord | undefined> {
    return (await this.models.User.findOne({ openId }).lean<UserRecord>()) ?? undefined;
  }

  async roleOf(userId: string): Promise<Role | undefined> {
    const user = await this.models.User.findOne({ userId }, { _id: 0, userId: 1, role: 1 }).lean<Pick<UserRecord, 'userId' | 'role'>>();
    return user?.role;
  }

  async updateUser(userId: string, set: Partial<UserRecord>): Promise<boolean> {
    const res = await this.models.User.updateOne({ userId }, { $set: set });
    return res.matchedCount > 0;
  }

  async insertCar(car: CarRecord): Promise<void> {
    try {
      await this.models.Car.create(car);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', 'car exists', { resource: 'car' });
      throw err;
    }
  }

  async carsOf(userId: string): Promise<CarRecord[]> {
    return this.models.Car.find({ userId }).sort({ createdAt: 1 }).lean<CarRecord[]>();
  }

  async car(userId: string, carId: string): Promise<CarRecord | undefined> {
    return (await this.models.Car.findOne({ userId, carId }).lean<CarRecord>()) ?? undefined;
  }

  async removeCar(userId: string, carId: string): Promise<CarRecord | undefined> {
    return (await this.models.Car.findOneAndDelete({ userId, carId }).lean<CarRecord>()) ?? undefined;
  }

  async updateCar(userId: string, carId: string, set: Partial<Pick<CarRecord, 'plate' | 'capacityWms'>>): Promise<CarRecord | undefined> {
    try {
      return (await this.models.Car.findOneAndUpdate({ userId, carId }, { $set: set }, { returnDocument: 'after' }).lean<CarRecord>()) ?? undefined;
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', 'car exists', { resource: 'car' });
      throw err;
    }
  }

  async insertCard(card: CardRecord): Promise<void> {
    try {
      await this.models.Card.create(card);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('CONFLICT', 'card exists', { resource: 'card' });
      throw err;
    }
  }

  async cardsOf(userId: string): Promise<CardRecord[]> {
    return this.models.Card.find({ userId }, { _id: 0 }).sort({ createdAt: 1 }).lean<CardRecord[]>();
  }

  async cardByKey(cardKey: string): Promise<CardRecord | undefined> {
    return (await this.models.Card.findOne({ cardKey }, { _id: 0 }).lean<CardRecord>()) ?? undefined;
  }

  async removeCard(userId: string, cardKey: string): Promise<CardRecord | undefined> {
    return (await this.models.Card.findOneAndDelete({ userId, cardKey }, { projection: { _id: 0 } }).lean<CardRecord>()) ?? undefined;
  }
}

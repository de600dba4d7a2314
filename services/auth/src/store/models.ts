// MongoDB collections owned by auth: users (and admins, by role), cars and cards; their fields come from the
// contracts' UserInfo, CarView and CardView, plus what only the store has (the password hash, the owner, the card key).
import { Type } from '@sinclair/typebox';
import { Schema, type Connection, type Model } from 'mongoose';
import { CardView, CarView, UserInfo } from '@voltq/contracts';
import { mongooseFields } from '@voltq/kit';
import type { CardRecord, CarRecord, UserRecord } from '../domain/profile.js';

const userSchema = new Schema<UserRecord>(
  mongooseFields(Type.Omit(UserInfo, ['cars']), {
    passwordHash: { type: String, required: true },
    // absent only on accounts stored before it existed, until auth's start gives them one
    usernameKey: { type: String, required: false },
    role: { enum: ['user', 'admin'] },
    // older documents may lack them: shown with these defaults
    nickname: { required: false, default: '' },
    avatar: { required: false, default: '' },
    gender: { required: false, default: 0 },
  }),
  { versionKey: false, collection: 'users' },
);
userSchema.index({ userId: 1 }, { unique: true });
userSchema.index({ username: 1 }, { unique: true });
// one namespace of login names whatever their case: unique where set (older accounts get it at start)
userSchema.index({ usernameKey: 1 }, { unique: true, partialFilterExpression: { usernameKey: { $type: 'string' } } });
// one account per WeChat user (only those who logged in through WeChat have one)
userSchema.index({ openId: 1 }, { unique: true, partialFilterExpression: { openId: { $type: 'string' } } });

const carSchema = new Schema<CarRecord>(
  mongooseFields(CarView, {
    userId: { type: String, required: true },
    plate: { required: true },
    createdAt: { required: true },
  }),
  { versionKey: false, collection: 'cars' },
);
carSchema.index({ carId: 1 }, { unique: true });
carSchema.index({ userId: 1, plate: 1 }, { unique: true });

const cardSchema = new Schema<CardRecord>(
  mongooseFields(CardView, {
    cardKey: { type: String, required: true },
    userId: { type: String, required: true },
  }),
  { versionKey: false, collection: 'cards' },
);
// a card belongs to one user, however it is spelt
cardSchema.index({ cardKey: 1 }, { unique: true });
cardSchema.index({ userId: 1, createdAt: 1 });

export interface AuthModels {
  User: Model<UserRecord>;
  Car: Model<CarRecord>;
  Card: Model<CardRecord>;
}

/** Compiles the models on `conn` and waits until their unique indexes exist (uniqueness relies on them). */
export async function authModels(conn: Connection): Promise<AuthModels> {
  const models: AuthModels = {
    User: (conn.models.User as Model<UserRecord> | undefined) ?? conn.model<UserRecord>('User', userSchema),
    Car: (conn.models.Car as Model<CarRecord> | undefined) ?? conn.model<CarRecord>('Car', carSchema),
    Card: (conn.models.Card as Model<CardRecord> | undefined) ?? conn.model<CardRecord>('Card', cardSchema),
  };
  await Promise.all([models.User.init(), models.Car.init(), models.Card.init()]);
  return models;
}

// MongoDB collections owned by auth: users (and admins, by role), cars, and the id counters.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Role } from '@voltq/contracts';

export interface UserDoc {
  userId: string;
  username: string;
  passwordHash: string;
  role: Role;
  nickname: string;
  avatar: string;
  gender: number;
  phone?: string;
  country?: string;
  province?: string;
  city?: string;
  language?: string;
  createdAt: number;
  lastLoginAt?: number;
}

export interface CarDoc {
  carId: string;
  userId: string;
  plate: string;
  capacityWms?: number;
  createdAt: number;
}

export interface CounterDoc {
  _id: string;
  seq: number;
}

const userSchema = new Schema<UserDoc>(
  {
    userId: { type: String, required: true },
    username: { type: String, required: true },
    passwordHash: { type: String, required: true },
    role: { type: String, required: true, enum: ['user', 'admin'] },
    nickname: { type: String, default: '' },
    avatar: { type: String, default: '' },
    gender: { type: Number, default: 0 },
    phone: { type: String },
    country: { type: String },
    province: { type: String },
    city: { type: String },
    language: { type: String },
    createdAt: { type: Number, required: true },
    lastLoginAt: { type: Number },
  },
  { versionKey: false, collection: 'users' },
);
userSchema.index({ userId: 1 }, { unique: true });
userSchema.index({ username: 1 }, { unique: true });

const carSchema = new Schema<CarDoc>(
  {
    carId: { type: String, required: true },
    userId: { type: String, required: true },
    plate: { type: String, required: true },
    capacityWms: { type: Number },
    createdAt: { type: Number, required: true },
  },
  { versionKey: false, collection: 'cars' },
);
carSchema.index({ carId: 1 }, { unique: true });
carSchema.index({ userId: 1, plate: 1 }, { unique: true });

const counterSchema = new Schema<CounterDoc>(
  { _id: { type: String, required: true }, seq: { type: Number, required: true } },
  { versionKey: false, collection: 'counters' },
);

export interface AuthModels {
  User: Model<UserDoc>;
  Car: Model<CarDoc>;
  Counter: Model<CounterDoc>;
}

/** Compiles the models on `conn` and waits until their unique indexes exist (uniqueness relies on them). */
export async function authModels(conn: Connection): Promise<AuthModels> {
  const models: AuthModels = {
    User: conn.model<UserDoc>('User', userSchema),
    Car: conn.model<CarDoc>('Car', carSchema),
    Counter: conn.model<CounterDoc>('Counter', counterSchema),
  };
  await Promise.all([models.User.init(), models.Car.init(), models.Counter.init()]);
  return models;
}

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

// The app's configuration document in MongoDB: one document (`app_config`, _id 'app'), changed field by field.
import { Schema, type Connection, type Model } from 'mongoose';
import type { AppConfigDocument } from '@voltq/contracts';

type StoredAppConfig = Partial<AppConfigDocument> & { _id: string; updatedAt?: number };

// strict: false keeps the schema to the contract's fields, checked before they arrive (domain/app-config.ts)
const appConfigSchema = new Schema<StoredAppConfig>({ _id: String }, { versionKey: false, collection: 'app_config', strict: false });

const DOC_ID = 'app';

export class AppConfigStore {
  private readonly Model: Model<StoredAppConfig>;

  constructor(conn: Connection) {
    this.Model = (conn.models.AppConfig as Model<StoredAppConfig> | undefined) ?? conn.model<StoredAppConfig>('AppConfig', appConfigSchema);
  }

  async get(): Promise<(Partial<AppConfigDocument> & { updatedAt?: number }) | undefined> {
    const doc = await this.Model.findById(DOC_ID, { _id: 0 }).lean<Partial<AppConfigDocument> & { updatedAt?: number }>();
    return doc ?? undefined;
  }

  /** Sets the given fields (the others stay) and answers the document after the change. */
  async set(set: Partial<AppConfigDocument>, nowMs: number): Promise<Partial<AppConfigDocument> & { updatedAt?: number }> {
    const after = await this.Model.findByIdAndUpdate(DOC_ID, { $set: { ...set, updatedAt: nowMs } }, { upsert: true, returnDocument: 'after', projection: { _id: 0 } })
      .lean<Partial<AppConfigDocument> & { updatedAt?: number }>();
    return after ?? { ...set, updatedAt: nowMs };
  }
}

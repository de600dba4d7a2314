// MongoDB `tariffs`: one document per tariff, the contract's TariffDocument. A put replaces the document only if
// nobody changed it since it was read (`rev`, store-only), so two puts racing on one tariff never lose a version.
import { Schema, type Connection, type Model } from 'mongoose';
import type { TariffDocument } from '@voltq/contracts';
import { DomainError, isDuplicateKey } from '@voltq/kit';

export type StoredTariff = TariffDocument & { rev: number };

const tariffSchema = new Schema<StoredTariff>(
  {
    tariffId: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    // versions with their rules as the contract writes them (validated by domain/tariffs.ts before any write)
    versions: { type: Schema.Types.Mixed, required: true },
    updatedAt: { type: Number, required: true },
    rev: { type: Number, required: true },
  },
  { collection: 'tariffs', versionKey: false, minimize: false },
);

export type TariffModel = Model<StoredTariff>;

export function tariffModel(conn: Connection): TariffModel {
  return (conn.models.Tariff as TariffModel | undefined) ?? conn.model<StoredTariff>('Tariff', tariffSchema);
}

function toTariff(stored: StoredTariff): TariffDocument {
  return { tariffId: stored.tariffId, name: stored.name, description: stored.description ?? '', versions: stored.versions, updatedAt: stored.updatedAt };
}

const PUT_ATTEMPTS = 20;

export class TariffRepository {
  constructor(private readonly Tariff: TariffModel) {}

  async byId(tariffId: string): Promise<TariffDocument | undefined> {
    const found = await this.Tariff.findOne({ tariffId }).lean<StoredTariff>();
    return found ? toTariff(found) : undefined;
  }

  async list(): Promise<TariffDocument[]> {
    return (await this.Tariff.find({}).sort({ tariffId: 1 }).lean<StoredTariff[]>()).map(toTariff);
  }

  /** Stores `doc` unless a tariff of its id exists already (the built-in default at start). */
  async seed(doc: TariffDocument): Promise<void> {
    try {
      await this.Tariff.updateOne({ tariffId: doc.tariffId }, { $setOnInsert: { ...doc, rev: 1 } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another replica seeded it
    }
  }

  /**
   * Reads the tariff, lets `change` make the new document from it (it throws to refuse) and writes that, only if
   * the stored one is still the one read; on a lost race it reads again.
   */
  async update(tariffId: string, change: (existing: TariffDocument | undefined) => TariffDocument): Promise<TariffDocument> {
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const stored = await this.Tariff.findOne({ tariffId }).lean<StoredTariff>();
      const next = change(stored ? toTariff(stored) : undefined);
      try {
        if (stored) {
          const res = await this.Tariff.replaceOne({ tariffId, rev: stored.rev }, { ...next, rev: stored.rev + 1 });
          if (res.matchedCount === 1) return next;
        } else {
          await this.Tariff.create({ ...next, rev: 1 });
          return next;
        }
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // created meanwhile: read it and try again
      }
    }
    throw new DomainError('UNAVAILABLE', `tariff ${tariffId} is being changed by others: retry`);
  }
}

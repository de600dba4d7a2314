// The shared JWT signing key in MongoDB (`signing_keys`), so every auth replica signs with the same key. The first
// replica to start generates it; a concurrent one loses the insert race (duplicate _id) and reads the winner's.
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '@voltq/kit';
import { newSigningKey, SigningKeys, type SigningKeyRecord } from '../domain/tokens.js';

const ACTIVE_KEY_ID = 'jwt-signing';

const signingKeySchema = new Schema<SigningKeyRecord>(
  {
    _id: { type: String, required: true },
    kid: { type: String, required: true },
    alg: { type: String, required: true },
    privateJwk: { type: Schema.Types.Mixed, required: true },
    publicJwk: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Number, required: true },
  },
  { versionKey: false, collection: 'signing_keys' },
);

/** Loads the shared key, generating and storing it when there is none yet. */
export async function loadSigningKeys(conn: Connection): Promise<SigningKeys> {
  const SigningKey = (conn.models.SigningKey as Model<SigningKeyRecord> | undefined) ?? conn.model<SigningKeyRecord>('SigningKey', signingKeySchema);
  let record = await SigningKey.findById(ACTIVE_KEY_ID).lean<SigningKeyRecord>();
  if (!record) {
    try {
      await SigningKey.create(await newSigningKey(ACTIVE_KEY_ID, Date.now()));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    record = await SigningKey.findById(ACTIVE_KEY_ID).lean<SigningKeyRecord>();
    if (!record) throw new Error('signing key vanished after insert');
  }
  return SigningKeys.from(record);
}

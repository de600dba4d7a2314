// Pile secrets: a seeded pile's secret is HMAC-SHA256(PILE_MASTER_KEY, pileId), so the bridge that seeds it and
// the pile (this simulator, or a factory) derive the same secret; the bridge stores only a hash of it.
import { createHmac } from 'node:crypto';

/** Development default for PILE_MASTER_KEY; the bridge logs a warning when it is used. */
export const DEV_PILE_MASTER_KEY = 'voltq-dev-pile-master-key';

export function derivePileSecret(masterKey: string, pileId: string): string {
  return createHmac('sha256', masterKey).update(pileId, 'utf8').digest('hex');
}

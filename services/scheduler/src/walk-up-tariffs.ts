// Billing's tariff documents (`billing.tariffs`), read for the running fee of walk-up sessions: a station names its
// tariff; an unknown one prices as `default`, as billing bills it. Kept a few seconds (documents change rarely);
// billing unreachable: the copy last read, else the call's error.
import type { TariffDocument } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

export class TariffBook {
  private cache: { at: number; docs: Map<string, TariffDocument> } | undefined;

  constructor(
    private readonly fetch: () => Promise<TariffDocument[]>,
    private readonly realNow: () => number,
    private readonly maxAgeMs = 5000,
  ) {}

  async get(tariffId: string): Promise<TariffDocument> {
    const docs = await this.docs();
    const doc = docs.get(tariffId) ?? docs.get('default');
    if (!doc) throw new DomainError('UNAVAILABLE', `billing has neither tariff ${tariffId} nor the tariff default`);
    return doc;
  }

  private async docs(): Promise<Map<string, TariffDocument>> {
    const now = this.realNow();
    if (this.cache && now - this.cache.at < this.maxAgeMs) return this.cache.docs;
    try {
      const docs = new Map((await this.fetch()).map((d) => [d.tariffId, d]));
      this.cache = { at: now, docs };
      return docs;
    } catch (err) {
      if (this.cache) return this.cache.docs;
      throw err;
    }
  }
}

// Tariff documents (billing's, DESIGN.md "Walk-up stations, sessions and payments") as Tariffs: pure. Billing prices
// a bill and the scheduler a running walk-up fee with these same functions, so both price a session alike. The
// shapes are structural (the contracts' TariffRule / TariffVersion / TariffDocument fit them): this package stays
// free of the bus contracts.
import { createTariff, type Tariff, type TierName } from './tariff.js';
import { PRICE_SCALE } from './units.js';

/** One window of one tier: prices in 1/10000 yuan per kWh. */
export interface TariffWindowDoc {
  readonly tier: string;
  readonly from: string;
  readonly to: string;
  readonly price: number;
}
/** The prices of one pile type: a service fee per kWh (`servicePrice`, 1/10000 yuan) or a share of the energy fee
 * (`serviceRate`, 1/10000 percent). */
export interface TariffRuleDoc {
  readonly pileType: number;
  readonly windows: readonly TariffWindowDoc[];
  readonly servicePrice?: number;
  readonly serviceRate?: number;
}
export interface TariffVersionDoc {
  readonly effectiveDate: string;
  readonly effectiveFrom: number;
  readonly timeZone: string;
  readonly rules: readonly TariffRuleDoc[];
}

/** Integer 1/10000 units as the exact decimal text createTariff reads (7000 -> '0.7000'). */
export function priceText(units: number): string {
  return `${Math.floor(units / PRICE_SCALE)}.${String(units % PRICE_SCALE).padStart(4, '0')}`;
}

/** One rule of a version as a Tariff (createTariff validates it: windows cover the day once, prices). */
export function tariffOfRule(rule: TariffRuleDoc, timeZone: string): Tariff {
  const service = rule.serviceRate !== undefined
    ? { serviceFeePercent: priceText(rule.serviceRate) }
    : { serviceFeeYuanPerKwh: priceText(rule.servicePrice ?? 0) };
  return createTariff({
    timeZone,
    ...service,
    tiers: rule.windows.map((w) => ({ tier: w.tier as TierName, from: w.from, to: w.to, priceYuanPerKwh: priceText(w.price) })),
  });
}

/** The version in force at `ms`: the newest that started at or before it; before the first version, the first. */
export function versionAt<V extends TariffVersionDoc>(doc: { readonly versions: readonly V[] }, ms: number): V {
  let found = doc.versions[0] as V;
  for (const v of doc.versions) if (v.effectiveFrom <= ms && v.effectiveFrom >= found.effectiveFrom) found = v;
  return found;
}

/** A version's rule for a pile type (a version without that pile type's rule: its first rule). */
export function ruleFor<R extends TariffRuleDoc>(version: { readonly rules: readonly R[] }, pileType: number): R {
  return version.rules.find((r) => r.pileType === pileType) ?? (version.rules[0] as R);
}

/** The Tariff a session is priced with: the version in force at its start, its pile type's rule. */
export function tariffAt(doc: { readonly versions: readonly TariffVersionDoc[] }, startedAtMs: number, pileType: number): Tariff {
  const version = versionAt(doc, startedAtMs);
  return tariffOfRule(ruleFor(version, pileType), version.timeZone);
}

export { TariffError } from './errors.js';
export type { TariffErrorCode } from './errors.js';
export { createTariff, DEFAULT_TARIFF, DEFAULT_TARIFF_SPEC, localDayStartMs, TIER_BY_TIME_TYPE, TIER_NAMES } from './tariff.js';
export type { ResolvedTariffSpec, ServiceFee, Tariff, TariffSpec, TariffTierSpec, TierName } from './tariff.js';
export { feeForConstantPower, feeForIntervals, tierAt } from './fee.js';
export type { FeeBreakdown, TierSplit } from './fee.js';
export { formatKwh, formatYuan, kwhToWms, parsePrice, PRICE_SCALE, WMS_PER_KWH } from './units.js';
export { priceText, ruleFor, tariffAt, tariffOfRule, versionAt } from './documents.js';
export type { TariffRuleDoc, TariffVersionDoc, TariffWindowDoc } from './documents.js';

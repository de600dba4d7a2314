// Tariff documents (DESIGN.md "Walk-up stations, sessions and payments"): pure. A tariff has versions by effective
// date, each with one rule per pile type (five tiers' windows and prices, a service fee per kWh or a percentage of
// the energy fee). Validation and pricing are @voltq/tariff's: a rule becomes a Tariff, nothing here prices.
import type { PileType, PutTariffParams, SessionEnded, TariffAnswer, TariffDocument, TariffRule, TariffVersion } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { DEFAULT_TARIFF_SPEC, localDayStartMs, PRICE_SCALE, tariffAt, tariffOfRule, TariffError, versionAt as versionInForce, type Tariff } from '@voltq/tariff';

export const DEFAULT_TARIFF_ID = 'default';
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
/** The built-in default tariff's version: in force before any other (a session before a tariff's first version uses that first version). */
export const DEFAULT_EFFECTIVE_DATE = '2000-01-01';
const PILE_TYPES: readonly PileType[] = [1, 2];

/** Exact decimal text ('0.7', 1.0, '12.5') in 1/10000 units; the built-in spec's prices are such texts. */
function unitsOf(text: string | number): number {
  const [whole = '0', fraction = ''] = String(text).split('.');
  return Number(whole) * PRICE_SCALE + Number(fraction.padEnd(4, '0').slice(0, 4));
}

/** The built-in default tariff (DESIGN.md "Billing") as a rule: both pile types price alike. */
function defaultRule(pileType: PileType): TariffRule {
  return {
    pileType,
    windows: DEFAULT_TARIFF_SPEC.tiers.map((t) => ({ tier: t.tier, from: t.from, to: t.to, price: unitsOf(t.priceYuanPerKwh) })),
    servicePrice: unitsOf(DEFAULT_TARIFF_SPEC.serviceFeeYuanPerKwh as string),
  };
}

/** The document `default` before any operator changed it. */
export function defaultTariffDocument(updatedAt: number): TariffDocument {
  const timeZone = DEFAULT_TARIFF_SPEC.timeZone ?? DEFAULT_TIME_ZONE;
  return {
    tariffId: DEFAULT_TARIFF_ID,
    name: '默认电价',
    description: 'peak 1.0, flat 0.7, valley 0.4 yuan/kWh; service 0.8 yuan/kWh',
    versions: [{ effectiveDate: DEFAULT_EFFECTIVE_DATE, effectiveFrom: localDayStartMs(DEFAULT_EFFECTIVE_DATE, timeZone), timeZone, rules: PILE_TYPES.map(defaultRule) }],
    updatedAt,
  };
}

// a rule becomes a Tariff by @voltq/tariff's tariffOfRule: the scheduler prices running walk-up fees with it too
export { tariffOfRule };

function refuse(message: string): never {
  throw new DomainError('VALIDATION', message);
}

function integerAtLeastZero(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) refuse(`${what} must be an integer >= 0, got ${String(value)}`);
}

/**
 * The version a put asks for, validated: every pile type once, each rule's windows covering the local day exactly
 * once, integer prices >= 0, exactly one service fee form, a real date and zone. VALIDATION names what to fix.
 */
export function checkVersion(version: PutTariffParams['version']): TariffVersion {
  const timeZone = version.timeZone ?? DEFAULT_TIME_ZONE;
  let effectiveFrom: number;
  try {
    effectiveFrom = localDayStartMs(version.effectiveDate, timeZone);
  } catch (err) {
    if (err instanceof TariffError) refuse(`effectiveDate/timeZone: ${err.message}`);
    throw err;
  }
  const seen = new Set<number>();
  version.rules.forEach((rule, i) => {
    const where = `rules[${i}] (pile type ${rule.pileType})`;
    if (!PILE_TYPES.includes(rule.pileType)) refuse(`${where}: pileType must be 1 (fast) or 2 (slow)`);
    if (seen.has(rule.pileType)) refuse(`${where}: pile type ${rule.pileType} is given twice`);
    seen.add(rule.pileType);
    if ((rule.servicePrice === undefined) === (rule.serviceRate === undefined)) refuse(`${where}: give exactly one service fee: per kWh or a percentage of the energy fee`);
    if (rule.servicePrice !== undefined) integerAtLeastZero(rule.servicePrice, `${where} servicePrice`);
    if (rule.serviceRate !== undefined) integerAtLeastZero(rule.serviceRate, `${where} serviceRate`);
    rule.windows.forEach((w, j) => integerAtLeastZero(w.price, `${where} windows[${j}].price`));
    try {
      tariffOfRule(rule, timeZone);
    } catch (err) {
      if (err instanceof TariffError) refuse(`${where}: ${err.message}`);
      throw err;
    }
  });
  const missing = PILE_TYPES.filter((p) => !seen.has(p));
  if (missing.length > 0) refuse(`a version prices every pile type: pile type ${missing.join(', ')} is missing`);
  const rules = [...version.rules].sort((a, b) => a.pileType - b.pileType).map((r) => ({
    pileType: r.pileType,
    windows: r.windows.map((w) => ({ tier: w.tier, from: w.from, to: w.to, price: w.price })),
    ...(r.servicePrice !== undefined ? { servicePrice: r.servicePrice } : { serviceRate: r.serviceRate as number }),
  }));
  return { effectiveDate: version.effectiveDate, effectiveFrom, timeZone, rules };
}

/**
 * The document after a put: the version of the same effective date replaced, another added; versions oldest
 * first; name and description the put's.
 */
export function putVersion(existing: TariffDocument | undefined, params: PutTariffParams, now: number): TariffDocument {
  const version = checkVersion(params.version);
  const versions = (existing?.versions ?? []).filter((v) => v.effectiveDate !== version.effectiveDate);
  versions.push(version);
  versions.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  return { tariffId: params.tariffId, name: params.name, description: params.description ?? '', versions, updatedAt: now };
}

/** The version in force at `ms`: the newest that started at or before it; before the first version, the first. */
export function versionAt(doc: TariffDocument, ms: number): TariffVersion {
  return versionInForce(doc, ms);
}

/** The document as billing answers it: with the effective date of the version in force at `nowMs`. */
export function answerOf(doc: TariffDocument, nowMs: number): TariffAnswer {
  return { ...doc, inForce: versionAt(doc, nowMs).effectiveDate };
}

/** Document 004's pile type of a session: 2 for a slow one, 1 (fast) otherwise. */
export function pileTypeOf(session: Pick<SessionEnded, 'mode'>): PileType {
  return session.mode === 'slow' ? 2 : 1;
}

/** The tariff id a session names (absent: `default`). */
export function tariffIdOf(session: Pick<SessionEnded, 'tariffId'>): string {
  return session.tariffId ?? DEFAULT_TARIFF_ID;
}

/** The Tariff a session is priced with: its tariff's version in force at the session's start, its pile type's rule. */
export function tariffForSession(doc: TariffDocument, session: Pick<SessionEnded, 'startedAt' | 'mode'>): Tariff {
  return tariffAt(doc, session.startedAt, pileTypeOf(session));
}

// Tariffs (DESIGN.md "Walk-up stations, sessions and payments"): billing's tariff documents for operators
// (`GET /api/admin/tariffs`, `PUT /api/admin/tariffs/{tariffId}`) and 004's `GET /api/config/billing-rules`
// (004:949–991) for any signed-in user. Prices travel in 004's words (timeRates: timeType, startTime, endTime,
// rate in yuan/kWh); inside they are integers of 1/10000 yuan per kWh (billing's contract), converted here exactly.
import { Type, type Static } from '@sinclair/typebox';
import type { PutTariffParams, TariffAnswer, TariffRule, TariffVersion, TariffWindow } from '@voltq/contracts';
import { DomainError, formatIso } from '@voltq/kit';
import { parsePrice, TariffError } from '@voltq/tariff';
import type { Api } from '../../../core/context.js';
import { localTime, type FormatContext } from '../../../core/units.js';
import { TAG, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { Closed, responses } from '../schemas.js';

// ---- tariffs (routes/tariffs.ts): billing's documents in 004's vocabulary (timeRates, timeType, rate) ----

/** Tier names to document 004's timeType (1 尖峰 … 5 深谷). */
export const TIME_TYPE_OF_TIER: Readonly<Record<string, number>> = { sharp: 1, peak: 2, flat: 3, valley: 4, deepValley: 5 };
/** 004's timeType to the tier names. */
export const TIER_OF_TIME_TYPE: Readonly<Record<number, TariffWindow['tier']>> = { 1: 'sharp', 2: 'peak', 3: 'flat', 4: 'valley', 5: 'deepValley' };

/** 1/10000 units (yuan per kWh, or percent) as a JSON number: 7000 -> 0.7, exact for 4 decimals. */
export function fromUnits(units: number): number {
  return Number(`${Math.floor(units / 10_000)}.${String(units % 10_000).padStart(4, '0')}`);
}

const windowOrder = (a: TariffWindow, b: TariffWindow) => a.from.localeCompare(b.from);

/** A rule's windows as 004's timeRates, by start time; `endTime` 24:00 is the end of the day. */
export function timeRates(rule: TariffRule) {
  return [...rule.windows].sort(windowOrder).map((w) => ({
    timeType: TIME_TYPE_OF_TIER[w.tier] as number,
    startTime: w.from,
    endTime: w.to === '00:00' ? '24:00' : w.to,
    rate: fromUnits(w.price),
  }));
}

/** The version in force now (billing says which: `inForce`). */
function versionInForce(doc: TariffAnswer): TariffVersion {
  return doc.versions.find((v) => v.effectiveDate === doc.inForce) ?? (doc.versions[0] as TariffVersion);
}

/** GET/PUT /api/admin/tariffs: the document with every version; `isActive` marks the one in force now. */
export function tariffView(doc: TariffAnswer, ctx: FormatContext) {
  const active = versionInForce(doc);
  return {
    tariffId: doc.tariffId,
    name: doc.name,
    description: doc.description,
    updatedAt: formatIso(doc.updatedAt, ctx.timeZone),
    versions: doc.versions.map((v) => ({
      effectiveDate: v.effectiveDate,
      timeZone: v.timeZone,
      isActive: v === active,
      rules: v.rules.map((r) => ({
        pileType: r.pileType,
        serviceFeePerKwh: r.servicePrice === undefined ? null : fromUnits(r.servicePrice),
        serviceFeeRate: r.serviceRate === undefined ? null : fromUnits(r.serviceRate),
        timeRates: timeRates(r),
      })),
    })),
  };
}

/** A rule's service fee in words, for 004's `description` (004 has a field for a percentage only). */
function serviceFeeText(rule: TariffRule): string {
  return rule.serviceRate !== undefined ? `服务费 电费的 ${fromUnits(rule.serviceRate)}%` : `服务费 ${fromUnits(rule.servicePrice ?? 0)} 元/度`;
}

/** The price of the window of `rule` in force at local wall time 'HH:MM'. */
function priceAt(rule: TariffRule, hhmm: string): number {
  const inside = (w: TariffWindow) => {
    const to = w.to === '00:00' ? '24:00' : w.to;
    return w.from < to ? w.from <= hhmm && hhmm < to : hhmm >= w.from || hhmm < to;
  };
  return (rule.windows.find(inside) ?? (rule.windows[0] as TariffWindow)).price;
}

/**
 * GET /api/config/billing-rules (004:949–991): one billing rule per tariff, pile type and version, for the version in
 * force now (`isActive` true) and those not yet in force (false); superseded versions only price older sessions and
 * are left out. `defaultRule` is the tariff `default` for pile type 1 now, its `rate` the flat (平时) price.
 */
export function billingRulesView(docs: TariffAnswer[], ctx: FormatContext) {
  const billingRules = docs.flatMap((doc) => {
    const active = versionInForce(doc);
    return doc.versions
      .filter((v) => v === active || v.effectiveFrom > active.effectiveFrom)
      .flatMap((v) => v.rules.map((r) => ({
        id: `${doc.tariffId}:${r.pileType}:${v.effectiveDate}`,
        name: doc.name,
        description: [doc.description, serviceFeeText(r)].filter((x) => x !== '').join('; '),
        pileType: r.pileType,
        serviceFeeRate: r.serviceRate === undefined ? null : fromUnits(r.serviceRate),
        timeRates: timeRates(r),
        effectiveDate: v.effectiveDate,
        isActive: v === active,
      })));
  });
  const doc = docs.find((d) => d.tariffId === 'default');
  let defaultRule = null;
  if (doc) {
    const v = versionInForce(doc);
    const rule = v.rules.find((r) => r.pileType === 1) ?? (v.rules[0] as TariffRule);
    const flat = rule.windows.find((w) => w.tier === 'flat');
    defaultRule = {
      id: `${doc.tariffId}:${rule.pileType}:${v.effectiveDate}`,
      name: doc.name,
      description: [doc.description, serviceFeeText(rule)].filter((x) => x !== '').join('; '),
      pileType: rule.pileType,
      rate: fromUnits(flat ? flat.price : priceAt(rule, localTime(ctx.nowMs, v.timeZone).slice(11, 16))),
      serviceFeeRate: rule.serviceRate === undefined ? null : fromUnits(rule.serviceRate),
      isActive: true,
    };
  }
  return { billingRules, defaultRule };
}

// ---- schemas (closed requests; answers for serialization and OpenAPI) ----

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: "station-local 'HH:MM'; endTime 24:00 = end of day" });
const TimeType = Type.Integer({ minimum: 1, maximum: 5, description: '1 尖峰 sharp, 2 峰 peak, 3 平 flat, 4 谷 valley, 5 深谷 deep valley' });
const PileTypeField = Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 直流快充 (fast), 2 交流慢充 (slow)' });
const YuanPerKwh = Type.Number({ minimum: 0, description: 'yuan per kWh, at most 4 decimals' });

export const TariffPath = Closed({ tariffId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' }) });
export const TimeRateBody = Closed({ timeType: TimeType, startTime: HHMM, endTime: HHMM, rate: YuanPerKwh });
export const TariffRuleBody = Closed({
  pileType: PileTypeField,
  serviceFeePerKwh: Type.Optional(Type.Number({ minimum: 0, description: 'service fee in yuan per kWh (exactly one of this and serviceFeeRate)' })),
  serviceFeeRate: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'service fee as a percentage of the energy fee, at most 4 decimals' })),
  timeRates: Type.Array(TimeRateBody, { minItems: 1, maxItems: 48, description: 'windows covering 00:00–24:00 exactly once; endTime before startTime wraps past midnight' }),
});
export const TariffBody = Closed({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.Optional(Type.String({ maxLength: 256 })),
  effectiveDate: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD, station-local: in force from that midnight' }),
  timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of the times; default Asia/Shanghai' })),
  rules: Type.Array(TariffRuleBody, { minItems: 1, maxItems: 2, description: 'one per pile type; both pile types' }),
});
const TimeRateView = Type.Object({ timeType: Type.Integer(), startTime: Type.String(), endTime: Type.String(), rate: Type.Number({ description: 'yuan/kWh' }) });
export const TariffView = Type.Object({
  tariffId: Type.String(),
  name: Type.String(),
  description: Type.String(),
  updatedAt: Type.String({ description: 'ISO 8601 with offset' }),
  versions: Type.Array(Type.Object({
    effectiveDate: Type.String(),
    timeZone: Type.String(),
    isActive: Type.Boolean({ description: 'the version in force now' }),
    rules: Type.Array(Type.Object({
      pileType: Type.Integer(),
      serviceFeePerKwh: Nullable(Type.Number()),
      serviceFeeRate: Nullable(Type.Number({ description: 'percent' })),
      timeRates: Type.Array(TimeRateView),
    })),
  })),
});
const BillingRule = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  pileType: Type.Integer({ description: '1 直流快充, 2 交流慢充' }),
  serviceFeeRate: Nullable(Type.Number({ description: 'percent of the energy fee; null when the service fee is per kWh (see description)' })),
  timeRates: Type.Array(TimeRateView),
  effectiveDate: Type.String(),
  isActive: Type.Boolean(),
});
export const BillingRules = Type.Object({
  billingRules: Type.Array(BillingRule),
  defaultRule: Nullable(Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    pileType: Type.Integer(),
    rate: Type.Number({ description: 'yuan/kWh: the flat (平时) price of the tariff default' }),
    serviceFeeRate: Nullable(Type.Number()),
    isActive: Type.Boolean(),
  })),
});

// ---- edge parsing: 004's numbers -> billing's integers ----

/** A yuan (or percent) figure with at most 4 decimals -> integer 1/10000 units, exactly; VALIDATION otherwise. */
export function toUnits(value: number, field: string): number {
  try {
    return parsePrice(value, field);
  } catch (err) {
    if (err instanceof TariffError) throw new DomainError('VALIDATION', `${field} must be >= 0 with at most 4 decimals, got ${String(value)}`);
    throw err;
  }
}

/** PUT body -> billing.putTariff params (billing checks the windows, pile types, date and zone). */
export function putTariffParams(tariffId: string, body: Static<typeof TariffBody>): PutTariffParams {
  const rules: TariffRule[] = body.rules.map((r, i) => {
    const where = `body/rules/${i}`;
    if ((r.serviceFeePerKwh === undefined) === (r.serviceFeeRate === undefined)) {
      throw new DomainError('VALIDATION', `${where}: give exactly one of serviceFeePerKwh and serviceFeeRate`);
    }
    return {
      pileType: r.pileType,
      windows: r.timeRates.map((w, j) => ({
        tier: TIER_OF_TIME_TYPE[w.timeType] as TariffWindow['tier'],
        from: w.startTime,
        to: w.endTime,
        price: toUnits(w.rate, `${where}/timeRates/${j}/rate`),
      })),
      ...(r.serviceFeePerKwh !== undefined
        ? { servicePrice: toUnits(r.serviceFeePerKwh, `${where}/serviceFeePerKwh`) }
        : { serviceRate: toUnits(r.serviceFeeRate as number, `${where}/serviceFeeRate`) }),
    };
  });
  return {
    tariffId,
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    version: { effectiveDate: body.effectiveDate, ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}), rules },
  };
}

export function tariffRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];

  api.get('/admin/tariffs', {
    onRequest: deps.admin,
    schema: { tags: [TAG], summary: 'every tariff with all its versions (isActive: the one in force now)', security, response: responses(Type.Array(TariffView)) },
  }, async (req) => {
    const { tariffs } = await deps.call(req, 'billing.tariffs', {});
    const ctx = deps.fmt();
    return ok(tariffs.map((doc) => tariffView(doc, ctx)));
  });

  api.put('/admin/tariffs/:tariffId', {
    onRequest: deps.admin,
    schema: {
      tags: [TAG],
      summary: 'create a tariff or add a version (same effectiveDate: that version replaced); older versions keep pricing older sessions',
      security,
      params: TariffPath,
      body: TariffBody,
      response: responses(TariffView),
    },
  }, async (req) => {
    const doc = await deps.call(req, 'billing.putTariff', putTariffParams(req.params.tariffId, req.body));
    return ok(tariffView(doc, deps.fmt()));
  });

  api.get('/config/billing-rules', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: '获取计费规则: the tariffs in force now and to come, per pile type (004:949)', security, response: responses(BillingRules) },
  }, async (req) => {
    const { tariffs } = await deps.call(req, 'billing.tariffs', {});
    return ok(billingRulesView(tariffs, deps.fmt()));
  });
}

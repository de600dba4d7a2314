// Document 004's walk-up vocabulary, pure: port ids, a create's chargingParameter in exact units, the detailed
// start's chargingParam, and the figures of an order (the running session's while it charges). No I/O.
import type { OrderView, WalkUpSessionView } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

/** The highest port number a pile has (the contracts' PortNo). */
export const MAX_PORT_NO = 64;
/** What a walk-up limit may be at most: 100 000 yuan, 30 days, 100 000 kWh (far above any session). */
export const MAX_LIMIT_FEN = 10_000_000;
export const MAX_LIMIT_DURATION_MS = 30 * 24 * 3_600_000;
const WMS_PER_KWH = 3_600_000_000;
export const MAX_LIMIT_ENERGY_WMS = 100_000 * WMS_PER_KWH;

/**
 * `value` × 10^decimals as an exact integer, read from the number's shortest decimal form (what the client wrote:
 * 0.07 stays "0.07"); more decimals than `decimals`, a negative or an exponent form is VALIDATION.
 */
export function scaledInteger(value: number, decimals: number, field: string, unit: string): number {
  const match = Number.isFinite(value) ? /^(\d+)(?:\.(\d+))?$/.exec(String(value)) : null;
  if (!match || (match[2] ?? '').length > decimals) {
    throw new DomainError('VALIDATION', `${field} must be a positive number of ${unit} with at most ${decimals} decimals`);
  }
  const scaled = Number(match[1]! + (match[2] ?? '').padEnd(decimals, '0'));
  if (!Number.isSafeInteger(scaled)) throw new DomainError('VALIDATION', `${field} is too large`);
  return scaled;
}

/** A port id as 004 names it: `<pileId>-<portNo>`, or (in a create) a bare port number. */
export interface PortRef {
  pileId?: string;
  portNo: number;
}

/** `<pileId>-<portNo>` (the pile id may hold '-' itself: the port number is after the last one); undefined when
 * it is no port id (a route answers 2003: no such port). */
export function parsePortId(portId: string): Required<PortRef> | undefined {
  const match = /^(.+)-(\d{1,2})$/.exec(portId);
  if (!match) return undefined;
  const portNo = Number(match[2]);
  return portNo >= 1 && portNo <= MAX_PORT_NO ? { pileId: match[1]!, portNo } : undefined;
}

/** A create's portId: a bare port number, or `<pileId>-<portNo>`; undefined when it is neither. */
export function parseCreatePortId(portId: string): PortRef | undefined {
  if (/^\d{1,2}$/.test(portId)) {
    const portNo = Number(portId);
    return portNo >= 1 && portNo <= MAX_PORT_NO ? { portNo } : undefined;
  }
  return parsePortId(portId);
}

export interface WalkUpLimit {
  limitFeeFen?: number;
  limitDurationMs?: number;
  limitEnergyWms?: number;
}

/**
 * `POST /api/order/create`'s chargingParameter (004:575) in the order's exact units: mode 2 yuan (-> fen, at most 2
 * decimals), 3 minutes (-> ms, at most 4 decimals: whole milliseconds), 4 kWh (-> Wms, at most 6 decimals: whole
 * Wms); mode 1 takes none (a parameter sent with it is ignored, as 004's example always sends one). Mode 5
 * ("other") has no meaning on the platform: VALIDATION, as a parameter missing or 0 for modes 2-4.
 */
export function createLimit(chargingMode: number, chargingParameter: number | undefined): WalkUpLimit {
  if (chargingMode === 1) return {};
  if (chargingMode === 5) throw new DomainError('VALIDATION', 'chargingMode 5 (other) is not offered: use 1 until full, 2 amount, 3 time or 4 energy');
  if (chargingParameter === undefined) throw new DomainError('VALIDATION', `chargingMode ${chargingMode} needs chargingParameter`);
  const positive = (n: number, max: number, field: string) => {
    if (n <= 0) throw new DomainError('VALIDATION', `${field} must be more than 0`);
    if (n > max) throw new DomainError('VALIDATION', `${field} is too large`);
    return n;
  };
  switch (chargingMode) {
    case 2:
      return { limitFeeFen: positive(scaledInteger(chargingParameter, 2, 'chargingParameter', 'yuan'), MAX_LIMIT_FEN, 'chargingParameter') };
    case 3:
      // minutes × 10^4 × 6 = ms
      return { limitDurationMs: positive(scaledInteger(chargingParameter, 4, 'chargingParameter', 'minutes') * 6, MAX_LIMIT_DURATION_MS, 'chargingParameter') };
    case 4:
      // kWh × 10^6 × 3600 = Wms
      return { limitEnergyWms: positive(scaledInteger(chargingParameter, 6, 'chargingParameter', 'kWh') * 3600, MAX_LIMIT_ENERGY_WMS, 'chargingParameter') };
    default:
      throw new DomainError('VALIDATION', `chargingMode must be 1 to 4, got ${chargingMode}`);
  }
}

/** An order's running figures: the walk-up session's while it charges (live from the port's meter), else the
 * order's own (what its bills came to). */
export interface OrderFigures {
  energyWms: number;
  totalFeeFen: number;
  serviceFeeFen: number;
  durationMs: number;
  powerW: number | null;
  voltageV: number;
  currentA: number;
}

/** Charging time of a queue order: every session, the running one up to now. */
function chargingMsOf(order: OrderView, nowMs: number): number {
  const running = order.sessions.filter((s) => s.endedAt === undefined).reduce((sum, s) => sum + Math.max(0, nowMs - s.startedAt), 0);
  return order.chargingMs + running;
}

export function orderFigures(order: OrderView, session: WalkUpSessionView | undefined, nowMs: number): OrderFigures {
  // the session's figures until the order service has billed it (the bill then is the truth)
  if (session && (order.state === 'charging' || order.billIds.length === 0)) {
    return {
      energyWms: session.energyWms,
      totalFeeFen: session.totalFeeFen,
      serviceFeeFen: session.serviceFeeFen,
      durationMs: session.durationMs,
      powerW: session.state === 'charging' || session.state === 'stopping' ? session.powerW : 0,
      voltageV: session.state === 'charging' ? session.voltageV : 0,
      currentA: session.state === 'charging' ? session.currentA : 0,
    };
  }
  return {
    energyWms: order.requestChargedWms,
    totalFeeFen: order.requestFeeFen,
    serviceFeeFen: order.serviceFeeFen,
    durationMs: chargingMsOf(order, nowMs),
    powerW: order.powerW ?? null,
    voltageV: 0,
    currentA: 0,
  };
}

/**
 * `POST /api/ChargingPile/{deviceAddress}/start`'s chargingParam (004:1189: seconds / 0.01 yuan / 0.01 kWh) for a
 * card start: only an energy target reaches the pile (chargingMode 4: 0.01 kWh = 36 000 000 Wms); 1 needs none.
 * An amount or a time on a card session is not something the pile is told (the card owner's balance pays the
 * session): VALIDATION rather than a limit silently dropped.
 */
export function cardStartTarget(chargingMode: number | undefined, chargingParam: number | undefined): { targetEnergyWms?: number } {
  if (chargingMode === undefined || chargingMode === 1) return {};
  if (chargingMode === 4) {
    if (chargingParam === undefined || chargingParam <= 0) throw new DomainError('VALIDATION', 'chargingMode 4 needs chargingParam (0.01 kWh), more than 0');
    return { targetEnergyWms: chargingParam * 36_000_000 };
  }
  throw new DomainError('VALIDATION', 'a card start takes chargingMode 1 (until full) or 4 (energy, chargingParam in 0.01 kWh)');
}

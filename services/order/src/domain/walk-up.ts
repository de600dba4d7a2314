// The rules of a walk-up order's create (document 004 `POST /api/order/create`, DESIGN.md "Walk-up stations,
// sessions and payments"), pure: the limit matches the mode, Alipay is refused, a balance-paid order needs enough
// balance, a WeChat-paid one prepays the limit (or 10 yuan), and what makes two creates the same request.
import type { ChargeMode, CreateWalkUpParams } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';

/** What a balance-paid order needs without a fee limit, and what a WeChat one prepays: 10 yuan. */
export const MIN_BALANCE_FEN = 1000;

type Limits = Pick<CreateWalkUpParams, 'chargingMode' | 'limitFeeFen' | 'limitDurationMs' | 'limitEnergyWms'>;

const LIMIT_OF_MODE = { 1: undefined, 2: 'limitFeeFen', 3: 'limitDurationMs', 4: 'limitEnergyWms' } as const;
const LIMIT_FIELDS = ['limitFeeFen', 'limitDurationMs', 'limitEnergyWms'] as const;

/** Exactly the limit of the mode (2 fee, 3 duration, 4 energy; 1 none), positive. */
export function checkLimit(p: Limits): void {
  const wanted = LIMIT_OF_MODE[p.chargingMode];
  for (const field of LIMIT_FIELDS) {
    const value = p[field];
    if (field === wanted) {
      if (value === undefined || value <= 0) throw new DomainError('VALIDATION', `chargingMode ${p.chargingMode} needs ${field} > 0`);
    } else if (value !== undefined) {
      throw new DomainError('VALIDATION', `${field} does not go with chargingMode ${p.chargingMode}`);
    }
  }
}

/** Alipay (2) is refused unless configured (it is not). */
export function checkPaymentMethod(p: Pick<CreateWalkUpParams, 'paymentMethod'>): void {
  if (p.paymentMethod === 2) throw new DomainError('VALIDATION', 'Alipay is not configured', { resource: 'payment' });
}

/** The balance a balance-paid order needs at create, and the prepay of a WeChat one: the fee limit, or 10 yuan. */
export function requiredFen(p: Limits): number {
  return p.chargingMode === 2 && p.limitFeeFen !== undefined ? p.limitFeeFen : MIN_BALANCE_FEN;
}

/** A balance-paid (3) order is refused when the balance is below what it needs. */
export function checkBalance(p: Limits & Pick<CreateWalkUpParams, 'paymentMethod'>, balanceFen: number): void {
  if (p.paymentMethod !== 3) return;
  const needed = requiredFen(p);
  if (balanceFen < needed) {
    throw new DomainError('CONFLICT', `the balance (${balanceFen} fen) is below the ${needed} fen this order needs`, { resource: 'payment', reason: 'BALANCE_LOW' });
  }
}

/** What a create asks for, as one comparable string (a retry with the same key must ask the same). */
export function walkUpFingerprint(p: CreateWalkUpParams): string {
  return JSON.stringify(['walk-up', p.pileId, p.portNo, p.chargingMode, p.limitFeeFen ?? null, p.limitDurationMs ?? null, p.limitEnergyWms ?? null, p.paymentMethod]);
}

/** 004's pile type: 1 DC fast, 2 AC slow. */
export function modeOfPileType(pileType: 1 | 2): ChargeMode {
  return pileType === 1 ? 'fast' : 'slow';
}

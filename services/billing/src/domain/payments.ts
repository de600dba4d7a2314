// Payments' rules, pure: the id a payment gets (WeChat's out_trade_no), what may be paid how, and the ledger cause
// of a paid recharge (so a notify delivered twice credits once).
import { randomBytes } from 'node:crypto';
import type { CreateRechargeParams } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { causeOf } from './ledger.js';

/** `R` + base-36 time + 16 hex: 6–32 of WeChat's out_trade_no characters, unique without a counter. */
export function newPaymentId(nowMs: number, prefix: 'R' | 'P' = 'R'): string {
  return `${prefix}${nowMs.toString(36)}${randomBytes(8).toString('hex')}`;
}

/** The requestIds of a plain recharge may not take the causes of paid recharges. */
const PAID_RECHARGE = 'wechat-pay:';

/** The ledger cause of a paid recharge: one credit per payment, whatever is redelivered. */
export function paidRechargeCause(paymentId: string): string {
  return causeOf('recharge', `${PAID_RECHARGE}${paymentId}`);
}

/** A plain recharge's requestId must not look like a paid recharge's (it would take its credit). */
export function checkPlainRequestId(requestId: string): void {
  if (requestId.startsWith(PAID_RECHARGE)) throw new DomainError('VALIDATION', `a recharge's request id may not start with ${PAID_RECHARGE}`);
}

/** Only WeChat Pay is configured for recharges (DESIGN.md: Alipay is refused unless configured). */
export function checkRechargeMethod(method: CreateRechargeParams['method']): void {
  if (method !== 1) throw new DomainError('VALIDATION', 'Alipay is not configured: pay with WeChat (paymentMethod 1)', { resource: 'payment' });
}

// How walk-up bills are paid, pure (DESIGN.md "Walk-up stations, sessions and payments"): a session paid by WeChat
// (its prepay credited the balance) or by the balance is debited from the balance when its bill is made, never
// below zero; the rest stays owed on the order until paid (`billing.payOrder`). Each debit has its own ledger cause,
// so whatever is redelivered a bill is debited once and an order payment is made once.
import type { Bill, PaymentMethod } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { causeOf } from './ledger.js';

/** Whether a session (or its bill) is paid from the balance: WeChat prepays into it, and the balance itself. Queue
 * stations' sessions carry no method and are not charged to a balance. */
export function chargesBalance(x: { paymentMethod?: PaymentMethod | undefined }): boolean {
  return x.paymentMethod === 1 || x.paymentMethod === 3;
}

/** The ledger cause of a bill's debit: one per bill. */
export function billCause(billId: string): string {
  return causeOf('bill', billId);
}

/** The ledger cause of an order payment (`id`: the request of a balance payment, the paymentId of a WeChat one). */
export function orderPayCause(orderId: string, id: string): string {
  return `${orderPayPrefix(orderId)}${id}`;
}

/** What every order payment cause of `orderId` begins with. */
export function orderPayPrefix(orderId: string): string {
  return `order-pay:${orderId}:`;
}

/** A bill's debit: as much of its total as the balance holds, never below zero. */
export function billDebitFen(balanceFen: number, totalFen: number): number {
  return Math.max(0, Math.min(balanceFen, totalFen));
}

/** The bill as made: what was debited and what stays owed. */
export function settledBill(bill: Bill, debitedFen: number): Bill {
  return { ...bill, paidFen: debitedFen, owedFen: bill.totalFen - debitedFen };
}

export interface OrderPaymentFigures {
  billedFen: number;
  paidFen: number;
  owedFen: number;
}

/**
 * What an order's settled bills came to, what was paid (the bills' debits plus the order payments) and what is still
 * owed. Only bills charged to a balance count: a queue station's bill is not paid through the platform.
 */
export function orderPaymentOf(bills: Pick<Bill, 'totalFen' | 'paidFen' | 'owedFen' | 'paymentMethod'>[], orderPaidFen: number): OrderPaymentFigures {
  const charged = bills.filter((b) => chargesBalance(b) && b.owedFen !== undefined);
  const billedFen = charged.reduce((a, b) => a + b.totalFen, 0);
  const owedByBills = charged.reduce((a, b) => a + (b.owedFen ?? 0), 0);
  // an order payment never pays more than was owed when it was made, so this stays >= 0 (clamped all the same);
  // each bill's paid + owed is its total, so paid is the bills' debits plus the order payments
  const owedFen = Math.max(0, owedByBills - orderPaidFen);
  return { billedFen, paidFen: billedFen - owedFen, owedFen };
}

/** A balance payment of an order: the whole owed amount, or nothing (refused). */
export function orderBalancePayment(owedFen: number, balanceFen: number): number {
  if (owedFen <= 0) throw new DomainError('CONFLICT', 'nothing owed on this order', { resource: 'payment' });
  if (balanceFen < owedFen) {
    throw new DomainError('CONFLICT', `the balance (${balanceFen} fen) does not cover the ${owedFen} fen owed`, { resource: 'payment', reason: 'BALANCE_LOW' });
  }
  return owedFen;
}

/** What a WeChat order payment's notify debits once its amount is credited: at most what is still owed. */
export function orderProviderPayment(paidInFen: number, owedFen: number, balanceFen: number): number {
  return Math.max(0, Math.min(paidInFen, owedFen, balanceFen));
}

/** Alipay is refused unless configured (it is not). */
export function checkOrderPayMethod(method: PaymentMethod): void {
  if (method === 2) throw new DomainError('VALIDATION', 'Alipay is not configured: pay with WeChat (1) or the balance (3)', { resource: 'payment' });
}

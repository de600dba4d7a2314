// Paying walk-up bills, pure: which sessions are charged to the balance, how much a bill's debit takes (never below
// zero), what an order owes after its bills and its payments, and when a payment of what is owed is refused.
import t from 'tap';
import type { Bill } from '@voltq/contracts';
import {
  billCause,
  billDebitFen,
  chargesBalance,
  checkOrderPayMethod,
  orderBalancePayment,
  orderPayCause,
  orderPaymentOf,
  orderPayPrefix,
  orderProviderPayment,
  settledBill,
} from '../../src/domain/settlement.js';

const refused = (code: string, details?: object) => ({ name: 'DomainError', code, ...(details ? { details } : {}) });

t.test('WeChat-paid and balance-paid sessions are charged to the balance; queue sessions and Alipay are not', async (t) => {
  t.equal(chargesBalance({ paymentMethod: 1 }), true);
  t.equal(chargesBalance({ paymentMethod: 3 }), true);
  t.equal(chargesBalance({ paymentMethod: 2 }), false);
  t.equal(chargesBalance({}), false, 'a queue station session');
});

t.test("a bill's debit is its total when the balance covers it, else the whole balance, never below zero", async (t) => {
  t.equal(billDebitFen(5000, 1234), 1234);
  t.equal(billDebitFen(1234, 1234), 1234);
  t.equal(billDebitFen(800, 1234), 800);
  t.equal(billDebitFen(0, 1234), 0);
  t.equal(billDebitFen(-50, 1234), 0, 'a balance somehow below zero is not taken further down');
  t.equal(billDebitFen(5000, 0), 0, 'a 0 kWh session takes nothing');
  const bill = { billId: 'b1', totalFen: 1234 } as Bill;
  t.match(settledBill(bill, 800), { paidFen: 800, owedFen: 434 });
});

t.test('causes: one per bill, one per order payment, all of an order under one prefix', async (t) => {
  t.equal(billCause('b1'), 'bill:b1');
  t.equal(orderPayCause('o1', 'r1'), 'order-pay:o1:r1');
  t.ok(orderPayCause('o1', 'P123').startsWith(orderPayPrefix('o1')));
  t.notOk(orderPayCause('o10', 'r1').startsWith(orderPayPrefix('o1')), "o10's payments are not o1's");
});

t.test('what an order owes: its settled balance-charged bills less what it paid since', async (t) => {
  const bills = [
    { totalFen: 1000, paidFen: 1000, owedFen: 0, paymentMethod: 3 as const },
    { totalFen: 600, paidFen: 200, owedFen: 400, paymentMethod: 3 as const },
    { totalFen: 300, paymentMethod: 3 as const }, // being settled: not billed yet
    { totalFen: 900 }, // a queue station bill: not paid through the platform
  ];
  t.same(orderPaymentOf(bills, 0), { billedFen: 1600, paidFen: 1200, owedFen: 400 });
  t.same(orderPaymentOf(bills, 400), { billedFen: 1600, paidFen: 1600, owedFen: 0 }, 'paid in full afterwards');
  t.same(orderPaymentOf([], 0), { billedFen: 0, paidFen: 0, owedFen: 0 });
});

t.test('a balance payment pays all that is owed or is refused: nothing owed, balance too low', async (t) => {
  t.equal(orderBalancePayment(400, 400), 400);
  t.equal(orderBalancePayment(400, 5000), 400);
  t.throws(() => orderBalancePayment(400, 399), refused('CONFLICT', { resource: 'payment', reason: 'BALANCE_LOW' }));
  t.throws(() => orderBalancePayment(0, 5000), refused('CONFLICT', { resource: 'payment' }), 'nothing owed');
  // a WeChat payment debits what it brought in, at most what is still owed (never twice)
  t.equal(orderProviderPayment(400, 400, 400), 400);
  t.equal(orderProviderPayment(400, 0, 400), 0, 'paid meanwhile by the balance: the money stays in the balance');
  t.equal(orderProviderPayment(400, 150, 1000), 150);
  t.throws(() => checkOrderPayMethod(2), refused('VALIDATION', { resource: 'payment' }));
  t.doesNotThrow(() => checkOrderPayMethod(1));
  t.doesNotThrow(() => checkOrderPayMethod(3));
});

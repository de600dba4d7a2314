// A walk-up create's rules without servers: the limit matches the mode, Alipay is refused, a balance-paid order
// needs its fee limit or 10 yuan, the prepay amount, and what makes a retry the same request.
import t from 'tap';
import type { CreateWalkUpParams } from '@voltq/contracts';
import { checkBalance, checkLimit, checkPaymentMethod, modeOfPileType, requiredFen, walkUpFingerprint } from '../../src/domain/walk-up.js';

const refused = (code: string, details?: object) => ({ name: 'DomainError', code, ...(details ? { details } : {}) });
const req = (over: Partial<CreateWalkUpParams> = {}): CreateWalkUpParams => ({ userId: 'u', pileId: 'walk-P1', portNo: 1, chargingMode: 1, paymentMethod: 3, ...over });

t.test('the limit matches the mode: 2 fee, 3 duration, 4 energy, 1 none', async (t) => {
  t.doesNotThrow(() => checkLimit(req()));
  t.doesNotThrow(() => checkLimit(req({ chargingMode: 2, limitFeeFen: 2000 })));
  t.doesNotThrow(() => checkLimit(req({ chargingMode: 3, limitDurationMs: 3_600_000 })));
  t.doesNotThrow(() => checkLimit(req({ chargingMode: 4, limitEnergyWms: 36_000_000 })));
  t.throws(() => checkLimit(req({ chargingMode: 2 })), refused('VALIDATION'), 'mode 2 without a fee');
  t.throws(() => checkLimit(req({ chargingMode: 2, limitFeeFen: 0 })), refused('VALIDATION'), 'a fee limit of 0');
  t.throws(() => checkLimit(req({ chargingMode: 3, limitFeeFen: 2000 })), refused('VALIDATION'), 'the wrong limit');
  t.throws(() => checkLimit(req({ chargingMode: 1, limitEnergyWms: 1 })), refused('VALIDATION'), 'a limit on "until full"');
  t.throws(() => checkLimit(req({ chargingMode: 4, limitEnergyWms: 10, limitDurationMs: 10 })), refused('VALIDATION'), 'two limits');
});

t.test('payment: Alipay refused; the balance must cover the fee limit (mode 2) or 10 yuan', async (t) => {
  t.throws(() => checkPaymentMethod(req({ paymentMethod: 2 })), refused('VALIDATION', { resource: 'payment' }));
  t.doesNotThrow(() => checkPaymentMethod(req({ paymentMethod: 1 })));
  t.equal(requiredFen(req({ chargingMode: 2, limitFeeFen: 2500 })), 2500);
  t.equal(requiredFen(req({ chargingMode: 4, limitEnergyWms: 10 })), 1000);
  t.doesNotThrow(() => checkBalance(req(), 1000));
  t.throws(() => checkBalance(req(), 999), refused('CONFLICT', { reason: 'BALANCE_LOW' }));
  t.doesNotThrow(() => checkBalance(req({ chargingMode: 2, limitFeeFen: 2500 }), 2500));
  t.throws(() => checkBalance(req({ chargingMode: 2, limitFeeFen: 2500 }), 2499), refused('CONFLICT', { reason: 'BALANCE_LOW' }));
  t.doesNotThrow(() => checkBalance(req({ paymentMethod: 1 }), 0), 'WeChat prepays: no balance needed');
});

t.test('a retry is the same request only with the same pile, port, mode, limit and payment', async (t) => {
  t.equal(walkUpFingerprint(req()), walkUpFingerprint(req({ idempotencyKey: 'k' })));
  t.not(walkUpFingerprint(req()), walkUpFingerprint(req({ portNo: 2 })));
  t.not(walkUpFingerprint(req()), walkUpFingerprint(req({ paymentMethod: 1 })));
  t.equal(modeOfPileType(1), 'fast');
  t.equal(modeOfPileType(2), 'slow');
});

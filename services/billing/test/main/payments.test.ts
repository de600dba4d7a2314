// Recharges through WeChat Pay against the local sandbox: billing asks for a code_url, the sandbox's signed notify
// (through a stand-in of the gateway's notify route) credits the balance once even when delivered twice; a forged
// or tampered notify changes nothing; Alipay and a missing merchant are refused.
import t from 'tap';
import { DEV_MERCHANT } from '@voltq/wechat-sandbox';
import { parseXml, signed, toXml } from '@voltq/wechat-v2';
import { startHarness } from '../support/harness.js';
import { startBillingWithWechat } from '../support/wechat.js';

const { h, sandbox } = await startBillingWithWechat(t, []);
const balance = async (userId: string) => (await h.bus.call('billing.balance', { userId })).balanceFen;
const codeOf = (codeUrl: string) => /pr=([\w-]+)$/.exec(codeUrl)![1]!;
async function scanAndPay(codeUrl: string, twice = false) {
  const res = await fetch(`${sandbox.url}/sandbox/pay/${codeOf(codeUrl)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twice }) });
  return res.json() as Promise<{ notifies: { delivered: boolean }[] }>;
}

t.test('a recharge: a code to scan, paid, its notify delivered twice, credited once', async (t) => {
  const payment = await h.bus.call('billing.createRecharge', { userId: '5', amountFen: 5000, method: 1, requestId: 'r-1' });
  t.match(payment, { userId: '5', purpose: 'recharge', method: 1, amountFen: 5000, status: 1, codeUrl: /^weixin:\/\/wxpay\/bizpayurl\?pr=/ });
  t.match(payment.paymentId, /^[0-9A-Za-z]{6,32}$/, "a valid out_trade_no");
  t.same(await h.bus.call('billing.createRecharge', { userId: '5', amountFen: 5000, method: 1, requestId: 'r-1' }), payment, 'the same request: the same payment');
  t.equal(sandbox.orders().length, 1, 'one order at WeChat');
  await t.rejects(h.bus.call('billing.createRecharge', { userId: '5', amountFen: 6000, method: 1, requestId: 'r-1' }), { code: 'CONFLICT' }, 'the key with another amount');
  t.equal(await balance('5'), 0, 'nothing credited before it is paid');

  const paid = await scanAndPay(payment.codeUrl!, true);
  t.same(paid.notifies.map((n) => n.delivered), [true, true], 'both notifies answered SUCCESS');
  t.equal(await balance('5'), 5000, 'credited once');
  const ledger = await h.bus.call('billing.ledger', { userId: '5', pageNum: 1, pageSize: 10 });
  t.equal(ledger.total, 1, 'one entry');
  t.match(await h.bus.call('billing.payment', { paymentId: payment.paymentId, userId: '5' }), { status: 2, transactionId: String, paidAt: Number });
  await t.rejects(h.bus.call('billing.payment', { paymentId: payment.paymentId, userId: '6' }), { code: 'NOT_FOUND' }, "another user's payment");
});

t.test('forged and tampered notifies change nothing', async (t) => {
  const payment = await h.bus.call('billing.createRecharge', { userId: '7', amountFen: 1000, method: 1, requestId: 'r-2' });
  const genuine = {
    return_code: 'SUCCESS', result_code: 'SUCCESS', appid: DEV_MERCHANT.appid, mch_id: DEV_MERCHANT.mchId, nonce_str: 'n0nce',
    out_trade_no: payment.paymentId, transaction_id: '4200000000000000001', total_fee: '1000', fee_type: 'CNY', openid: 'o-x', time_end: '20261203120000',
  };
  const cases: [string, string][] = [
    ['signed with another key', toXml(signed(genuine, 'not-the-merchant-key-000000000000'))],
    ['no signature', toXml(genuine)],
    ['a bigger amount, re-signed by a forger', toXml(signed({ ...genuine, total_fee: '100000' }, 'forger-key-0000000000000000000000'))],
    ['signed, then the amount changed', (() => { const x = parseXml(toXml(signed(genuine, DEV_MERCHANT.key))); return toXml({ ...x, total_fee: '999' }); })()],
    ['another merchant', toXml(signed({ ...genuine, mch_id: '1900000999' }, DEV_MERCHANT.key))],
    ['an order that is not ours', toXml(signed({ ...genuine, out_trade_no: 'Rnot-ours-000' }, DEV_MERCHANT.key))],
    ['not XML', 'hello'],
  ];
  for (const [name, xml] of cases) {
    const answer = await h.bus.call('billing.wechatNotify', { xml });
    t.equal(answer.credited, false, name);
    t.match(parseXml(answer.answerXml), { return_code: 'FAIL' }, `${name}: FAIL, WeChat keeps asking`);
  }
  t.equal(await balance('7'), 0);
  t.match(await h.bus.call('billing.payment', { paymentId: payment.paymentId }), { status: 1 }, 'still being paid');
  // the genuine one, signed with the merchant key, credits
  const ok = await h.bus.call('billing.wechatNotify', { xml: toXml(signed(genuine, DEV_MERCHANT.key)) });
  t.same([ok.credited, parseXml(ok.answerXml).return_code], [true, 'SUCCESS']);
  t.equal(await balance('7'), 1000);
});

t.test('refusals: Alipay, a plain recharge taking a paid one\'s cause, no merchant', async (t) => {
  await t.rejects(h.bus.call('billing.createRecharge', { userId: '8', amountFen: 100, method: 2, requestId: 'r-3' }), { code: 'VALIDATION', details: { resource: 'payment' } });
  await t.rejects(h.bus.call('billing.recharge', { userId: '8', amountFen: 100, requestId: 'wechat-pay:R1' }), { code: 'VALIDATION' });
  t.equal(await balance('8'), 0);
  const bare = await startHarness([]);
  t.teardown(() => bare.close());
  await t.rejects(bare.bus.call('billing.createRecharge', { userId: '8', amountFen: 100, method: 1, requestId: 'r-4' }), { code: 'UNAVAILABLE', details: { resource: 'payment' } }, 'WeChat Pay not configured');
});

// Billing's WeChat Pay v2 rules against the sandbox provider: what billing sends is taken, what the sandbox sends
// (answers, the pay notify) is read and verified, and forged or mismatched messages are refused with their reason.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { nonceStr, parseXml, sign, signed, toXml, verifySignature } from '@voltq/wechat-v2';
import { startWechatSandbox } from '@voltq/wechat-sandbox';
import {
  buildOrderQuery,
  buildUnifiedOrder,
  notifyAnswerFor,
  notifyFailAnswer,
  notifySuccessAnswer,
  peekNotifyOrder,
  readOrderQueryAnswer,
  readUnifiedOrderAnswer,
  verifyNotify,
  type WechatMerchant,
} from '../../src/domain/wechat.js';

const merchant: WechatMerchant = { appid: 'wx1111222233334444', mchId: '1900000109', key: 'k'.repeat(32) };
const account = { ...merchant, appSecret: 'app-secret' };

/** The gateway's notify_url, standing in: keeps what WeChat posts, answers SUCCESS. */
async function notifyCatcher() {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(notifySuccessAnswer());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/payment/wechat/notify`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const post = async (url: string, body: string) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body })).text();

t.test('building the unified order', async (t) => {
  const xml = buildUnifiedOrder(merchant, { outTradeNo: 'R202612030001', totalFeeFen: 5000, body: 'VoltQ 充值', notifyUrl: 'https://voltq.example/api/payment/wechat/notify' }, 'abc123');
  const p = parseXml(xml);
  t.ok(verifySignature(p, merchant.key), 'signed with the merchant key');
  t.same(
    { appid: p.appid, mch_id: p.mch_id, out_trade_no: p.out_trade_no, total_fee: p.total_fee, trade_type: p.trade_type, sign_type: p.sign_type, nonce_str: p.nonce_str, product_id: p.product_id },
    { appid: merchant.appid, mch_id: merchant.mchId, out_trade_no: 'R202612030001', total_fee: '5000', trade_type: 'NATIVE', sign_type: 'HMAC-SHA256', nonce_str: 'abc123', product_id: 'R202612030001' },
  );
  const input = { outTradeNo: 'R202612030001', totalFeeFen: 5000, body: 'x', notifyUrl: 'https://a.example/n' };
  t.throws(() => buildUnifiedOrder(merchant, { ...input, totalFeeFen: 50.5 }, 'n'), 'fen are whole');
  t.throws(() => buildUnifiedOrder(merchant, { ...input, totalFeeFen: 0 }, 'n'));
  t.throws(() => buildUnifiedOrder(merchant, { ...input, outTradeNo: 'R1' }, 'n'), 'out_trade_no too short');
  t.throws(() => buildUnifiedOrder(merchant, { ...input, notifyUrl: 'https://a.example/n?order=1' }, 'n'), 'notify_url with a query');
  t.throws(() => buildUnifiedOrder(merchant, { ...input, body: '' }, 'n'));
});

t.test('against the sandbox', async (t) => {
  const sb = await startWechatSandbox({ merchants: [account], notifyRetryDelaysMs: [], notifyTimeoutMs: 1000 });
  t.teardown(() => sb.close());
  const catcher = await notifyCatcher();
  t.teardown(catcher.close);

  const order = { outTradeNo: 'R202612030002', totalFeeFen: 1999, body: 'VoltQ 充电', notifyUrl: catcher.url, attach: 'user-7' };
  const answer = readUnifiedOrderAnswer(merchant, await post(`${sb.url}/pay/unifiedorder`, buildUnifiedOrder(merchant, order, nonceStr())));
  if (!answer.ok) throw new Error(`unified order refused: ${answer.reason} ${answer.message}`);
  t.match(answer.codeUrl, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);

  const unpaid = readOrderQueryAnswer(merchant, await post(`${sb.url}/pay/orderquery`, buildOrderQuery(merchant, { outTradeNo: order.outTradeNo }, nonceStr())));
  t.match(unpaid, { ok: true, tradeState: 'NOTPAY', totalFeeFen: 1999 });

  const code = new URL(answer.codeUrl).searchParams.get('pr')!;
  t.equal((await fetch(`${sb.url}/sandbox/pay/${code}`, { method: 'POST' })).status, 200);
  t.equal(catcher.bodies.length, 1);
  const notify = catcher.bodies[0]!;

  t.test('a sandbox-made notify is accepted', async (t) => {
    t.equal(peekNotifyOrder(notify), order.outTradeNo);
    const v = verifyNotify(merchant, notify, { outTradeNo: order.outTradeNo, totalFeeFen: 1999 });
    if (!v.ok) throw new Error(`refused: ${v.reason} ${v.message}`);
    t.equal(v.notify.outTradeNo, order.outTradeNo);
    t.equal(v.notify.totalFeeFen, 1999);
    t.equal(v.notify.attach, 'user-7');
    t.match(v.notify.transactionId, /^\d{28}$/);
    t.equal(notifyAnswerFor(v), notifySuccessAnswer());
    const paid = readOrderQueryAnswer(merchant, await post(`${sb.url}/pay/orderquery`, buildOrderQuery(merchant, { transactionId: v.notify.transactionId }, nonceStr())));
    t.match(paid, { ok: true, tradeState: 'SUCCESS', outTradeNo: order.outTradeNo, transactionId: v.notify.transactionId });
  });

  t.test('forged, mismatched or failed notifies are refused with their reason', async (t) => {
    const p = { ...parseXml(notify) };
    const expected = { outTradeNo: order.outTradeNo, totalFeeFen: 1999 };
    const resign = (q: Record<string, string>, key = merchant.key) => toXml({ ...q, sign: sign(q, key) });

    t.match(verifyNotify(merchant, toXml({ ...p, total_fee: '1' }), { ...expected, totalFeeFen: 1 }), { ok: false, reason: 'bad-signature' }, 'amount changed, old sign');
    t.match(verifyNotify(merchant, resign({ ...p, total_fee: '1' }, 'f'.repeat(32)), { ...expected, totalFeeFen: 1 }), { ok: false, reason: 'bad-signature' }, 're-signed with another key');
    t.match(verifyNotify(merchant, notify, { ...expected, totalFeeFen: 2000 }), { ok: false, reason: 'wrong-amount' }, 'not the order amount');
    t.match(verifyNotify(merchant, resign({ ...p, fee_type: 'USD' }), expected), { ok: false, reason: 'wrong-amount' }, 'not CNY');
    t.match(verifyNotify(merchant, notify, { ...expected, outTradeNo: 'R202612039999' }), { ok: false, reason: 'wrong-order' });
    t.match(verifyNotify({ ...merchant, mchId: '1900000999' }, notify, expected), { ok: false, reason: 'wrong-merchant' }, 'another mch_id, same key');
    t.match(verifyNotify({ ...merchant, appid: 'wx9999888877776666' }, notify, expected), { ok: false, reason: 'wrong-merchant' }, 'another appid');
    t.match(verifyNotify(merchant, resign({ ...p, result_code: 'FAIL', err_code: 'NOTENOUGH' }), expected), { ok: false, reason: 'not-paid', errCode: 'NOTENOUGH' });
    const { transaction_id: _tx, ...noTx } = p;
    t.match(verifyNotify(merchant, resign(noTx), expected), { ok: false, reason: 'bad-notify' });
    t.match(verifyNotify(merchant, toXml({ return_code: 'FAIL', return_msg: 'x' }), expected), { ok: false, reason: 'return-fail' });
    t.match(verifyNotify(merchant, 'hello', expected), { ok: false, reason: 'bad-xml' });
    t.match(verifyNotify(merchant, `<!DOCTYPE xml [<!ENTITY e "x">]>${notify}`, expected), { ok: false, reason: 'bad-xml' });
    t.equal(peekNotifyOrder('hello'), undefined);

    t.equal(notifyAnswerFor(verifyNotify(merchant, notify, { ...expected, totalFeeFen: 1 })), notifyFailAnswer('wrong-amount'));
    t.equal(notifyAnswerFor(verifyNotify(merchant, resign({ ...p, result_code: 'FAIL' }), expected)), notifySuccessAnswer(), 'a failed payment is acknowledged');
  });

  t.test('answers that are refusals', async (t) => {
    const wrongKey = { ...merchant, key: 'w'.repeat(32) };
    const refused = readUnifiedOrderAnswer(merchant, await post(`${sb.url}/pay/unifiedorder`, buildUnifiedOrder(wrongKey, { ...order, outTradeNo: 'R202612030003' }, nonceStr())));
    t.match(refused, { ok: false, reason: 'return-fail', errCode: 'SIGNERROR' }, 'the sandbox refused our signature');
    const paidAgain = readUnifiedOrderAnswer(merchant, await post(`${sb.url}/pay/unifiedorder`, buildUnifiedOrder(merchant, order, nonceStr())));
    t.match(paidAgain, { ok: false, reason: 'result-fail', errCode: 'ORDERPAID' });
    const none = readOrderQueryAnswer(merchant, await post(`${sb.url}/pay/orderquery`, buildOrderQuery(merchant, { outTradeNo: 'R202612030404' }, nonceStr())));
    t.match(none, { ok: false, reason: 'result-fail', errCode: 'ORDERNOTEXIST' });

    const fake = { return_code: 'SUCCESS', appid: merchant.appid, mch_id: merchant.mchId, nonce_str: 'n', result_code: 'SUCCESS', code_url: 'weixin://wxpay/bizpayurl?pr=evil', prepay_id: 'p' };
    t.match(readUnifiedOrderAnswer(merchant, toXml({ ...fake, sign: sign(fake, 'e'.repeat(32)) })), { ok: false, reason: 'bad-signature' }, 'an answer not signed with our key');
    const { code_url: _c, ...noCode } = fake;
    t.match(readUnifiedOrderAnswer(merchant, toXml(signed(noCode, merchant.key))), { ok: false, reason: 'bad-answer' });
  });
});

t.test('notify answers are the v2 merchant answers', async (t) => {
  t.equal(notifySuccessAnswer(), '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>');
  t.same({ ...parseXml(notifyFailAnswer('bad-signature')) }, { return_code: 'FAIL', return_msg: 'bad-signature' });
});

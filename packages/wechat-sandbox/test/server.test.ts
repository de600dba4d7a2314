// The sandbox over HTTP, driven as a merchant would drive WeChat Pay v2: signed XML in, signed XML out, the pay
// notify caught by a notify_url server of the test's own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { nonceStr, parseXml, signed, toXml, verifySignature, type V2Params } from '@voltq/wechat-v2';
import { startWechatSandbox, type WechatSandbox } from '../src/server.js';
import { payPageUrl } from '../src/pay.js';
import type { MerchantAccount } from '../src/accounts.js';

const A: MerchantAccount = { appid: 'wxaaaaaaaaaaaaaaaa', mchId: '1900000001', key: 'a'.repeat(32), appSecret: 'secret-a' };
const B: MerchantAccount = { appid: 'wxbbbbbbbbbbbbbbbb', mchId: '1900000002', key: 'b'.repeat(32), appSecret: 'secret-b', unionid: true };

/** A notify_url of the test's own: answers each notify with `answer(n)` (n counts from 1) and keeps the bodies. */
async function merchantServer(answer: (n: number) => { status: number; body: string }) {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      const a = answer(bodies.length);
      res.writeHead(a.status, { 'content-type': 'text/xml' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/payment/wechat/notify`;
  return { url, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}
const SUCCESS = { status: 200, body: toXml({ return_code: 'SUCCESS', return_msg: 'OK' }) };
const FAIL = { status: 200, body: toXml({ return_code: 'FAIL', return_msg: 'not now' }) };

async function post(url: string, body: string, contentType = 'text/xml'): Promise<Record<string, string>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (res.status !== 200) throw new Error(`v2 answers are HTTP 200, not ${res.status}`);
  return { ...parseXml(await res.text()) };
}
/** A v2 call signed with `key` (default: the merchant's own). */
function call(sb: WechatSandbox, path: string, m: MerchantAccount, params: V2Params, key = m.key) {
  return post(`${sb.url}${path}`, toXml(signed({ appid: m.appid, mch_id: m.mchId, nonce_str: nonceStr(), ...params }, key)));
}
const order = (outTradeNo: string, notifyUrl: string, totalFee = 1234) => ({
  body: 'VoltQ-充电',
  out_trade_no: outTradeNo,
  total_fee: totalFee,
  spbill_create_ip: '127.0.0.1',
  notify_url: notifyUrl,
  trade_type: 'NATIVE',
  product_id: outTradeNo,
});
const codeOf = (codeUrl: string) => new URL(codeUrl).searchParams.get('pr')!;

t.test('sandbox', async (t) => {
  const sb = await startWechatSandbox({ merchants: [A, B], notifyRetryDelaysMs: [20, 20], notifyTimeoutMs: 1000 });
  t.teardown(() => sb.close());

  t.test('unified order: a signed answer with a code_url; the same order again is the same code_url', async (t) => {
    const a = await call(sb, '/pay/unifiedorder', A, order('VQ20260001', 'http://127.0.0.1:1/notify'));
    t.equal(a.return_code, 'SUCCESS');
    t.equal(a.result_code, 'SUCCESS');
    t.equal(a.trade_type, 'NATIVE');
    t.match(a.code_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=[\w-]+$/);
    t.ok(a.prepay_id);
    t.equal(a.mch_id, A.mchId);
    t.equal(a.appid, A.appid);
    t.ok(verifySignature(a, A.key), 'the answer is signed with the merchant key');
    const again = await call(sb, '/pay/unifiedorder', A, order('VQ20260001', 'http://127.0.0.1:1/notify'));
    t.equal(again.code_url, a.code_url);
    const other = await call(sb, '/pay/unifiedorder', A, order('VQ20260001', 'http://127.0.0.1:1/notify', 999));
    t.equal(other.result_code, 'FAIL');
    t.equal(other.err_code, 'OUT_TRADE_NO_USED', 'the same number with another amount is refused');
  });

  t.test('refusals: signature, merchant, appid, parameters, XML', async (t) => {
    const forged = await call(sb, '/pay/unifiedorder', A, order('VQ20260002', 'http://127.0.0.1:1/n'), 'x'.repeat(32));
    t.equal(forged.return_code, 'FAIL');
    t.equal(forged.err_code, 'SIGNERROR');
    t.notOk(forged.sign, 'a protocol failure is not signed');
    const q = await call(sb, '/pay/orderquery', A, { out_trade_no: 'VQ20260002' });
    t.equal(q.err_code, 'ORDERNOTEXIST', 'a refused order was not taken');

    const tampered = parseXml(toXml(signed({ appid: A.appid, mch_id: A.mchId, nonce_str: 'n1', ...order('VQ20260003', 'http://127.0.0.1:1/n') }, A.key)));
    tampered.total_fee = '1';
    t.equal((await post(`${sb.url}/pay/unifiedorder`, toXml(tampered))).err_code, 'SIGNERROR', 'an amount changed after signing');

    const unknown = await call(sb, '/pay/unifiedorder', { ...A, mchId: '1999999999' }, order('VQ20260004', 'http://127.0.0.1:1/n'));
    t.equal(unknown.return_code, 'FAIL');
    t.equal(unknown.err_code, 'MCHID_NOT_EXIST');

    const wrongApp = await call(sb, '/pay/unifiedorder', { ...A, appid: B.appid }, order('VQ20260005', 'http://127.0.0.1:1/n'));
    t.equal(wrongApp.return_code, 'SUCCESS');
    t.equal(wrongApp.result_code, 'FAIL');
    t.equal(wrongApp.err_code, 'APPID_MCHID_NOT_MATCH');
    t.ok(verifySignature(wrongApp, A.key));

    const { product_id: _p, ...noProduct } = order('VQ20260006', 'http://127.0.0.1:1/n');
    t.equal((await call(sb, '/pay/unifiedorder', A, noProduct)).err_code, 'LACK_PARAMS', 'NATIVE needs product_id');
    t.equal((await call(sb, '/pay/unifiedorder', A, { ...order('VQ20260007', 'http://127.0.0.1:1/n'), total_fee: '12.5' })).err_code, 'INVALID_REQUEST');
    t.equal((await call(sb, '/pay/unifiedorder', A, order('VQ20260008', 'http://127.0.0.1:1/n?x=1'))).err_code, 'INVALID_REQUEST', 'notify_url without parameters');
    t.equal((await call(sb, '/pay/unifiedorder', A, { ...order('VQ20260009', 'http://127.0.0.1:1/n'), trade_type: 'JSAPI' })).err_code, 'INVALID_REQUEST');

    const doctype = await post(`${sb.url}/pay/unifiedorder`, '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><mch_id>&e;</mch_id></xml>');
    t.equal(doctype.err_code, 'XML_FORMAT_ERROR');
    t.equal((await post(`${sb.url}/pay/unifiedorder`, '')).err_code, 'POST_DATA_EMPTY');
    t.equal((await post(`${sb.url}/pay/unifiedorder`, '<xml></xml>', 'application/json')).err_code, 'XML_FORMAT_ERROR', 'XML sent as JSON');
    t.equal((await post(`${sb.url}/pay/orderquery`, `<xml><a><![CDATA[${'x'.repeat(70_000)}]]></a></xml>`)).return_code, 'FAIL', 'oversize body');
  });

  t.test('scan and pay: the order page, a correctly signed notify, orderquery SUCCESS', async (t) => {
    const merchant = await merchantServer(() => SUCCESS);
    t.teardown(merchant.close);
    const a = await call(sb, '/pay/unifiedorder', A, { ...order('VQ20260010', merchant.url, 2050), attach: 'order-17' });
    const code = codeOf(a.code_url!);

    t.equal(payPageUrl(sb.url, a.code_url!), `${sb.url}/sandbox/pay?code=${code}`);
    t.equal(payPageUrl(sb.url, 'https://example.com/'), undefined);
    const json = (await (await fetch(payPageUrl(sb.url, a.code_url!)!, { headers: { accept: 'application/json' } })).json()) as Record<string, unknown>;
    t.match(json, { out_trade_no: 'VQ20260010', total_fee: 2050, trade_state: 'NOTPAY' });
    const html = await (await fetch(`${sb.url}/sandbox/pay?code=${code}`)).text();
    t.match(html, '¥20.50');
    t.match(html, 'VQ20260010');
    const before = await call(sb, '/pay/orderquery', A, { out_trade_no: 'VQ20260010' });
    t.equal(before.trade_state, 'NOTPAY');
    t.notOk(before.transaction_id);

    const paid = (await (await fetch(`${sb.url}/sandbox/pay/${code}`, { method: 'POST' })).json()) as {
      transaction_id: string;
      notifies: { delivered: boolean; attempts: unknown[] }[];
    };
    t.equal(paid.notifies.length, 1);
    t.equal(paid.notifies[0]!.delivered, true);
    t.equal(merchant.bodies.length, 1);
    const n = parseXml(merchant.bodies[0]!);
    t.ok(verifySignature(n, A.key), 'the notify is signed with the merchant key');
    t.notOk(verifySignature(n, B.key));
    t.equal(n.sign_type, 'HMAC-SHA256');
    t.same(
      { return_code: n.return_code, result_code: n.result_code, appid: n.appid, mch_id: n.mch_id, out_trade_no: n.out_trade_no, total_fee: n.total_fee, attach: n.attach, trade_type: n.trade_type },
      { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: A.appid, mch_id: A.mchId, out_trade_no: 'VQ20260010', total_fee: '2050', attach: 'order-17', trade_type: 'NATIVE' },
    );
    t.equal(n.transaction_id, paid.transaction_id);
    t.match(n.time_end, /^\d{14}$/);
    t.match(n.openid, /^o[\w-]{27}$/);

    const after = await call(sb, '/pay/orderquery', A, { out_trade_no: 'VQ20260010' });
    t.equal(after.trade_state, 'SUCCESS');
    t.equal(after.transaction_id, paid.transaction_id);
    t.equal(after.total_fee, '2050');
    t.ok(verifySignature(after, A.key));
    t.equal((await call(sb, '/pay/orderquery', A, { transaction_id: paid.transaction_id })).out_trade_no, 'VQ20260010', 'by transaction_id');
    t.equal((await call(sb, '/pay/orderquery', B, { out_trade_no: 'VQ20260010' })).err_code, 'ORDERNOTEXIST', "another merchant does not see it");

    t.equal((await fetch(`${sb.url}/sandbox/pay/${code}`, { method: 'POST' })).status, 409, 'paid once only');
    t.equal((await call(sb, '/pay/unifiedorder', A, order('VQ20260010', merchant.url, 2050))).err_code, 'ORDERPAID');
    t.equal(merchant.bodies.length, 1);

    const resent = (await (await fetch(`${sb.url}/sandbox/pay/${code}/notify`, { method: 'POST' })).json()) as { notifies: { delivered: boolean }[] };
    t.equal(resent.notifies[0]!.delivered, true);
    t.equal(merchant.bodies.length, 2, 'a redelivery on request');
  });

  t.test('the notify is retried until the merchant answers SUCCESS, and given up after the last retry', async (t) => {
    const flaky = await merchantServer((n) => (n === 1 ? { status: 500, body: 'oops' } : n === 2 ? FAIL : SUCCESS));
    t.teardown(flaky.close);
    const a = await call(sb, '/pay/unifiedorder', A, order('VQ20260020', flaky.url));
    const r = (await (await fetch(`${sb.url}/sandbox/pay/${codeOf(a.code_url!)}`, { method: 'POST' })).json()) as {
      notifies: { delivered: boolean; attempts: { ok: boolean; status?: number; returnCode?: string }[] }[];
    };
    t.equal(r.notifies[0]!.delivered, true);
    t.same(r.notifies[0]!.attempts.map((x) => [x.status, x.returnCode ?? null, x.ok]), [[500, null, false], [200, 'FAIL', false], [200, 'SUCCESS', true]]);
    t.equal(flaky.bodies.length, 3);
    t.equal(new Set(flaky.bodies).size, 1, 'every retry is the same notify');

    const never = await merchantServer(() => FAIL);
    t.teardown(never.close);
    const b = await call(sb, '/pay/unifiedorder', A, order('VQ20260021', never.url));
    const r2 = (await (await fetch(`${sb.url}/sandbox/pay/${codeOf(b.code_url!)}`, { method: 'POST' })).json()) as { notifies: { delivered: boolean; attempts: unknown[] }[] };
    t.equal(r2.notifies[0]!.delivered, false);
    t.equal(never.bodies.length, 3, 'the first try and two retries');
  });

  t.test('the double-notify option sends the same notify twice', async (t) => {
    const merchant = await merchantServer(() => SUCCESS);
    t.teardown(merchant.close);
    const a = await call(sb, '/pay/unifiedorder', B, order('VQ20260030', merchant.url, 500));
    const res = await fetch(`${sb.url}/sandbox/pay/${codeOf(a.code_url!)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ twice: true, payer: 'bob' }),
    });
    const r = (await res.json()) as { notifies: { delivered: boolean }[] };
    t.same(r.notifies.map((n) => n.delivered), [true, true]);
    t.equal(merchant.bodies.length, 2);
    t.equal(merchant.bodies[0], merchant.bodies[1]);
    t.ok(verifySignature(parseXml(merchant.bodies[1]!), B.key));
  });

  t.test('the pay page form (browser): pays and says so', async (t) => {
    const merchant = await merchantServer(() => SUCCESS);
    t.teardown(merchant.close);
    const a = await call(sb, '/pay/unifiedorder', A, order('VQ20260040', merchant.url, 100));
    const res = await fetch(`${sb.url}/sandbox/pay/${codeOf(a.code_url!)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'twice=1',
    });
    t.match(await res.text(), 'Paid ¥1.00');
    t.equal(merchant.bodies.length, 2);
    t.equal((await fetch(`${sb.url}/sandbox/pay?code=nope`)).status, 404);
  });

  t.test('jscode2session: the js_code names the user', async (t) => {
    const login = async (q: Record<string, string>) =>
      (await (await fetch(`${sb.url}/sns/jscode2session?${new URLSearchParams({ grant_type: 'authorization_code', ...q })}`)).json()) as Record<string, unknown>;
    const alice = await login({ appid: A.appid, secret: A.appSecret, js_code: 'alice-code' });
    t.match(alice.openid, /^o[\w-]{27}$/);
    t.type(alice.session_key, 'string');
    t.notOk('unionid' in alice, 'no unionid unless the app has one');
    t.equal((await login({ appid: A.appid, secret: A.appSecret, js_code: 'alice-code' })).openid, alice.openid, 'same code, same user');
    t.not((await login({ appid: A.appid, secret: A.appSecret, js_code: 'bob-code' })).openid, alice.openid);
    const underB = await login({ appid: B.appid, secret: B.appSecret, js_code: 'alice-code' });
    t.not(underB.openid, alice.openid, 'an openid is per app');
    t.type(underB.unionid, 'string');
    t.same(await login({ appid: A.appid, secret: 'wrong', js_code: 'c' }), { errcode: 40125, errmsg: 'invalid appsecret' });
    t.equal((await login({ appid: 'wxnope', secret: A.appSecret, js_code: 'c' })).errcode, 40013);
    t.equal((await login({ appid: A.appid, secret: A.appSecret, js_code: 'invalid-1' })).errcode, 40029);
    t.equal((await login({ appid: A.appid, secret: A.appSecret })).errcode, 41008);
    t.equal((await login({ appid: A.appid, secret: A.appSecret, js_code: 'c', grant_type: 'password' })).errcode, 40002);
  });
});

t.test('singleUseCodes: a code works once', async (t) => {
  const sb = await startWechatSandbox({ merchants: [A], singleUseCodes: true });
  t.teardown(() => sb.close());
  const url = `${sb.url}/sns/jscode2session?appid=${A.appid}&secret=${A.appSecret}&js_code=once&grant_type=authorization_code`;
  t.type(((await (await fetch(url)).json()) as { openid?: string }).openid, 'string');
  t.same(await (await fetch(url)).json(), { errcode: 40163, errmsg: 'code been used' });
});

t.test('accounts are checked at start', async (t) => {
  await t.rejects(startWechatSandbox({ merchants: [] }));
  await t.rejects(startWechatSandbox({ merchants: [A, { ...B, mchId: A.mchId }] }));
  await t.rejects(startWechatSandbox({ merchants: [{ ...A, key: '' }] }));
});

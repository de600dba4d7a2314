// End to end (all services as processes, the local WeChat sandbox as WeChat): a mini-program user logs in through
// WeChat, recharges 50 yuan with WeChat Pay, "scans and pays" in the sandbox, whose notify reaches the gateway twice:
// the balance is credited once; a forged notify is refused and changes nothing. Document 004's payment routes.
import t from 'tap';
import { DEV_MERCHANT } from '@voltq/wechat-sandbox';
import { parseXml, signed, toXml } from '@voltq/wechat-v2';
import { startPlatform, type Platform } from '../../scripts/lib/platform.js';
import { testNamespace } from '../support/env.js';
import { removeNamespace } from '../support/cleanup.js';
import { eventually, GatewayClient } from '../support/gateway-client.js';

const namespace = testNamespace('e2epay');
let platform: Platform;
let api: GatewayClient;

t.before(async () => {
  platform = await startPlatform({ namespace, randomPorts: true, env: { VOLTQ_ADMIN_PASSWORD: 'e2e-admin-password-1', LOG_LEVEL: 'warn' } });
  api = new GatewayClient(platform.gatewayUrl);
});
t.teardown(async () => {
  await platform?.stop();
  await removeNamespace(namespace);
});

const notify = async (xml: string) => {
  const res = await fetch(`${platform.gatewayUrl}/api/payment/wechat/notify`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
  return { status: res.status, fields: parseXml(await res.text()) };
};

t.test('WeChat login, a 50 yuan recharge paid in the sandbox and notified twice: credited once', async (t) => {
  t.ok(platform.wechatSandboxUrl, 'the platform runs the sandbox');
  const login = await api.post('/api/user/wechat/login', { code: `e2e-${Date.now()}`, userInfo: { nickName: 'Wei' } });
  t.equal(login.body?.code, 0, `WeChat login: ${JSON.stringify(login.body)}`);
  const token = login.body.data.token as string;
  t.match(login.body.data, { openId: /^o/, balance: 0 });

  const recharge = await api.post('/api/payment/recharge', { amount: 50, paymentMethod: 1 }, token);
  t.equal(recharge.body?.code, 0, `recharge: ${JSON.stringify(recharge.body)}`);
  const { rechargeId, qrCodeUrl } = recharge.body.data as { rechargeId: string; qrCodeUrl: string };
  t.match(qrCodeUrl, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  t.match((await api.get(`/api/payment/${rechargeId}/status`, token)).body.data, { paymentId: rechargeId, paymentStatus: 1, amount: 50 });

  // the payer scans the code: the sandbox marks it paid and sends the signed notify to the gateway, twice
  const code = /pr=([\w-]+)$/.exec(qrCodeUrl)![1]!;
  const paid = await fetch(`${platform.wechatSandboxUrl}/sandbox/pay/${code}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twice: true }) });
  const delivery = (await paid.json()) as { notifies: { delivered: boolean }[] };
  t.same(delivery.notifies.map((n) => n.delivered), [true, true], 'the gateway answered both notifies SUCCESS');
  const info = await eventually(async () => {
    const res = await api.get('/api/user/info', token);
    return res.body?.data?.balance === 50 ? res : undefined;
  });
  t.equal(info.body.data.balance, 50, 'credited once, not twice');
  t.match((await api.get(`/api/payment/${rechargeId}/status`, token)).body.data, { paymentStatus: 2, transactionId: /\S/ });

  // a forger who knows the order but not the merchant key
  const forged = toXml(signed({
    return_code: 'SUCCESS', result_code: 'SUCCESS', appid: DEV_MERCHANT.appid, mch_id: DEV_MERCHANT.mchId, nonce_str: 'x1',
    out_trade_no: rechargeId, transaction_id: '4200000000000000099', total_fee: '5000', fee_type: 'CNY',
  }, 'a-key-that-is-not-the-merchants-key'));
  const refused = await notify(forged);
  t.equal(refused.fields.return_code, 'FAIL', 'the forged notify is refused');
  t.equal((await api.get('/api/user/info', token)).body.data.balance, 50, 'and changes nothing');
});

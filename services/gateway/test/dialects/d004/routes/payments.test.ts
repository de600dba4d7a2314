// Document 004's payments (004:759-866) against stand-in billing RPCs on the test's bus: the recharge (amount in
// yuan -> exact fen, Idempotency-Key), a payment's status, WeChat's XML notify passed through (and FAIL XML when
// billing fails), and the pay page's HTML with a QR code that a QR reader decodes to WeChat's code_url.
import t from 'tap';
import jsQRModule from 'jsqr';
import { rpcSchemas, type PaymentView, type RpcParams } from '@voltq/contracts';
import { DomainError, runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

// jsqr is CommonJS whose types declare a default export: take the function whichever way the loader hands it over
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as typeof jsQRModule.default;

const h = await startServiceHarness({ label: 'gw004p', busName: 'gateway-d004-payments-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);

// ---- stand-in billing: payments as billing keeps them ----
const payments = new Map<string, PaymentView>();
const asked = { createRecharge: [] as RpcParams<'billing.createRecharge'>[], payment: [] as RpcParams<'billing.payment'>[], notify: [] as string[] };
let seq = 0;
const byRequest = new Map<string, string>();
let codeUrlOf = (n: number) => `weixin://wxpay/bizpayurl?pr=Test${n}`;
let notifyFails = false;
await h.bus.serve('billing.createRecharge', async (p) => {
  asked.createRecharge.push(p);
  if (p.method === 2) throw new DomainError('VALIDATION', 'Alipay is not configured', { resource: 'payment' });
  const same = byRequest.get(`${p.userId}|${p.requestId}`);
  if (same) return payments.get(same)!;
  const n = ++seq;
  const view: PaymentView = { paymentId: `PAY${String(n).padStart(8, '0')}`, userId: p.userId, purpose: 'recharge', method: p.method, amountFen: p.amountFen, status: 0, codeUrl: codeUrlOf(n), createdAt: Date.now() };
  payments.set(view.paymentId, view);
  byRequest.set(`${p.userId}|${p.requestId}`, view.paymentId);
  return view;
});
await h.bus.serve('billing.payment', async (p) => {
  asked.payment.push(p);
  const view = payments.get(p.paymentId);
  if (!view || (p.userId !== undefined && view.userId !== p.userId)) throw new DomainError('NOT_FOUND', `payment ${p.paymentId} not found`, { resource: 'payment' });
  return view;
});
await h.bus.serve('billing.wechatNotify', async (p) => {
  asked.notify.push(p.xml);
  if (notifyFails) throw new DomainError('UNAVAILABLE', 'database down');
  return { answerXml: '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>', credited: true };
});

const gateway = h.add(await runService({ ...gatewayService, env: h.env(), exit: false }));
const http = gateway.ctx.http;
const register = async (username: string) => (await http.inject({ method: 'POST', url: '/api/user/register', payload: { username, password: 'pay-password' } })).json().data.token as string;
const [token, other] = [await register('payer004'), await register('other004')];
const subOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sub as string;
const recharge = async (payload: unknown, bearer = token, headers: Record<string, string> = {}) => {
  const res = await http.inject({ method: 'POST', url: '/api/payment/recharge', payload: payload as object, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers } });
  return { status: res.statusCode, body: res.json() };
};

t.test('a WeChat recharge: exact fen to billing, 004 fields back', async (t) => {
  const res = await recharge({ amount: 0.07, paymentMethod: 1 });
  t.equal(res.status, 200);
  const p = asked.createRecharge.at(-1)!;
  t.same({ userId: p.userId, amountFen: p.amountFen, method: p.method }, { userId: subOf(token), amountFen: 7, method: 1 }, '0.07 yuan is 7 fen exactly');
  t.ok(p.requestId.length > 0, 'a fresh request id');
  const made = payments.get(res.body.data.rechargeId)!;
  t.same(res.body, {
    code: 0, message: 'success',
    data: { rechargeId: made.paymentId, amount: 0.07, paymentMethod: 1, paymentUrl: `/api/payment/wechat/pay?paymentId=${encodeURIComponent(made.paymentId)}`, qrCodeUrl: made.codeUrl },
  });
  await recharge({ amount: 100000, paymentMethod: 1 });
  t.equal(asked.createRecharge.at(-1)?.amountFen, 10_000_000, 'the maximum, 100 000 yuan');
  await recharge({ amount: 12.5, paymentMethod: 1 });
  t.not(asked.createRecharge.at(-1)?.requestId, p.requestId, 'without a key, every request is a new recharge');
});

t.test('Idempotency-Key: the same key is the same recharge', async (t) => {
  const a = await recharge({ amount: 20, paymentMethod: 1 }, token, { 'idempotency-key': 'key-1' });
  const b = await recharge({ amount: 20, paymentMethod: 1 }, token, { 'idempotency-key': 'key-1' });
  t.equal(asked.createRecharge.at(-1)?.requestId, 'key-1');
  t.equal(a.body.data.rechargeId, b.body.data.rechargeId);
  t.match(await recharge({ amount: 20, paymentMethod: 1 }, token, { 'idempotency-key': 'x'.repeat(129) }), { status: 400, body: { code: 9001 } }, 'too long a key');
});

t.test('refusals', async (t) => {
  const before = asked.createRecharge.length;
  t.match(await recharge({ amount: 10, paymentMethod: 1 }, ''), { status: 401, body: { code: 9002 } });
  for (const amount of [0, -1, 10.001, 100000.01, '10']) {
    t.match(await recharge({ amount, paymentMethod: 1 }), { status: 400, body: { code: 9001 } }, `amount ${JSON.stringify(amount)}`);
  }
  t.match(await recharge({ amount: 10, paymentMethod: 3 }), { status: 400, body: { code: 9001 } }, 'the balance cannot recharge the balance');
  t.match(await recharge({ amount: 10, paymentMethod: 1, extra: 1 }), { status: 400, body: { code: 9001 } }, 'an unknown field');
  t.equal(asked.createRecharge.length, before, 'billing was not asked');
  t.match(await recharge({ amount: 10, paymentMethod: 2 }), { status: 400, body: { code: 4001 } }, "billing's refusal of Alipay");
});

t.test("a payment's status: the caller's own only", async (t) => {
  const id = (await recharge({ amount: 30.5, paymentMethod: 1 })).body.data.rechargeId as string;
  const status = async (bearer: string) => {
    const res = await http.inject({ url: `/api/payment/${encodeURIComponent(id)}/status`, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    return { status: res.statusCode, body: res.json() };
  };
  t.same((await status(token)).body.data, { paymentId: id, orderId: '', paymentStatus: 0, paymentMethod: 1, amount: 30.5, paymentTime: null, transactionId: '' });
  t.equal(asked.payment.at(-1)?.userId, subOf(token));
  const paidAt = Date.UTC(2025, 0, 2, 2, 3, 4);
  payments.set(id, { ...payments.get(id)!, status: 2, paidAt, transactionId: '4200001234' });
  const paid = (await status(token)).body.data;
  t.match(paid, { paymentStatus: 2, transactionId: '4200001234' });
  t.equal(Date.parse(paid.paymentTime), paidAt, 'paymentTime is the moment paid (ISO)');
  t.match(await status(other), { status: 404 }, "another user's payment");
  t.match(await status(''), { status: 401, body: { code: 9002 } });
});

t.test('WeChat notify: the XML through unchanged, billing answers in XML', async (t) => {
  const xml = '<xml><appid><![CDATA[wx1]]></appid><out_trade_no><![CDATA[PAY1]]></out_trade_no><result_code><![CDATA[SUCCESS]]></result_code><sign><![CDATA[ABC]]></sign></xml>';
  for (const type of ['text/xml', 'application/xml; charset=utf-8']) {
    const res = await http.inject({ method: 'POST', url: '/api/payment/wechat/notify', payload: xml, headers: { 'content-type': type } });
    t.equal(res.statusCode, 200, type);
    t.match(res.headers['content-type'], /^application\/xml/);
    t.equal(res.body, '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>', "billing's answer as it is");
    t.equal(asked.notify.at(-1), xml, 'the XML as WeChat sent it');
  }
  notifyFails = true;
  t.teardown(() => { notifyFails = false; });
  const failed = await http.inject({ method: 'POST', url: '/api/payment/wechat/notify', payload: xml, headers: { 'content-type': 'text/xml' } });
  t.equal(failed.statusCode, 500, 'WeChat retries');
  t.match(failed.headers['content-type'], /^application\/xml/);
  t.match(failed.body, /^<xml><return_code><!\[CDATA\[FAIL\]\]><\/return_code><return_msg><!\[CDATA\[[^\]]+\]\]><\/return_msg><\/xml>$/);
  t.notMatch(failed.body, /database down/, 'no internal detail');
  notifyFails = false;
  const count = asked.notify.length;
  const json = await http.inject({ method: 'POST', url: '/api/payment/wechat/notify', payload: { xml }, headers: { 'content-type': 'application/json' } });
  t.equal(json.statusCode, 415);
  t.match(json.body, /FAIL/, 'a FAIL XML, not the JSON envelope');
  const big = await http.inject({ method: 'POST', url: '/api/payment/wechat/notify', payload: `<xml>${'a'.repeat(70 * 1024)}</xml>`, headers: { 'content-type': 'text/xml' } });
  t.equal(big.statusCode, 413);
  t.match(big.body, /FAIL/);
  t.equal(asked.notify.length, count, 'neither reached billing');
});

/** Draws qrcode's SVG (one stroked path of horizontal runs, one unit a module) into RGBA pixels for a QR reader. */
function rasterize(svg: string, scale = 4): { data: Uint8ClampedArray; width: number; height: number } {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  const d = /<path stroke="[^"]+" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  const width = size * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  let x = 0;
  let y = 0;
  for (const [, cmd, args] of d.matchAll(/([MmHh])([^MmHh]*)/g)) {
    const nums = (args ?? '').trim().split(/[\s,]+/).filter(Boolean).map(Number);
    if (cmd === 'M') [x, y] = [nums[0]!, nums[1]!];
    else if (cmd === 'm') [x, y] = [x + nums[0]!, y + nums[1]!];
    else {
      const to = cmd === 'h' ? x + nums[0]! : nums[0]!;
      for (let px = x * scale; px < to * scale; px++) for (let py = Math.floor(y) * scale; py < (Math.floor(y) + 1) * scale; py++) data.fill(0, (py * width + px) * 4, (py * width + px) * 4 + 3);
      x = to;
    }
  }
  return { data, width, height: width };
}

t.test('the pay page: amount, status and a QR code of the code_url', async (t) => {
  const res0 = await recharge({ amount: 88.8, paymentMethod: 1 });
  const id = res0.body.data.rechargeId as string;
  const codeUrl = res0.body.data.qrCodeUrl as string;
  const open = (query: string, headers: Record<string, string> = {}) => http.inject({ url: `/api/payment/wechat/pay?${query}`, headers });
  const byQuery = await open(`paymentId=${encodeURIComponent(id)}&token=${token}`);
  t.equal(byQuery.statusCode, 200);
  t.equal(byQuery.headers['content-type'], 'text/html; charset=utf-8');
  t.match(byQuery.body, '88.80', 'the amount in yuan');
  t.match(byQuery.body, '待支付');
  const svg = /<svg[\s\S]*?<\/svg>/.exec(byQuery.body)?.[0];
  t.ok(svg, 'an inline SVG');
  const decoded = jsQR(...(Object.values(rasterize(svg!)) as [Uint8ClampedArray, number, number]));
  t.equal(decoded?.data, codeUrl, 'a QR reader reads the code_url from it');
  const byHeader = await open(`paymentId=${encodeURIComponent(id)}`, { authorization: `Bearer ${token}` });
  t.equal(byHeader.statusCode, 200, 'the token as a header');

  const refused = await open(`paymentId=${encodeURIComponent(id)}&token=${other}`);
  t.equal(refused.statusCode, 404, "another user's payment");
  t.match(refused.headers['content-type'], /^text\/html/);
  t.notMatch(refused.body, '88.80');
  const noToken = await open(`paymentId=${encodeURIComponent(id)}`);
  t.equal(noToken.statusCode, 401);
  t.match(noToken.headers['content-type'], /^text\/html/);

  payments.set(id, { ...payments.get(id)!, status: 2, paidAt: Date.now(), transactionId: '42' });
  const paid = await open(`paymentId=${encodeURIComponent(id)}&token=${token}`);
  t.match(paid.body, '已支付');
  t.notMatch(paid.body, '<svg', 'no QR code once paid');
});

t.test('the pay page escapes what it shows', async (t) => {
  codeUrlOf = () => 'weixin://wxpay/bizpayurl?pr=<script>alert(1)</script>&"x"';
  t.teardown(() => { codeUrlOf = (n) => `weixin://wxpay/bizpayurl?pr=Test${n}`; });
  const id = (await recharge({ amount: 1, paymentMethod: 1 })).body.data.rechargeId as string;
  const res = await http.inject({ url: `/api/payment/wechat/pay?paymentId=${encodeURIComponent(id)}&token=${token}` });
  t.equal(res.statusCode, 200);
  t.notMatch(res.body, '<script', 'no markup from the code_url');
  t.match(res.body, '&#60;script&#62;alert(1)&#60;/script&#62;&#38;&#34;x&#34;', 'shown as text');
  t.match(res.body, '<svg');
});

t.test("the OpenAPI document lists the four routes under 004's tag", async (t) => {
  const spec = (await http.inject({ url: '/docs/json' })).json();
  for (const [method, path] of [['post', '/api/payment/recharge'], ['get', '/api/payment/{id}/status'], ['post', '/api/payment/wechat/notify'], ['get', '/api/payment/wechat/pay']] as const) {
    t.same(spec.paths[path]?.[method]?.tags, ['004'], `${method.toUpperCase()} ${path}`);
  }
});

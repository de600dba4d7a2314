// The sandbox as an HTTP server: the v2 pay API and jscode2session with WeChat's paths and formats, plus the
// "phone" that scans a code_url and pays (the /sandbox/ pages). State lives in memory, per server.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { MAX_XML_BYTES } from '@voltq/wechat-v2';
import { checkAccounts, sandboxOpenid, type MerchantAccount } from './accounts.js';
import { deliverNotify, type NotifyDelivery } from './notify.js';
import { codeUrl, notifyXml, OrderBook, orderQuery, unifiedOrder, type PayContext, type SandboxOrder } from './pay.js';
import { jscode2session } from './sns.js';

export interface SandboxOptions {
  merchants: readonly MerchantAccount[];
  /** 0 (default): any free port. */
  port?: number;
  host?: string;
  /** Waits before each retry of a notify the merchant did not take (default 200, 1000, 3000 ms). */
  notifyRetryDelaysMs?: readonly number[];
  /** How long one notify attempt waits for the merchant's answer (default 3000 ms). */
  notifyTimeoutMs?: number;
  /** Refuse a js_code the second time (40163), as WeChat does (default false: a code names a user, see README). */
  singleUseCodes?: boolean;
  /** Log each call on stdout. */
  log?: boolean;
}

export interface WechatSandbox {
  /** http://host:port: both WECHAT_PAY_BASE_URL and WECHAT_API_BASE_URL. */
  url: string;
  close: () => Promise<void>;
  /** The orders taken so far (for tests and the console). */
  orders: () => SandboxOrder[];
}

interface PayRequest {
  /** Send the same notify a second time once the first was taken (WeChat may redeliver). */
  twice?: boolean;
  /** The payer (a name, see sandboxOpenid); default "sandbox-payer". */
  payer?: string;
}

interface PayResult {
  out_trade_no: string;
  transaction_id: string;
  total_fee: number;
  notifies: NotifyDelivery[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

function orderView(o: SandboxOrder) {
  return {
    mch_id: o.mchId,
    appid: o.appid,
    out_trade_no: o.outTradeNo,
    body: o.body,
    total_fee: o.totalFee,
    trade_state: o.state,
    code_url: codeUrl(o.code),
    notify_url: o.notifyUrl,
    ...(o.transactionId ? { transaction_id: o.transactionId, time_end: o.timeEnd, openid: o.openid } : {}),
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

function orderPage(o: SandboxOrder): string {
  const rows = [
    ['Merchant', `${o.mchId} (${o.appid})`],
    ['Item', o.body],
    ['Amount', `¥${yuan(o.totalFee)}`],
    ['Order', o.outTradeNo],
    ['State', o.state],
    ...(o.transactionId ? [['Transaction', o.transactionId]] : []),
  ];
  const table = `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join('')}</table>`;
  const form =
    o.state === 'NOTPAY'
      ? `<form method="post" action="/sandbox/pay/${encodeURIComponent(o.code)}"><label><input type="checkbox" name="twice" value="1"> send the notify twice</label> <button type="submit">Pay ¥${yuan(o.totalFee)}</button></form>`
      : '<p>Paid.</p>';
  return page('WeChat Pay sandbox', `<h1>WeChat Pay (sandbox)</h1>${table}${form}`);
}

/** The sandbox's routes on a fresh fastify instance (not listening). */
export function buildSandbox(opts: SandboxOptions): { app: FastifyInstance; orders: OrderBook } {
  checkAccounts(opts.merchants);
  const merchants = new Map(opts.merchants.map((m) => [m.mchId, m]));
  const apps = new Map(opts.merchants.map((m) => [m.appid, m]));
  const orders = new OrderBook();
  const ctx: PayContext = { merchants, orders, now: Date.now };
  const sns = { apps, singleUseCodes: opts.singleUseCodes ?? false, usedCodes: new Set<string>() };
  const delivery = { retryDelaysMs: opts.notifyRetryDelaysMs ?? [200, 1000, 3000], timeoutMs: opts.notifyTimeoutMs ?? 3000 };

  const app = Fastify({ logger: opts.log ?? false, bodyLimit: MAX_XML_BYTES });
  // v2 bodies are XML whatever the content type says; everything but JSON is read as text.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (req.url.startsWith('/pay/')) {
      const code = status >= 400 && status < 500 ? 'XML_FORMAT_ERROR' : 'SYSTEMERROR';
      return reply.status(200).type('text/xml').send(`<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${code}]]></return_msg><result_code><![CDATA[FAIL]]></result_code><err_code><![CDATA[${code}]]></err_code></xml>`);
    }
    return reply.status(status).send({ error: (err as Error).message });
  });

  const xml = (reply: FastifyReply, text: string) => reply.type('text/xml; charset=utf-8').send(text);
  const text = (body: unknown) => (typeof body === 'string' ? body : '');
  app.post('/pay/unifiedorder', async (req, reply) => xml(reply, unifiedOrder(ctx, text(req.body))));
  app.post('/pay/orderquery', async (req, reply) => xml(reply, orderQuery(ctx, text(req.body))));
  app.get('/sns/jscode2session', async (req) => jscode2session(sns, req.query as Record<string, string>));

  const find = (code: string | undefined) => (code ? orders.byCodeOf(code) : undefined);
  const wantsJson = (accept: string | undefined) => (accept ?? '').includes('application/json');

  app.get('/sandbox/pay', async (req, reply) => {
    const o = find((req.query as { code?: string }).code);
    if (wantsJson(req.headers.accept)) return o ? orderView(o) : reply.status(404).send({ error: 'no order with this code' });
    if (!o) return reply.status(404).type('text/html').send(page('Not found', '<p>No order with this code.</p>'));
    return reply.type('text/html; charset=utf-8').send(orderPage(o));
  });

  const readPayRequest = (body: unknown): PayRequest => {
    if (body && typeof body === 'object') return body as PayRequest;
    const form = new URLSearchParams(text(body));
    return { twice: ['1', 'true', 'on'].includes(form.get('twice') ?? ''), ...(form.get('payer') ? { payer: form.get('payer')! } : {}) };
  };

  const deliverAll = async (m: MerchantAccount, o: SandboxOrder, times: number): Promise<NotifyDelivery[]> => {
    const out: NotifyDelivery[] = [];
    const message = notifyXml(m, o);
    for (let i = 0; i < times; i++) out.push(await deliverNotify(o.notifyUrl, message, delivery));
    return out;
  };
  const result = (o: SandboxOrder, notifies: NotifyDelivery[]): PayResult => ({
    out_trade_no: o.outTradeNo,
    transaction_id: o.transactionId!,
    total_fee: o.totalFee,
    notifies,
  });
  const answerPaid = (reply: FastifyReply, isForm: boolean, o: SandboxOrder, r: PayResult) => {
    if (!isForm) return reply.send(r);
    const delivered = r.notifies.every((n) => n.delivered);
    return reply.type('text/html; charset=utf-8').send(page('Paid', `<h1>Paid ¥${yuan(o.totalFee)}</h1><p>Transaction ${escapeHtml(o.transactionId!)}</p><p>Notify ${delivered ? 'taken by the merchant' : 'NOT taken by the merchant'}.</p>`));
  };

  // The payer confirms: the order is paid, then the notify goes to notify_url (answer after it was delivered or gave up).
  app.post<{ Params: { code: string } }>('/sandbox/pay/:code', async (req, reply) => {
    const o = find(req.params.code);
    if (!o) return reply.status(404).send({ error: 'no order with this code' });
    if (o.state !== 'NOTPAY') return reply.status(409).send({ error: 'ORDERPAID', ...orderView(o) });
    const ask = readPayRequest(req.body);
    orders.markPaid(o, sandboxOpenid(o.appid, ask.payer ?? 'sandbox-payer'), Date.now());
    const r = result(o, await deliverAll(merchants.get(o.mchId)!, o, ask.twice ? 2 : 1));
    return answerPaid(reply, typeof req.body === 'string', o, r);
  });

  // Send a paid order's notify again (WeChat's redelivery).
  app.post<{ Params: { code: string } }>('/sandbox/pay/:code/notify', async (req, reply) => {
    const o = find(req.params.code);
    if (!o) return reply.status(404).send({ error: 'no order with this code' });
    if (o.state !== 'SUCCESS') return reply.status(409).send({ error: 'ORDERNOTPAID' });
    return result(o, await deliverAll(merchants.get(o.mchId)!, o, 1));
  });

  app.get('/sandbox/orders', async () => orders.all().map(orderView));

  return { app, orders };
}

/** Starts the sandbox on `port` (0: any free one); `url` is its base URL for both WeChat base URLs. */
export async function startWechatSandbox(opts: SandboxOptions): Promise<WechatSandbox> {
  const { app, orders } = buildSandbox(opts);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close(), orders: () => orders.all() };
}

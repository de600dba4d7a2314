// Document 004's payments (004:759-866), the recharge through WeChat Pay: start a recharge (billing answers WeChat's
// NATIVE code_url), its status, WeChat's notify (raw XML in, billing's XML answer out: never the JSON envelope)
// and the page a browser opens to pay (HTML with the code_url as an inline SVG QR code). Billing verifies the
// notify and credits the balance once; the gateway only carries the XML.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import QRCode from 'qrcode';
import { RECHARGE_MAX_FEN, type PaymentStatus, type PaymentView } from '@voltq/contracts';
import { isDomainError } from '@voltq/kit';
import { formatYuan } from '@voltq/tariff';
import { principal, QUERY_TOKEN_PLACE, type Api, type TokenPlace } from '../../../core/context.js';
import { toDialectError } from '../../../core/errors.js';
import { fenFromYuan } from '../../../core/parse.js';
import { EdgeError } from '../../../edge.js';
import { iso, yuan } from '../../../core/units.js';
import { TAG, TOKEN_PLACE, type RouteDeps } from '../context.js';
import { ok } from '../envelope.js';
import { Closed, responses } from '../schemas.js';

/** WeChat's notify is a small XML document: anything above 64 KiB is not one (billing takes at most 65 536 characters). */
export const NOTIFY_BODY_LIMIT_BYTES = 64 * 1024;
const XML_TYPES = ['text/xml', 'application/xml'];

const PaymentIdText = Type.String({ minLength: 1, maxLength: 64, description: 'the payment id (rechargeId)' });
const Yuan = Type.Number({ description: 'yuan, two decimals' });
const Method = Type.Integer({ description: '1 WeChat Pay, 2 Alipay, 3 the balance' });

/** 004:824-829. */
export const RechargeBody = Closed({
  amount: Type.Number({ exclusiveMinimum: 0, maximum: RECHARGE_MAX_FEN / 100, description: 'yuan, more than 0, at most two decimals' }),
  paymentMethod: Type.Unsafe<1 | 2>({ type: 'integer', enum: [1, 2], description: '1 WeChat Pay, 2 Alipay (refused with 4001 unless configured)' }),
});
/** The caller's idempotency key: the same key again answers the same recharge (absent: every request is a new one). */
const RechargeHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$', description: 'at most 128 visible ASCII characters' })),
});
/** 004:836-842. */
export const RechargeView004 = Type.Object({
  rechargeId: Type.String(),
  amount: Yuan,
  paymentMethod: Method,
  paymentUrl: Type.String({ description: "root-relative: this gateway's /api/payment/wechat/pay?paymentId=<id> (send the token as a header or ?token=)" }),
  qrCodeUrl: Type.String({ description: "WeChat's NATIVE code_url to render as a QR code ('' when the method has none)" }),
});
export const PaymentIdPath = Closed({ id: PaymentIdText });
/** 004:801-809. */
export const PaymentStatus004 = Type.Object({
  paymentId: Type.String(),
  orderId: Type.String({ description: "'' for a recharge" }),
  paymentStatus: Type.Integer({ description: '0 not paid, 1 paying, 2 paid, 3 failed, 4 refunded' }),
  paymentMethod: Method,
  amount: Yuan,
  paymentTime: Type.Union([Type.String({ description: 'ISO 8601 with offset' }), Type.Null()]),
  transactionId: Type.String({ description: "WeChat's transaction_id ('' until paid)" }),
});
/** 004:859-862; `token`: a browser opening the page cannot send a header. */
export const PayPageQuery = Closed({
  paymentId: PaymentIdText,
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'the token, when no Authorization header can be sent' })),
});

/** The pay page reads the token from `Authorization: Bearer` or, for a browser, the query parameter `token`. */
const PAGE_TOKEN_PLACE: TokenPlace = {
  read: (req) => TOKEN_PLACE.read(req) ?? QUERY_TOKEN_PLACE.read(req),
  missing: 'missing token: send Authorization: Bearer <token> or the query parameter token',
};

/** Root-relative, so it is right behind any proxy or host name (the gateway does not trust Host to build one). */
export function payPageUrl(paymentId: string): string {
  return `/api/payment/wechat/pay?paymentId=${encodeURIComponent(paymentId)}`;
}

/** Text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** WeChat's answer shape for a notify the gateway could not hand on: WeChat sends it again later. */
export function failXml(message: string): string {
  // CDATA cannot hold "]]>": the messages are the gateway's own, but keep it safe
  return `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${message.replaceAll(']]>', ']] >')}]]></return_msg></xml>`;
}

const STATUS_WORDS: Record<PaymentStatus, string> = { 0: '待支付', 1: '支付中', 2: '已支付', 3: '支付失败', 4: '已退款' };

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:0;padding:2rem 1rem;text-align:center;color:#222}',
    '.amount{font-size:2rem;font-weight:600}.qr svg{width:240px;height:240px}.muted{color:#777;font-size:.85rem;word-break:break-all}</style>',
    `</head><body><main>${body}</main></body></html>`,
  ].join('\n');
}

/** The pay page of one payment: the amount and status; the QR code while it can still be paid. */
async function payPage(p: PaymentView): Promise<string> {
  const payable = (p.status === 0 || p.status === 1) && p.codeUrl !== undefined && p.codeUrl !== '';
  const parts = [
    '<h1>微信支付</h1>',
    `<p class="amount">¥${escapeHtml(formatYuan(p.amountFen))}</p>`,
    `<p class="status">${escapeHtml(STATUS_WORDS[p.status])}</p>`,
  ];
  if (payable) {
    // qrcode's SVG is its own markup (paths of the modules): the link is encoded in the image, not written as text
    const svg = await QRCode.toString(p.codeUrl!, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    parts.push(`<div class="qr">${svg}</div>`, '<p>请使用微信扫一扫完成支付</p>', `<p class="muted">${escapeHtml(p.codeUrl!)}</p>`);
  } else if (p.status === 0 || p.status === 1) {
    parts.push('<p>该支付方式没有二维码</p>');
  }
  parts.push(`<p class="muted">支付单号 ${escapeHtml(p.paymentId)}</p>`);
  return page('微信支付', parts.join('\n'));
}

/** Security headers of every pay page answer: no scripts at all, no caching (the URL may carry a token), no referrer. */
function htmlReply(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .send(html);
}

/** Never the URL's query in a log line: it may hold the token. */
const pathOf = (req: FastifyRequest) => req.url.split('?')[0];

// No route resource 'payment': the gateway's own VALIDATION (a bad amount) is 9001; only billing's refusals that
// name the resource payment (Alipay not configured, WeChat unreachable) are 4001 (the thrower's resource wins).
export function paymentRoutes(api: Api, deps: RouteDeps): void {
  const security = [{ bearerAuth: [] }];
  const pageGuard = deps.guards(PAGE_TOKEN_PLACE).user;

  api.post('/payment/recharge', {
    onRequest: deps.user,
    schema: {
      tags: [TAG],
      summary: 'start a recharge of the balance through WeChat Pay: scan qrCodeUrl or open paymentUrl; credited when WeChat notifies',
      security,
      headers: RechargeHeaders,
      body: RechargeBody,
      response: responses(RechargeView004),
    },
  }, async (req) => {
    const amountFen = fenFromYuan(req.body.amount, RECHARGE_MAX_FEN);
    const key = req.headers['idempotency-key'];
    const p = await deps.call(req, 'billing.createRecharge', {
      userId: principal(req).userId,
      amountFen,
      method: req.body.paymentMethod,
      requestId: typeof key === 'string' ? key : randomUUID(),
    });
    return ok({ rechargeId: p.paymentId, amount: yuan(p.amountFen), paymentMethod: p.method, paymentUrl: payPageUrl(p.paymentId), qrCodeUrl: p.codeUrl ?? '' });
  });

  api.get('/payment/:id/status', {
    onRequest: deps.user,
    schema: { tags: [TAG], summary: "one of the caller's payments (a recharge: orderId '')", security, params: PaymentIdPath, response: responses(PaymentStatus004) },
  }, async (req) => {
    const p = await deps.call(req, 'billing.payment', { paymentId: req.params.id, userId: principal(req).userId });
    return ok({
      paymentId: p.paymentId,
      orderId: p.orderId ?? '',
      paymentStatus: p.status,
      paymentMethod: p.method,
      amount: yuan(p.amountFen),
      paymentTime: iso(p.paidAt, deps.timeZone),
      transactionId: p.transactionId ?? '',
    });
  });

  api.get('/payment/wechat/pay', {
    onRequest: pageGuard,
    schema: {
      tags: [TAG],
      summary: "the page to pay one of the caller's payments: amount, status and the QR code to scan with WeChat (HTML); the token as Authorization: Bearer or the query parameter token",
      security,
      querystring: PayPageQuery,
      produces: ['text/html'],
    },
    // a page, also when refused: the status and a line of text, never the JSON envelope
    errorHandler: (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
      const answer = toDialectError('d004', err);
      if (answer.status >= 500) req.log.error({ err, correlationId: req.correlationId, url: pathOf(req) }, 'request failed');
      const title = answer.status === 404 ? '支付单不存在' : answer.status === 401 ? '请先登录' : '无法显示支付页面';
      return htmlReply(reply, answer.status, page(title, `<h1>${escapeHtml(title)}</h1>\n<p class="muted">${escapeHtml(`${answer.code} ${answer.message}`)}</p>`));
    },
  }, async (req, reply) => {
    const p = await deps.call(req, 'billing.payment', { paymentId: req.query.paymentId, userId: principal(req).userId });
    return htmlReply(reply, 200, await payPage(p));
  });

  // WeChat's notify: no token (billing verifies WeChat's signature), an XML body; only this route reads XML
  void api.register(async (xml) => {
    xml.addContentTypeParser(XML_TYPES, { parseAs: 'string', bodyLimit: NOTIFY_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    xml.post('/payment/wechat/notify', {
      bodyLimit: NOTIFY_BODY_LIMIT_BYTES,
      schema: {
        tags: [TAG],
        summary: "WeChat Pay's notify (called by WeChat, no token): XML in, WeChat's XML answer out; 500 with FAIL when it could not be handled, so WeChat retries",
        consumes: XML_TYPES,
        produces: ['application/xml'],
      },
        errorHandler: (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
        // the body refused before billing was asked (413 too large, 415 not XML): that status; anything else is 500
        const status = (err as { statusCode?: unknown }).statusCode;
        const refused = !isDomainError(err) && typeof status === 'number' && status >= 400 && status < 500;
        if (!refused) req.log.error({ err, correlationId: req.correlationId, url: pathOf(req) }, 'wechat notify failed');
        const message = !refused ? 'the payment service is unavailable, please retry' : status === 413 ? 'body too large' : status === 415 ? 'the body must be XML (text/xml or application/xml)' : 'bad request';
        return reply.code(refused ? status : 500).header('content-type', 'application/xml; charset=utf-8').send(failXml(message));
      },
    }, async (req, reply) => {
      // a JSON body reaches here parsed (the instance's own parser): not WeChat's
      if (typeof req.body !== 'string') throw new EdgeError(415, 'the body must be XML');
      const { answerXml } = await deps.call(req, 'billing.wechatNotify', { xml: req.body });
      return reply.code(200).header('content-type', 'application/xml; charset=utf-8').send(answerXml);
    });
  });
}

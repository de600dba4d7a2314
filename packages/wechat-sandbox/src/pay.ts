// The v2 pay API as the provider answers it: each call is raw XML in, XML out. Protocol failures (no body, bad XML,
// unknown merchant, wrong signature) are `return_code` FAIL, unsigned, as WeChat answers them; the sandbox adds
// `result_code` FAIL and the documented `err_code` (POST_DATA_EMPTY, XML_FORMAT_ERROR, MCHID_NOT_EXIST, SIGNERROR)
// so a client can tell them apart. Business failures (missing or bad parameters, appid not of the merchant, order
// number reused, no such order) are `return_code` SUCCESS, `result_code` FAIL with `err_code`, signed.
import { randomBytes } from 'node:crypto';
import { nonceStr, parseXml, sign, toXml, verifySignature, XmlError, SIGN_TYPE, type V2Params } from '@voltq/wechat-v2';
import type { MerchantAccount } from './accounts.js';

export type TradeState = 'NOTPAY' | 'SUCCESS';

export interface SandboxOrder {
  mchId: string;
  appid: string;
  outTradeNo: string;
  body: string;
  attach?: string;
  totalFee: number;
  notifyUrl: string;
  tradeType: 'NATIVE';
  productId: string;
  spbillCreateIp: string;
  prepayId: string;
  /** The `pr` of code_url: what the payer's phone scans. */
  code: string;
  createdAt: number;
  state: TradeState;
  transactionId?: string;
  openid?: string;
  /** yyyyMMddHHmmss, Beijing time. */
  timeEnd?: string;
}

/** Every order the sandbox took, by merchant/out_trade_no, by code and by transaction_id. */
export class OrderBook {
  private readonly byTradeNo = new Map<string, SandboxOrder>();
  private readonly byCode = new Map<string, SandboxOrder>();
  private readonly byTransaction = new Map<string, SandboxOrder>();

  get(mchId: string, outTradeNo: string): SandboxOrder | undefined {
    return this.byTradeNo.get(`${mchId}/${outTradeNo}`);
  }
  byCodeOf(code: string): SandboxOrder | undefined {
    return this.byCode.get(code);
  }
  byTransactionId(mchId: string, transactionId: string): SandboxOrder | undefined {
    const o = this.byTransaction.get(transactionId);
    return o && o.mchId === mchId ? o : undefined;
  }
  add(order: SandboxOrder): void {
    this.byTradeNo.set(`${order.mchId}/${order.outTradeNo}`, order);
    this.byCode.set(order.code, order);
  }
  markPaid(order: SandboxOrder, openid: string, now: number): void {
    order.state = 'SUCCESS';
    order.openid = openid;
    order.timeEnd = beijingTime(now);
    order.transactionId = `4200${order.timeEnd.slice(0, 8)}${digits(16)}`;
    this.byTransaction.set(order.transactionId, order);
  }
  all(): SandboxOrder[] {
    return [...this.byTradeNo.values()];
  }
}

function digits(n: number): string {
  return [...randomBytes(n)].map((b) => String(b % 10)).join('');
}

/** yyyyMMddHHmmss in UTC+8, the zone of every v2 time field. */
export function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export interface PayContext {
  merchants: ReadonlyMap<string, MerchantAccount>;
  orders: OrderBook;
  now: () => number;
}

/** A protocol failure: return_code FAIL (unsigned). */
export function protocolFail(errCode: string, message: string): string {
  return toXml({ return_code: 'FAIL', return_msg: message, result_code: 'FAIL', err_code: errCode, err_code_des: message });
}

function signedAnswer(m: MerchantAccount, fields: V2Params): string {
  const params = { return_code: 'SUCCESS', return_msg: 'OK', appid: m.appid, mch_id: m.mchId, nonce_str: nonceStr(), ...fields };
  return toXml({ ...params, sign: sign(params, m.key) });
}

function businessFail(m: MerchantAccount, errCode: string, message: string): string {
  return signedAnswer(m, { result_code: 'FAIL', err_code: errCode, err_code_des: message });
}

type Checked = { ok: true; m: MerchantAccount; p: Record<string, string> } | { ok: false; xml: string };

/** What every pay call checks first: a v2 body, a known merchant, its signature, its appid, the common fields. */
function checkCall(ctx: PayContext, raw: string): Checked {
  if (raw.trim() === '') return { ok: false, xml: protocolFail('POST_DATA_EMPTY', 'post数据为空') };
  let p: Record<string, string>;
  try {
    p = parseXml(raw);
  } catch (err) {
    return { ok: false, xml: protocolFail('XML_FORMAT_ERROR', `XML格式错误: ${(err as XmlError).message}`) };
  }
  const mchId = p.mch_id;
  if (!mchId) return { ok: false, xml: protocolFail('MCHID_NOT_EXIST', '缺少参数 mch_id') };
  const m = ctx.merchants.get(mchId);
  if (!m) return { ok: false, xml: protocolFail('MCHID_NOT_EXIST', 'mch_id不存在') };
  if (p.sign_type !== SIGN_TYPE) return { ok: false, xml: protocolFail('SIGNERROR', `签名错误: the sandbox takes sign_type ${SIGN_TYPE} only`) };
  if (!verifySignature(p, m.key)) return { ok: false, xml: protocolFail('SIGNERROR', '签名错误') };
  if (!p.appid) return { ok: false, xml: businessFail(m, 'LACK_PARAMS', '缺少参数 appid') };
  if (p.appid !== m.appid) return { ok: false, xml: businessFail(m, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配') };
  if (!p.nonce_str || p.nonce_str.length > 32) return { ok: false, xml: businessFail(m, 'LACK_PARAMS', 'nonce_str 缺失或长于32位') };
  return { ok: true, m, p };
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

/** The fields of an order that must be the same when its out_trade_no is sent again. */
function sameOrder(o: SandboxOrder, p: Record<string, string>): boolean {
  return o.totalFee === Number(p.total_fee) && o.body === p.body && o.notifyUrl === p.notify_url && o.productId === p.product_id && (o.attach ?? '') === (p.attach ?? '');
}

/** POST /pay/unifiedorder (trade_type NATIVE only): an order and its code_url. */
export function unifiedOrder(ctx: PayContext, raw: string): string {
  const c = checkCall(ctx, raw);
  if (!c.ok) return c.xml;
  const { m, p } = c;
  const missing = ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type'].filter((k) => !p[k]);
  if (p.trade_type === 'NATIVE' && !p.product_id) missing.push('product_id');
  if (missing.length) return businessFail(m, 'LACK_PARAMS', `缺少参数 ${missing.join(', ')}`);
  if (p.trade_type !== 'NATIVE') return businessFail(m, 'INVALID_REQUEST', `the sandbox supports trade_type NATIVE only, not ${p.trade_type}`);
  if (!OUT_TRADE_NO.test(p.out_trade_no!)) return businessFail(m, 'INVALID_REQUEST', 'out_trade_no: 6 to 32 of 0-9 A-Z a-z _ - | *');
  if (!/^[1-9][0-9]{0,9}$/.test(p.total_fee!)) return businessFail(m, 'INVALID_REQUEST', 'total_fee: a positive whole number of fen');
  if (p.fee_type && p.fee_type !== 'CNY') return businessFail(m, 'INVALID_REQUEST', 'fee_type: CNY only');
  let url: URL;
  try {
    url = new URL(p.notify_url!);
  } catch {
    return businessFail(m, 'INVALID_REQUEST', 'notify_url is not a URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '') {
    return businessFail(m, 'INVALID_REQUEST', 'notify_url: an http(s) URL without parameters');
  }
  let order = ctx.orders.get(m.mchId, p.out_trade_no!);
  if (order) {
    if (order.state === 'SUCCESS') return businessFail(m, 'ORDERPAID', '该订单已支付');
    if (!sameOrder(order, p)) return businessFail(m, 'OUT_TRADE_NO_USED', '商户订单号重复');
  } else {
    const code = randomBytes(12).toString('base64url');
    order = {
      mchId: m.mchId,
      appid: m.appid,
      outTradeNo: p.out_trade_no!,
      body: p.body!,
      ...(p.attach ? { attach: p.attach } : {}),
      totalFee: Number(p.total_fee),
      notifyUrl: p.notify_url!,
      tradeType: 'NATIVE',
      productId: p.product_id!,
      spbillCreateIp: p.spbill_create_ip!,
      prepayId: `wx${beijingTime(ctx.now())}${randomBytes(9).toString('hex')}`,
      code,
      createdAt: ctx.now(),
      state: 'NOTPAY',
    };
    ctx.orders.add(order);
  }
  return signedAnswer(m, { result_code: 'SUCCESS', trade_type: 'NATIVE', prepay_id: order.prepayId, code_url: codeUrl(order.code) });
}

export function codeUrl(code: string): string {
  return `weixin://wxpay/bizpayurl?pr=${code}`;
}

/** The sandbox page a payer "scans" a code_url to: `<sandbox url>/sandbox/pay?code=<pr>` (undefined: not a code_url). */
export function payPageUrl(sandboxUrl: string, codeUrlText: string): string | undefined {
  const m = /^weixin:\/\/wxpay\/bizpayurl\?pr=([\w-]+)$/.exec(codeUrlText);
  return m ? `${sandboxUrl.replace(/\/+$/, '')}/sandbox/pay?code=${m[1]}` : undefined;
}

/** POST /pay/orderquery by transaction_id (preferred) or out_trade_no. */
export function orderQuery(ctx: PayContext, raw: string): string {
  const c = checkCall(ctx, raw);
  if (!c.ok) return c.xml;
  const { m, p } = c;
  if (!p.transaction_id && !p.out_trade_no) return businessFail(m, 'LACK_PARAMS', '缺少参数 transaction_id 或 out_trade_no');
  const o = p.transaction_id ? ctx.orders.byTransactionId(m.mchId, p.transaction_id) : ctx.orders.get(m.mchId, p.out_trade_no!);
  if (!o) return businessFail(m, 'ORDERNOTEXIST', '此交易订单号不存在');
  return signedAnswer(m, {
    result_code: 'SUCCESS',
    trade_state: o.state,
    trade_state_desc: o.state === 'SUCCESS' ? '支付成功' : '订单未支付',
    trade_type: o.tradeType,
    out_trade_no: o.outTradeNo,
    total_fee: o.totalFee,
    fee_type: 'CNY',
    attach: o.attach,
    ...(o.state === 'SUCCESS'
      ? { openid: o.openid, is_subscribe: 'N', bank_type: 'OTHERS', cash_fee: o.totalFee, transaction_id: o.transactionId, time_end: o.timeEnd }
      : {}),
  });
}

/** The signed pay notify of a paid order, as WeChat POSTs it to notify_url. */
export function notifyXml(m: MerchantAccount, o: SandboxOrder): string {
  const params = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: o.appid,
    mch_id: o.mchId,
    nonce_str: nonceStr(),
    sign_type: SIGN_TYPE,
    result_code: 'SUCCESS',
    openid: o.openid,
    is_subscribe: 'N',
    trade_type: o.tradeType,
    bank_type: 'OTHERS',
    total_fee: o.totalFee,
    fee_type: 'CNY',
    cash_fee: o.totalFee,
    transaction_id: o.transactionId,
    out_trade_no: o.outTradeNo,
    attach: o.attach,
    time_end: o.timeEnd,
  };
  return toXml({ ...params, sign: sign(params, m.key) });
}

// Billing's side of WeChat Pay API v2, pure (DESIGN.md "Walk-up stations, sessions and payments"): the unified
// order (trade_type NATIVE → code_url) and the order query it sends, reading their answers, and verifying the pay
// notify before anything is credited. Signatures and XML follow @voltq/wechat-v2 (HMAC-SHA256 with the merchant
// key). Every answer is a typed result or a typed refusal; nothing here throws on what WeChat (or a forger) sends.
import { DomainError } from '@voltq/kit';
import { parseXml, signed, toXml, verifySignature } from '@voltq/wechat-v2';

/** The merchant billing is: the app id bound to it, its 商户号 and its API key. */
export interface WechatMerchant {
  appid: string;
  mchId: string;
  key: string;
}

export interface UnifiedOrderInput {
  /** 商户订单号: 6–32 of [0-9A-Za-z_-|*], unique per merchant (a recharge or order id). */
  outTradeNo: string;
  /** The amount, a positive whole number of fen. */
  totalFeeFen: number;
  /** 商品描述 shown to the payer (≤ 127 characters). */
  body: string;
  /** Where WeChat POSTs the pay notify: http(s), no query (the gateway's /api/payment/wechat/notify). */
  notifyUrl: string;
  /** NATIVE needs a product id; default the out_trade_no. */
  productId?: string;
  /** Echoed back in the query and the notify (≤ 127 characters). */
  attach?: string;
  /** The calling machine's IP (v2's spbill_create_ip for NATIVE); default 127.0.0.1. */
  spbillCreateIp?: string;
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

/** The signed XML body of POST /pay/unifiedorder for a NATIVE (scan to pay) order. `nonce`: ≤ 32 characters. */
export function buildUnifiedOrder(m: WechatMerchant, input: UnifiedOrderInput, nonce: string): string {
  if (!OUT_TRADE_NO.test(input.outTradeNo)) throw new DomainError('VALIDATION', `out_trade_no must be 6 to 32 of 0-9 A-Z a-z _ - | *, not ${JSON.stringify(input.outTradeNo)}`);
  if (!Number.isSafeInteger(input.totalFeeFen) || input.totalFeeFen < 1) throw new DomainError('VALIDATION', `total_fee is a positive whole number of fen, not ${input.totalFeeFen}`);
  if (input.body === '' || [...input.body].length > 127) throw new DomainError('VALIDATION', 'body is 1 to 127 characters');
  if (input.attach !== undefined && [...input.attach].length > 127) throw new DomainError('VALIDATION', 'attach is at most 127 characters');
  if (!/^https?:\/\/[^?#]+$/.test(input.notifyUrl)) throw new DomainError('VALIDATION', `notify_url must be an http(s) URL without a query, not ${input.notifyUrl}`);
  if (!/^[0-9A-Za-z]{1,32}$/.test(nonce)) throw new DomainError('VALIDATION', 'nonce_str is 1 to 32 letters and digits');
  return toXml(
    signed(
      {
        appid: m.appid,
        mch_id: m.mchId,
        nonce_str: nonce,
        body: input.body,
        attach: input.attach,
        out_trade_no: input.outTradeNo,
        fee_type: 'CNY',
        total_fee: input.totalFeeFen,
        spbill_create_ip: input.spbillCreateIp ?? '127.0.0.1',
        notify_url: input.notifyUrl,
        trade_type: 'NATIVE',
        product_id: input.productId ?? input.outTradeNo,
      },
      m.key,
    ),
  );
}

/** The signed XML body of POST /pay/orderquery, by out_trade_no or transaction_id. */
export function buildOrderQuery(m: WechatMerchant, by: { outTradeNo: string } | { transactionId: string }, nonce: string): string {
  return toXml(
    signed(
      {
        appid: m.appid,
        mch_id: m.mchId,
        nonce_str: nonce,
        ...('transactionId' in by ? { transaction_id: by.transactionId } : { out_trade_no: by.outTradeNo }),
      },
      m.key,
    ),
  );
}

/**
 * Why an answer of WeChat was not taken: `bad-xml` not v2 XML; `return-fail` return_code FAIL (the call itself was
 * refused: signature, merchant, format — `message` is return_msg); `bad-signature` not signed with our key;
 * `wrong-merchant` another appid/mch_id; `result-fail` result_code FAIL (`errCode`, e.g. ORDERPAID,
 * OUT_TRADE_NO_USED, ORDERNOTEXIST); `bad-answer` a field the answer must have is missing.
 */
export type AnswerRefusal = 'bad-xml' | 'return-fail' | 'bad-signature' | 'wrong-merchant' | 'result-fail' | 'bad-answer';
export type Refused<R extends string> = { ok: false; reason: R; message: string; errCode?: string };

/** The checks every signed answer of WeChat passes before its fields are read. */
function readAnswer(m: WechatMerchant, text: string): { ok: true; p: Record<string, string> } | Refused<AnswerRefusal> {
  let p: Record<string, string>;
  try {
    p = parseXml(text);
  } catch (err) {
    return { ok: false, reason: 'bad-xml', message: (err as Error).message };
  }
  if (p.return_code !== 'SUCCESS') {
    return { ok: false, reason: 'return-fail', message: p.return_msg || 'return_code is not SUCCESS', ...(p.err_code ? { errCode: p.err_code } : {}) };
  }
  if (!verifySignature(p, m.key)) return { ok: false, reason: 'bad-signature', message: 'the answer is not signed with the merchant key' };
  if (p.mch_id !== m.mchId || p.appid !== m.appid) return { ok: false, reason: 'wrong-merchant', message: `the answer is for ${p.mch_id}/${p.appid}` };
  if (p.result_code !== 'SUCCESS') {
    return { ok: false, reason: 'result-fail', message: p.err_code_des || p.err_code || 'result_code is not SUCCESS', ...(p.err_code ? { errCode: p.err_code } : {}) };
  }
  return { ok: true, p };
}

export type UnifiedOrderAnswer = { ok: true; codeUrl: string; prepayId: string } | Refused<AnswerRefusal>;

/** The answer of /pay/unifiedorder: the code_url to show as a QR code, or why there is none. */
export function readUnifiedOrderAnswer(m: WechatMerchant, text: string): UnifiedOrderAnswer {
  const a = readAnswer(m, text);
  if (!a.ok) return a;
  const { code_url: codeUrl, prepay_id: prepayId } = a.p;
  if (!codeUrl || !prepayId) return { ok: false, reason: 'bad-answer', message: 'the answer has no code_url or prepay_id' };
  return { ok: true, codeUrl, prepayId };
}

/** WeChat's trade states (trade_state of the order query). */
export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
const TRADE_STATES: readonly string[] = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'];

export type OrderQueryAnswer =
  | { ok: true; tradeState: TradeState; outTradeNo: string; totalFeeFen: number; transactionId?: string; timeEnd?: string }
  | Refused<AnswerRefusal>;

/** The answer of /pay/orderquery (paid only when tradeState is SUCCESS; ORDERNOTEXIST is a result-fail). */
export function readOrderQueryAnswer(m: WechatMerchant, text: string): OrderQueryAnswer {
  const a = readAnswer(m, text);
  if (!a.ok) return a;
  const { trade_state: state, out_trade_no: outTradeNo, total_fee: fee, transaction_id: transactionId, time_end: timeEnd } = a.p;
  if (!state || !TRADE_STATES.includes(state) || !outTradeNo || !/^[0-9]+$/.test(fee ?? '')) {
    return { ok: false, reason: 'bad-answer', message: 'the answer has no valid trade_state, out_trade_no or total_fee' };
  }
  return { ok: true, tradeState: state as TradeState, outTradeNo, totalFeeFen: Number(fee), ...(transactionId ? { transactionId } : {}), ...(timeEnd ? { timeEnd } : {}) };
}

/**
 * The order a notify claims to be about, read WITHOUT any check: only to look the order up (its expected amount)
 * before verifyNotify. Undefined when the body is not v2 XML or names no out_trade_no.
 */
export function peekNotifyOrder(text: string): string | undefined {
  try {
    return parseXml(text).out_trade_no || undefined;
  } catch {
    return undefined;
  }
}

export interface PaidNotify {
  outTradeNo: string;
  /** WeChat's transaction id: with outTradeNo, the key that makes crediting idempotent. */
  transactionId: string;
  totalFeeFen: number;
  openid?: string;
  /** yyyyMMddHHmmss, Beijing time. */
  timeEnd?: string;
  attach?: string;
}

/**
 * Why a notify is not credited: `bad-xml`, `return-fail`, `bad-signature` (not signed with our key: forged or
 * misconfigured), `wrong-merchant` (mch_id/appid not ours), `not-paid` (result_code FAIL), `bad-notify` (no
 * transaction_id or total_fee), `wrong-order` (not the order we expected), `wrong-amount` (total_fee is not the
 * order's amount in fen, or not CNY).
 */
export type NotifyRefusal = 'bad-xml' | 'return-fail' | 'bad-signature' | 'wrong-merchant' | 'not-paid' | 'bad-notify' | 'wrong-order' | 'wrong-amount';
export type NotifyVerdict = { ok: true; notify: PaidNotify } | Refused<NotifyRefusal>;

/** Verifies a pay notify against our merchant and the order we hold for its out_trade_no; only `ok` may credit. */
export function verifyNotify(m: WechatMerchant, text: string, expected: { outTradeNo: string; totalFeeFen: number }): NotifyVerdict {
  const a = readAnswer(m, text);
  if (!a.ok) {
    if (a.reason === 'result-fail') return { ...a, reason: 'not-paid' };
    if (a.reason === 'bad-answer') return { ...a, reason: 'bad-notify' };
    return { ...a, reason: a.reason };
  }
  const p = a.p;
  if (!p.transaction_id || !p.out_trade_no || !/^[0-9]{1,12}$/.test(p.total_fee ?? '')) {
    return { ok: false, reason: 'bad-notify', message: 'the notify has no transaction_id, out_trade_no or total_fee' };
  }
  if (p.out_trade_no !== expected.outTradeNo) return { ok: false, reason: 'wrong-order', message: `the notify is for ${p.out_trade_no}, not ${expected.outTradeNo}` };
  const fee = Number(p.total_fee);
  if (fee !== expected.totalFeeFen || (p.fee_type && p.fee_type !== 'CNY')) {
    return { ok: false, reason: 'wrong-amount', message: `the notify pays ${fee} ${p.fee_type || 'CNY'} fen, the order is ${expected.totalFeeFen} CNY fen` };
  }
  return {
    ok: true,
    notify: {
      outTradeNo: p.out_trade_no,
      transactionId: p.transaction_id,
      totalFeeFen: fee,
      ...(p.openid ? { openid: p.openid } : {}),
      ...(p.time_end ? { timeEnd: p.time_end } : {}),
      ...(p.attach ? { attach: p.attach } : {}),
    },
  };
}

/** The merchant's answer that WeChat takes as "received" (it stops retrying). */
export function notifySuccessAnswer(): string {
  return toXml({ return_code: 'SUCCESS', return_msg: 'OK' });
}

/** An answer that makes WeChat retry the notify later. */
export function notifyFailAnswer(message: string): string {
  return toXml({ return_code: 'FAIL', return_msg: message });
}

/**
 * The answer for a verdict: SUCCESS when credited (or already credited: the caller's idempotency) and for
 * `not-paid` (nothing to credit, nothing to retry); FAIL otherwise, so a misconfiguration or a mismatch keeps
 * being retried by WeChat while an operator looks (a forger gets FAIL too).
 */
export function notifyAnswerFor(verdict: NotifyVerdict): string {
  if (verdict.ok || verdict.reason === 'not-paid') return notifySuccessAnswer();
  return notifyFailAnswer(verdict.reason);
}

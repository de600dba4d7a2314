// The mini-program login's rules: what jscode2session's answer means (an openid, or WeChat's refusal), and the
// username and profile of a user WeChat introduces. Pure: the HTTP call is store/wechat.ts.
import { DomainError } from '@voltq/kit';

/** What the app's login gets from WeChat for a code: the user's openid (session_key is never kept). */
export interface WechatSession {
  openId: string;
  unionId?: string;
}

const OPENID = /^[A-Za-z0-9_-]{1,128}$/;

/** jscode2session's JSON answer -> the session, or UNAUTHORIZED with WeChat's reason (an invalid or used code). */
export function readJscode2Session(answer: unknown): WechatSession {
  const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  if (typeof a.errcode === 'number' && a.errcode !== 0) {
    throw new DomainError('UNAUTHORIZED', `WeChat refused the login code: ${String(a.errmsg ?? a.errcode)} (${a.errcode})`, { resource: 'wechat' });
  }
  if (typeof a.openid !== 'string' || !OPENID.test(a.openid)) throw new DomainError('UNAVAILABLE', 'WeChat answered without an openid', { resource: 'wechat' });
  return { openId: a.openid, ...(typeof a.unionid === 'string' ? { unionId: a.unionid } : {}) };
}

/** The login name of a user WeChat introduces: unique by their openid, never typed by anyone. */
export function wechatUsername(openId: string): string {
  return `wx_${openId}`;
}

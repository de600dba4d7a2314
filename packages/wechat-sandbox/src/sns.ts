// GET /sns/jscode2session: a mini-program's login code → the user's openid and session_key (JSON), or
// {errcode, errmsg}. WeChat's codes are single-use and name the WeChat account that logged in; the sandbox has no
// accounts, so the code itself names the user: the same js_code always gives the same openid (per app), and two
// codes two users. With `singleUseCodes` a code is refused (40163) the second time, as WeChat does.
import { createHmac } from 'node:crypto';
import { sandboxOpenid, sandboxUnionid, type MerchantAccount } from './accounts.js';

export type SessionAnswer = { openid: string; session_key: string; unionid?: string } | { errcode: number; errmsg: string };

export interface SnsContext {
  apps: ReadonlyMap<string, MerchantAccount>;
  singleUseCodes: boolean;
  usedCodes: Set<string>;
}

const CODE = /^[0-9A-Za-z_-]{1,128}$/;

export function jscode2session(ctx: SnsContext, q: Record<string, string | undefined>): SessionAnswer {
  if (!q.appid) return { errcode: 41002, errmsg: 'appid missing' };
  if (!q.secret) return { errcode: 41004, errmsg: 'appsecret missing' };
  if (!q.js_code) return { errcode: 41008, errmsg: 'missing code' };
  if (q.grant_type !== 'authorization_code') return { errcode: 40002, errmsg: 'invalid grant_type' };
  const app = ctx.apps.get(q.appid);
  if (!app) return { errcode: 40013, errmsg: 'invalid appid' };
  if (q.secret !== app.appSecret) return { errcode: 40125, errmsg: 'invalid appsecret' };
  const code = q.js_code;
  if (!CODE.test(code) || code.startsWith('invalid')) return { errcode: 40029, errmsg: 'invalid code' };
  if (ctx.singleUseCodes) {
    if (ctx.usedCodes.has(`${app.appid}/${code}`)) return { errcode: 40163, errmsg: 'code been used' };
    ctx.usedCodes.add(`${app.appid}/${code}`);
  }
  const session_key = createHmac('sha256', `session:${app.appSecret}`).update(code).digest().subarray(0, 16).toString('base64');
  return { openid: sandboxOpenid(app.appid, code), session_key, ...(app.unionid ? { unionid: sandboxUnionid(code) } : {}) };
}

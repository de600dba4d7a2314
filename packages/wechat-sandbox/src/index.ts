export { startWechatSandbox, buildSandbox, type SandboxOptions, type WechatSandbox } from './server.js';
export { DEV_MERCHANT, sandboxOpenid, sandboxUnionid, type MerchantAccount } from './accounts.js';
export { codeUrl, payPageUrl, notifyXml, type SandboxOrder, type TradeState } from './pay.js';
export type { NotifyAttempt, NotifyDelivery } from './notify.js';

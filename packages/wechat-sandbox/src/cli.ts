#!/usr/bin/env -S node --import tsx
// wechat-sandbox: runs the sandbox until SIGINT/SIGTERM.
// Environment: WECHAT_SANDBOX_PORT (default 8091), WECHAT_SANDBOX_HOST (default 127.0.0.1),
// WECHAT_SANDBOX_MERCHANTS (a JSON array of {appid, mchId, key, appSecret, unionid?}; default the development account).
import { DEV_MERCHANT, type MerchantAccount } from './accounts.js';
import { startWechatSandbox } from './server.js';

let merchants: MerchantAccount[];
try {
  merchants = process.env.WECHAT_SANDBOX_MERCHANTS ? (JSON.parse(process.env.WECHAT_SANDBOX_MERCHANTS) as MerchantAccount[]) : [{ ...DEV_MERCHANT }];
  if (!Array.isArray(merchants)) throw new Error('WECHAT_SANDBOX_MERCHANTS must be a JSON array');
} catch (err) {
  console.error(`wechat-sandbox: ${(err as Error).message}`);
  process.exit(2);
}
const port = Number(process.env.WECHAT_SANDBOX_PORT ?? 8091);
const sandbox = await startWechatSandbox({ port, host: process.env.WECHAT_SANDBOX_HOST ?? '127.0.0.1', merchants, log: process.argv.includes('--log') }).catch(
  (err: Error) => {
    console.error(`wechat-sandbox: ${err.message}`);
    process.exit(2);
  },
);
console.log(`wechat-sandbox listening on ${sandbox.url} (merchants: ${merchants.map((m) => `${m.mchId}/${m.appid}`).join(', ')})`);
const stop = () => void sandbox.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

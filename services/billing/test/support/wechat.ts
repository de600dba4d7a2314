// Billing over the real bus with the local WeChat sandbox as the provider, and a stand-in of the gateway's
// POST /api/payment/wechat/notify (the XML in, billing's answer out), as the payment tests need it.
import { createServer } from 'node:http';
import type { Test } from 'tap';
import { DEV_MERCHANT, startWechatSandbox, type WechatSandbox } from '@voltq/wechat-sandbox';
import type { MessageType } from '@voltq/contracts';
import { startHarness } from './harness.js';

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** Starts the sandbox, the notify route and billing (capturing `events`); all closed at the end of `t`. */
export async function startBillingWithWechat(t: Test, events: MessageType[] = []): Promise<{ h: Harness; sandbox: WechatSandbox }> {
  const sandbox = await startWechatSandbox({ port: 0, merchants: [DEV_MERCHANT], notifyRetryDelaysMs: [100, 300] });
  t.teardown(() => sandbox.close());
  const billing: { bus?: Harness['bus'] } = {};
  const notifyRoute = createServer((req, res) => {
    let xml = '';
    req.on('data', (chunk) => (xml += chunk));
    req.on('end', () => {
      billing.bus!.call('billing.wechatNotify', { xml }).then(
        (answer) => res.writeHead(200, { 'content-type': 'application/xml' }).end(answer.answerXml),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => notifyRoute.listen(0, '127.0.0.1', r));
  t.teardown(() => notifyRoute.close());
  const notifyUrl = `http://127.0.0.1:${(notifyRoute.address() as { port: number }).port}/api/payment/wechat/notify`;
  const h = await startHarness(events, {
    WECHAT_PAY_BASE_URL: sandbox.url, WECHAT_APP_ID: DEV_MERCHANT.appid, WECHAT_MCH_ID: DEV_MERCHANT.mchId, WECHAT_MCH_KEY: DEV_MERCHANT.key, WECHAT_NOTIFY_URL: notifyUrl,
  });
  t.teardown(() => h.close());
  billing.bus = h.bus;
  return { h, sandbox };
}

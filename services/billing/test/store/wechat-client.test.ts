// The WeChat Pay client over HTTP: against the sandbox it gets a code_url and the order's state; a provider that
// is down or silent is `unreachable` within the timeout, never a hang or a throw.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { startWechatSandbox } from '@voltq/wechat-sandbox';
import { createWechatPayClient } from '../../src/store/wechat-client.js';

const merchant = { appid: 'wx5555666677778888', mchId: '1900000555', key: 'q'.repeat(32) };

t.test('against the sandbox: unified order, then query', async (t) => {
  const sb = await startWechatSandbox({ merchants: [{ ...merchant, appSecret: 's' }] });
  t.teardown(() => sb.close());
  const client = createWechatPayClient({ baseUrl: `${sb.url}/`, merchant });
  const order = await client.unifiedOrder({ outTradeNo: 'R202612030100', totalFeeFen: 3000, body: 'VoltQ 充值', notifyUrl: 'http://127.0.0.1:9/notify' });
  t.match(order, { ok: true, codeUrl: /^weixin:\/\/wxpay\/bizpayurl\?pr=/ });
  t.match(await client.orderQuery({ outTradeNo: 'R202612030100' }), { ok: true, tradeState: 'NOTPAY', totalFeeFen: 3000 });
  t.match(await client.orderQuery({ outTradeNo: 'R202612030101' }), { ok: false, reason: 'result-fail', errCode: 'ORDERNOTEXIST' });
  const stranger = createWechatPayClient({ baseUrl: sb.url, merchant: { ...merchant, key: 'z'.repeat(32) } });
  t.match(await stranger.orderQuery({ outTradeNo: 'R202612030100' }), { ok: false, reason: 'return-fail', errCode: 'SIGNERROR' });
});

t.test('down or silent: unreachable', async (t) => {
  const silent = http.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  t.teardown(() => {
    silent.closeAllConnections();
    return new Promise<void>((r) => silent.close(() => r()));
  });
  const started = Date.now();
  const slow = createWechatPayClient({ baseUrl: `http://127.0.0.1:${port}`, merchant, timeoutMs: 300 });
  t.match(await slow.orderQuery({ outTradeNo: 'R202612030100' }), { ok: false, reason: 'unreachable' });
  t.ok(Date.now() - started < 2000, 'within the timeout');

  const down = await new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const none = createWechatPayClient({ baseUrl: `http://127.0.0.1:${down}`, merchant, timeoutMs: 1000 });
  t.match(await none.unifiedOrder({ outTradeNo: 'R202612030102', totalFeeFen: 1, body: 'x', notifyUrl: 'http://127.0.0.1:9/n' }), { ok: false, reason: 'unreachable' });
});

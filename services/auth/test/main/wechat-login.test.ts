// The mini-program's login (auth.wechatLogin) against the local WeChat sandbox's jscode2session: the first login
// creates the user, later ones find them by openid and update the profile; WeChat's refusal is UNAUTHORIZED,
// no WeChat (unreachable or not configured) UNAVAILABLE; nothing stored on a refusal.
import t from 'tap';
import { DEV_MERCHANT, sandboxOpenid, startWechatSandbox } from '@voltq/wechat-sandbox';
import { startHarness } from '../support/harness.js';

const sandbox = await startWechatSandbox({ port: 0, merchants: [DEV_MERCHANT] });
t.teardown(() => sandbox.close());
const h = await startHarness('authwx', 'auth-wechat-test');
t.teardown(() => h.close());
const bus = h.bus;
const auth = await h.startReplica({ WECHAT_APP_ID: DEV_MERCHANT.appid, WECHAT_APP_SECRET: DEV_MERCHANT.appSecret, WECHAT_API_BASE_URL: sandbox.url });
const users = auth.ctx.mongo!.collection('users');

t.test('first login creates the user, the next finds them and updates the profile', async (t) => {
  const openId = sandboxOpenid(DEV_MERCHANT.appid, 'code-amy');
  const first = await bus.call('auth.wechatLogin', { code: 'code-amy', profile: { nickname: 'Amy', gender: 2, city: 'Beijing' } });
  t.match(first, { openId, role: 'user', token: String, username: `wx_${openId}` });
  const again = await bus.call('auth.wechatLogin', { code: 'code-amy', profile: { nickname: 'Amy W.' } });
  t.equal(again.userId, first.userId, 'the same WeChat user, the same account');
  t.match(await bus.call('auth.userInfo', { userId: first.userId }), { nickname: 'Amy W.', gender: 2, city: 'Beijing', openId });
  const other = await bus.call('auth.wechatLogin', { code: 'code-ben' });
  t.not(other.userId, first.userId, 'another WeChat user, another account');
  t.equal(await users.countDocuments({ openId }), 1);
  await t.rejects(bus.call('auth.login', { username: `wx_${openId}`, password: '' }), { code: 'VALIDATION' }, 'no password login for a WeChat account');
});

t.test("two first logins at once make one account", async (t) => {
  const [a, b] = await Promise.all([bus.call('auth.wechatLogin', { code: 'code-cat' }), bus.call('auth.wechatLogin', { code: 'code-cat' })]);
  t.equal(a.userId, b.userId);
  t.equal(await users.countDocuments({ openId: a.openId }), 1);
});

t.test("WeChat's refusal and no WeChat: nothing stored", async (t) => {
  const before = await users.countDocuments();
  await t.rejects(bus.call('auth.wechatLogin', { code: 'invalid-code' }), { code: 'UNAUTHORIZED', message: /40029/ }, "WeChat's invalid code");
  await t.rejects(bus.call('auth.wechatLogin', { code: 'x', profile: { nickname: 'x', role: 'admin' } } as never), { code: 'VALIDATION' }, 'an unknown profile field');
  const down = await h.startReplica({ WECHAT_APP_ID: DEV_MERCHANT.appid, WECHAT_APP_SECRET: DEV_MERCHANT.appSecret, WECHAT_API_BASE_URL: 'http://127.0.0.1:9' });
  const unconfigured = await h.startReplica({ WECHAT_APP_ID: '' });
  await auth.shutdown();
  // the two replicas left: one cannot reach WeChat, the other has no app secret; both say WeChat is unavailable
  for (let i = 0; i < 4; i++) await t.rejects(bus.call('auth.wechatLogin', { code: `code-new-${i}` }), { code: 'UNAVAILABLE' });
  t.equal(await down.ctx.mongo!.collection('users').countDocuments(), before);
  await Promise.all([down.shutdown(), unconfigured.shutdown()]);
});

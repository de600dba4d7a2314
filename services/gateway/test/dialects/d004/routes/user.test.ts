// 004's user routes over real RPC with a fake auth: the mini-program login (a stand-in auth.wechatLogin), the
// openId and balance of the login answers, the cards (/api/user/cards: the caller's only, another user's card
// refused in 004's shape, bad ids 400 with nothing stored).
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { DomainError, runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({ label: 'gw004u', busName: 'gateway-d004-user-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
const wechatLogins: unknown[] = [];
await h.bus.serve('auth.wechatLogin', async (params) => {
  wechatLogins.push(params);
  if (params.code === 'refused') throw new DomainError('UNAUTHORIZED', 'WeChat refused the login code: invalid code (40029)', { resource: 'wechat' });
  if (params.code === 'down') throw new DomainError('UNAVAILABLE', 'WeChat could not be asked: TimeoutError', { resource: 'wechat' });
  return { token: 'wx-token', userId: '41', username: 'wx_oABC', role: 'user', expiresAt: Date.now() + 3_600_000, openId: 'oABC' };
});
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) {
  const res = await http.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() };
}
const register = async (username: string) => (await call('POST', '/api/user/register', undefined, { username, password: `${username}-password` })).body.data.token as string;

const ann = await register('ann004');
const ben = await register('ben004');

t.test("the mini-program's login: 004's answer, the profile in the platform's words, WeChat's refusals as 1004", async (t) => {
  const res = await call('POST', '/api/user/wechat/login', undefined, { code: 'c1', userInfo: { nickName: 'Amy', avatarUrl: 'https://x/a.png', gender: 2, city: 'Beijing' } });
  t.equal(res.status, 200);
  t.same(res.body, { code: 0, message: '登录成功', data: { token: 'wx-token', userId: 41, openId: 'oABC', balance: 0, points: 0 } });
  t.same(wechatLogins.at(-1), { code: 'c1', profile: { nickname: 'Amy', avatar: 'https://x/a.png', gender: 2, city: 'Beijing' } });
  await call('POST', '/api/user/wechat/login', undefined, { code: 'c2' });
  t.same(wechatLogins.at(-1), { code: 'c2' }, 'no userInfo: no profile');
  t.match(await call('POST', '/api/user/wechat/login', undefined, { code: 'refused' }), { status: 401, body: { code: 1004, message: /40029/ } });
  t.match(await call('POST', '/api/user/wechat/login', undefined, { code: 'down' }), { status: 500, body: { code: 1004 } });
  const asked = wechatLogins.length;
  for (const bad of [{}, { code: '' }, { code: 'c', userInfo: { nickName: 'x', role: 'admin' } }, { code: 'c', openId: 'x' }]) {
    t.match(await call('POST', '/api/user/wechat/login', undefined, bad), { status: 400, body: { code: 9001 } }, JSON.stringify(bad));
  }
  t.equal(wechatLogins.length, asked, 'auth was not asked');
});

t.test('a password login shows the default openId user_{userId} (004:78) and the balance', async (t) => {
  const login = await call('POST', '/api/user/login', undefined, { username: 'ann004', password: 'ann004-password' });
  t.match(login.body.data, { openId: `user_${login.body.data.userId}`, balance: 0, points: 0 });
  t.equal((await call('GET', '/api/user/info', login.body.data.token)).body.data.openId, `user_${login.body.data.userId}`);
});

t.test('bind, list and unbind cards', async (t) => {
  const bound = await call('POST', '/api/user/cards', ann, { cardId: 'RFID-0001' });
  t.equal(bound.status, 200);
  t.match(bound.body, { code: 0, data: { cardId: 'RFID-0001', createdAt: /^\d{4}-\d\d-\d\dT/ } });
  t.equal((await call('POST', '/api/user/cards', ann, { cardId: 'rfid-0001' })).body.data.cardId, 'RFID-0001', 'the same card again: a retry');
  const taken = await call('POST', '/api/user/cards', ben, { cardId: 'rfid-0001' });
  t.equal(taken.status, 400);
  t.match(taken.body, { code: 9005, message: 'card exists', data: null }, "another user's card");
  t.same((await call('GET', '/api/user/cards', ann)).body.data.map((c: { cardId: string }) => c.cardId), ['RFID-0001']);
  t.same((await call('GET', '/api/user/cards', ben)).body.data, [], "ben's list is his own");
  t.match(await call('DELETE', '/api/user/cards/RFID-0001', ben), { status: 404, body: { code: 9004 } }, "ben cannot unbind ann's card");
  t.match(await call('DELETE', '/api/user/cards/RFID-0001', ann), { status: 200, body: { code: 0, data: { cardId: 'RFID-0001' } } });
  t.same((await call('GET', '/api/user/cards', ann)).body.data, []);
});

t.test('refusals: no token, bad ids, unknown fields; nothing stored', async (t) => {
  t.match(await call('GET', '/api/user/cards'), { status: 401, body: { code: 9002 } });
  for (const payload of [{ cardId: '' }, { cardId: 'x'.repeat(21) }, { cardId: 'has space' }, { cardId: 'C1', userId: '1' }, {}]) {
    const res = await call('POST', '/api/user/cards', ben, payload);
    t.match(res, { status: 400, body: { code: 9001, data: null } }, JSON.stringify(payload));
  }
  t.same((await call('GET', '/api/user/cards', ben)).body.data, [], 'nothing bound');
});

// GET /api/config and the operators' GET/PUT /api/admin/config: 004's fields (times ISO, apiVersion), a change
// passed to auth in the platform's units, admin only, bad changes 400 with nothing asked; a stand-in auth config.
import t from 'tap';
import { rpcSchemas, type AppConfig, type PutAppConfigParams } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({ label: 'gw004c', busName: 'gateway-d004-config-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
let stored: AppConfig = {
  appName: 'VoltQ', appVersion: '1.0.0', companyName: 'VoltQ', contactPhone: '', contactEmail: '', serviceAgreement: '', privacyPolicy: '',
  aboutUs: '', helpCenter: '', faq: '', noticeList: [{ id: 'n1', title: 't', content: 'c', publishTime: Date.parse('2026-12-01T00:00:00Z') }], bannerList: [],
  wechatAppId: 'wx-test', jwtExpiryInMinutes: 1440, updatedAt: 1,
};
const changes: PutAppConfigParams[] = [];
await h.bus.serve('auth.appConfig', async () => stored);
await h.bus.serve('auth.putAppConfig', async (params) => {
  changes.push(params);
  stored = { ...stored, ...params };
  return stored;
});
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;
const login = async (url: string, username: string, password: string) => (await http.inject({ method: 'POST', url, payload: { username, password } })).json().data.token as string;
const admin = await login('/api/admin/login', 'admin', 'admin-pass-1');
await http.inject({ method: 'POST', url: '/api/user/register', payload: { username: 'cfg004', password: 'cfg-password' } });
const user = await login('/api/user/login', 'cfg004', 'cfg-password');
async function call(method: 'GET' | 'PUT', url: string, token: string, payload?: object) {
  const res = await http.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() };
}

t.test("a user reads the configuration in 004's fields", async (t) => {
  const res = await call('GET', '/api/config', user);
  t.equal(res.status, 200);
  t.same(Object.keys(res.body.data).sort(), [
    'aboutUs', 'apiVersion', 'appName', 'appVersion', 'bannerList', 'companyName', 'contactEmail', 'contactPhone', 'faq', 'helpCenter',
    'jwtExpiryInMinutes', 'noticeList', 'privacyPolicy', 'serviceAgreement', 'wechatAppId',
  ], "004:915-944's fields, nothing else");
  t.match(res.body.data, { appName: 'VoltQ', wechatAppId: 'wx-test', jwtExpiryInMinutes: 1440, apiVersion: '1.0.0' });
  t.same(res.body.data.noticeList, [{ id: 'n1', title: 't', content: 'c', publishTime: '2026-12-01T08:00:00.000+08:00' }], 'times in ISO 8601');
});

t.test('an operator changes it', async (t) => {
  const res = await call('PUT', '/api/admin/config', admin, { appName: 'VoltQ 充电', noticeList: [{ id: 'n2', title: '检修', content: '...', publishTime: '2026-12-08T02:00:00+08:00' }] });
  t.equal(res.status, 200);
  t.same(changes.at(-1), { appName: 'VoltQ 充电', noticeList: [{ id: 'n2', title: '检修', content: '...', publishTime: Date.parse('2026-12-08T02:00:00+08:00') }] });
  t.match(res.body.data, { appName: 'VoltQ 充电', noticeList: [{ id: 'n2', publishTime: '2026-12-08T02:00:00.000+08:00' }] });
  t.match((await call('GET', '/api/admin/config', admin)).body.data, { appName: 'VoltQ 充电' });
});

t.test('refusals: a user at the admin door, fields that are not the document, bad times; nothing asked', async (t) => {
  const before = changes.length;
  t.match(await call('PUT', '/api/admin/config', user, { appName: 'x' }), { status: 403, body: { code: 9003 } });
  t.match(await call('GET', '/api/admin/config', user), { status: 403 });
  for (const bad of [{ jwtExpiryInMinutes: 5 }, { wechatAppId: 'wx' }, { noticeList: [{ id: 'n', title: 't', content: 'c', publishTime: 'soon' }] }, { bannerList: [{ id: 'b' }] }]) {
    t.match(await call('PUT', '/api/admin/config', admin, bad), { status: 400, body: { code: 9001 } }, JSON.stringify(bad));
  }
  t.equal(changes.length, before);
});

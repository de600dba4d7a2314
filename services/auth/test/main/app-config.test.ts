// The app's configuration document (auth.appConfig / auth.putAppConfig): defaults until an operator edits it,
// field-by-field changes kept in MongoDB, lists replaced whole, nothing but the document's fields stored.
import t from 'tap';
import { startHarness } from '../support/harness.js';

const h = await startHarness('authcfg', 'auth-config-test');
t.teardown(() => h.close());
const bus = h.bus;
const auth = await h.startReplica();

t.test('defaults, then edits', async (t) => {
  const first = await bus.call('auth.appConfig', {});
  t.match(first, { appName: 'VoltQ', noticeList: [], bannerList: [], jwtExpiryInMinutes: 1440, wechatAppId: '' });
  t.equal(first.updatedAt, undefined, 'never edited');

  const notice = { id: 'n1', title: '停电检修', content: '12 月 8 日 2:00–4:00', publishTime: Date.parse('2026-12-01T08:00:00Z') };
  const edited = await bus.call('auth.putAppConfig', { appName: 'VoltQ 充电', contactPhone: '400-000-0000', noticeList: [notice] });
  t.match(edited, { appName: 'VoltQ 充电', contactPhone: '400-000-0000', companyName: 'VoltQ', noticeList: [notice], updatedAt: Number });
  const again = await bus.call('auth.putAppConfig', { faq: 'Q&A' });
  t.match(again, { appName: 'VoltQ 充电', faq: 'Q&A', noticeList: [notice] }, 'absent fields stay');
  t.same((await bus.call('auth.putAppConfig', { noticeList: [] })).noticeList, [], 'a list given replaces the list');
});

t.test('only the document is stored; bad changes are refused, nothing stored', async (t) => {
  const before = await bus.call('auth.appConfig', {});
  for (const bad of [{ jwtExpiryInMinutes: 1 }, { wechatAppId: 'wx' }, { role: 'admin' }, { appName: 'x'.repeat(20_001) }, { noticeList: [{ id: 'n', title: 't' }] }, { bannerList: 'none' }]) {
    await t.rejects(bus.call('auth.putAppConfig', bad as never), { code: 'VALIDATION' }, JSON.stringify(bad).slice(0, 60));
  }
  t.same(await bus.call('auth.appConfig', {}), before);
  const stored = await auth.ctx.mongo!.collection('app_config').findOne({});
  t.same(Object.keys(stored ?? {}).filter((k) => !['_id', 'updatedAt'].includes(k)).sort(), ['appName', 'contactPhone', 'faq', 'noticeList'], 'the edited fields only');
});

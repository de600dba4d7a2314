// 004's card routes (/api/user/cards) over real RPC with a fake auth: the caller's cards only, another user's card
// refused in 004's shape, bad ids 400 with nothing stored.
import t from 'tap';
import { rpcSchemas } from '@voltq/contracts';
import { runService } from '@voltq/kit';
import { startServiceHarness } from '../../../../../../test/support/service-harness.js';
import { gatewayService } from '../../../../src/main.js';
import { serveFakeAuth } from '../../../support/fake-auth.js';
import { serveFakes } from '../../../support/fakes.js';

const h = await startServiceHarness({ label: 'gw004u', busName: 'gateway-d004-user-test', queues: Object.keys(rpcSchemas).map((m) => `rpc.${m}`) });
t.teardown(() => h.close());
await serveFakeAuth(h.bus, { adminUser: 'admin', adminPassword: 'admin-pass-1' });
serveFakes(h.bus);
const http = h.add(await runService({ ...gatewayService, env: h.env(), exit: false })).ctx.http;

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) {
  const res = await http.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() };
}
const register = async (username: string) => (await call('POST', '/api/user/register', undefined, { username, password: `${username}-password` })).body.data.token as string;

const ann = await register('ann004');
const ben = await register('ben004');

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

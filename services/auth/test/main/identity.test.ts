// Issue 10, "One identity everywhere" (auth side): every dialect's login names are one namespace, unique by
// usernameKey (case and surrounding blanks do not make a second account); an e-mail account (002) is a username
// like any other; the dialects' own register fields (000's email and first car's battery) go through the one
// auth.register; 002's password change; bad input is VALIDATION and stores nothing; accounts stored before the key
// existed are keyed at start and still log in.
import t from 'tap';
import { connectMongo, DomainError } from '@voltq/kit';
import { Accounts } from '../../src/domain/accounts.js';
import { hashPassword } from '../../src/domain/passwords.js';
import { MongoAccountStore } from '../../src/store/accounts.js';
import { authModels } from '../../src/store/models.js';
import { loadSigningKeys } from '../../src/store/signing-keys.js';
import { startHarness, outcome } from '../support/harness.js';

const SCRYPT = { N: 16384, r: 8, p: 1 };
const h = await startHarness('authid', 'auth-identity-test');
t.teardown(() => h.close());
const bus = h.bus;

// Two accounts stored before usernameKey existed, differing only by case (possible then): written straight into
// auth's collection before auth starts, as an older auth left them.
const conn = await connectMongo(h.mongo.uri, { dbName: h.ns });
t.teardown(() => conn.close());
const legacyHash = await hashPassword('legacy-password', SCRYPT);
const legacy = { role: 'user', nickname: '', avatar: '', gender: 0, passwordHash: legacyHash };
await conn.collection('users').insertMany([
  { ...legacy, userId: '9001', username: 'LegacyBob', createdAt: 1 },
  { ...legacy, userId: '9002', username: 'legacybob', createdAt: 2 },
]);

const auth = await h.startReplica({ VOLTQ_ADMIN_PASSWORD: 'root-password-1' });
const users = auth.ctx.mongo!.collection('users');

t.test('an e-mail account (002) logs in by the same name at every door, whatever its case', async (t) => {
  const ann = await bus.call('auth.register', { username: 'Ann.Lee@Example.com', password: 'ann-pw', nickname: 'Ann', email: 'Ann.Lee@Example.com' });
  for (const name of ['Ann.Lee@Example.com', 'ann.lee@example.com', '  ANN.LEE@EXAMPLE.COM ']) {
    t.equal((await bus.call('auth.login', { username: name, password: 'ann-pw' })).userId, ann.userId, `login as ${JSON.stringify(name)}`);
  }
  t.equal(ann.username, 'Ann.Lee@Example.com', 'shown as registered');
  t.match(await bus.call('auth.userInfo', { userId: ann.userId }), { username: 'Ann.Lee@Example.com', nickname: 'Ann', email: 'Ann.Lee@Example.com' });
  t.equal(await outcome(bus.call('auth.login', { username: 'ann.lee@example.com', password: 'Ann-pw' })), 'UNAUTHORIZED', 'the password is not case-folded');
  t.equal(await outcome(bus.call('auth.adminLogin', { username: 'ann.lee@example.com', password: 'ann-pw' })), 'UNAUTHORIZED', 'no admin');
  t.equal(await outcome(bus.call('auth.register', { username: 'ann.lee@example.com', password: 'other-pw' })), 'CONFLICT', 'taken in another case');
});

t.test('a 004 username: still logs in; the same name in another case or with blanks is taken', async (t) => {
  const climber = await bus.call('auth.register', { username: 'climber01', password: 'climber-password', gender: 1 });
  t.equal((await bus.call('auth.login', { username: 'climber01', password: 'climber-password' })).userId, climber.userId);
  for (const name of ['Climber01', 'CLIMBER01', ' climber01', 'climber01\t']) {
    const err = await bus.call('auth.register', { username: name, password: 'x-password' }).catch((e: unknown) => e);
    t.ok(err instanceof DomainError && err.code === 'CONFLICT' && err.message === 'username exists', `${JSON.stringify(name)} refused as taken`);
  }
  t.equal(await users.countDocuments({ usernameKey: 'climber01' }), 1, 'one account');
  t.equal((await bus.call('auth.login', { username: 'Climber01', password: 'climber-password' })).userId, climber.userId, 'found by its key');
  // blanks around a new name are not part of it
  const spaced = await bus.call('auth.register', { username: '  spaced-name ', password: 'spaced-pw' });
  t.equal(spaced.username, 'spaced-name');
  t.equal((await users.findOne({ userId: spaced.userId }))?.username, 'spaced-name', 'stored trimmed');
});

t.test("000's registration through the one RPC: e-mail and the first car with its battery", async (t) => {
  const wyc = await bus.call('auth.register', { username: 'wyc2002', password: '123456wyc', email: 'wengyuechuan@163.com', carId: 'ZJ-C0001', carCapacityWms: 60 * 3_600_000_000 });
  const info = await bus.call('auth.userInfo', { userId: wyc.userId });
  t.equal(info.email, 'wengyuechuan@163.com');
  t.match(info.cars, [{ carId: 'ZJ-C0001', plate: 'ZJ-C0001', capacityWms: 60 * 3_600_000_000 }]);
  // and 002's door takes this plain username too
  t.equal((await bus.call('auth.login', { username: 'wyc2002', password: '123456wyc' })).userId, wyc.userId);
});

t.test('bad input is VALIDATION and stores nothing', async (t) => {
  const before = await users.countDocuments();
  for (const params of [
    { username: 'bad-mail', password: 'pw-1', email: 'not-an-email' },
    { username: 'bad-mail2', password: 'pw-1', email: 'a@b' },
    { username: 'bad-mail3', password: 'pw-1', email: `${'a'.repeat(250)}@b.cn` },
    { username: '   ', password: 'pw-1' },
    { username: '', password: 'pw-1' },
    { username: `${'a'.repeat(255)}`, password: 'pw-1' },
    // the dialects' own field names are the gateway's to map; auth takes only its own
    { username: 'raw-002', password: 'pw-1', account: 'raw-002@x.cn', name: 'n' },
    { username: 'raw-001', password: 'pw-1', code: '1234' },
    { username: 'raw-000', password: 'pw-1', license_plate: 'ZJ-1' },
    { username: 'cap-text', password: 'pw-1', carId: 'ZJ-C0002', carCapacityWms: '60' },
  ]) {
    t.equal(await outcome(bus.call('auth.register', params as never)), 'VALIDATION', `refused: ${JSON.stringify(params).slice(0, 80)}`);
  }
  t.equal(await users.countDocuments(), before, 'no account stored');
  t.equal(await conn.collection('cars').countDocuments({ carId: 'ZJ-C0002' }), 0, 'no car stored');

  // Accounts called past the RPC schema: the same refusals, nothing stored
  const direct = new Accounts({
    store: new MongoAccountStore(conn, await authModels(conn)),
    keys: await loadSigningKeys(conn),
    tokenTtlSeconds: 600,
    scrypt: SCRYPT,
    now: () => Date.now(),
  });
  t.equal(await outcome(direct.register({ username: 'direct-bad', password: 'pw-1', email: 'nope' })), 'VALIDATION');
  t.equal(await outcome(direct.register({ username: ' \t ', password: 'pw-1' })), 'VALIDATION');
  t.equal(await users.countDocuments(), before, 'still no account stored');

  const me = await bus.call('auth.login', { username: 'climber01', password: 'climber-password' });
  const stored = await users.findOne({ userId: me.userId });
  t.equal(await outcome(bus.call('auth.updateProfile', { userId: me.userId, email: 'no-at-sign' })), 'VALIDATION');
  t.equal(await outcome(direct.updateProfile({ userId: me.userId, email: 'no-at-sign' })), 'VALIDATION', 'also past the schema');
  t.equal(await outcome(bus.call('auth.updateProfile', { userId: me.userId, phone: '123' } as never)), 'VALIDATION', 'phone is no profile field');
  t.same(await users.findOne({ userId: me.userId }), stored, 'the account did not change');
  t.match(await bus.call('auth.updateProfile', { userId: me.userId, email: 'climber@example.org' }), { email: 'climber@example.org', username: 'climber01' });
  t.same(await users.findOne({ userId: me.userId }), { ...stored, email: 'climber@example.org' }, 'only the e-mail changed');
});

t.test("002's password change: the old password first", async (t) => {
  const dee = await bus.call('auth.register', { username: 'dee@example.com', password: 'old-password' });
  t.equal(await outcome(bus.call('auth.changePassword', { userId: dee.userId, oldPassword: 'not-it', newPassword: 'new-password' })), 'UNAUTHORIZED');
  t.equal((await bus.call('auth.login', { username: 'dee@example.com', password: 'old-password' })).userId, dee.userId, 'unchanged');
  t.equal(await outcome(bus.call('auth.changePassword', { userId: dee.userId, oldPassword: 'old-password', newPassword: '' })), 'VALIDATION');
  t.equal(await outcome(bus.call('auth.changePassword', { userId: dee.userId, oldPassword: 'old-password', newPassword: 'x-1', role: 'admin' } as never)), 'VALIDATION');
  t.equal(await outcome(bus.call('auth.changePassword', { userId: '999999', oldPassword: 'a', newPassword: 'b' })), 'NOT_FOUND');
  t.same(await bus.call('auth.changePassword', { userId: dee.userId, oldPassword: 'old-password', newPassword: 'new-password' }), { userId: dee.userId });
  t.equal(await outcome(bus.call('auth.login', { username: 'dee@example.com', password: 'old-password' })), 'UNAUTHORIZED', 'the old one no longer');
  t.equal((await bus.call('auth.login', { username: 'DEE@example.com', password: 'new-password' })).userId, dee.userId, 'the new one');
  t.equal((await bus.call('auth.userInfo', { userId: dee.userId })).role, 'user', 'nothing else changed');
});

t.test('the admin door (002 /admin/login, 003 /a/login) uses the same names and the same tokens', async (t) => {
  const admin = await bus.call('auth.adminLogin', { username: 'Root', password: 'root-password-1' });
  t.equal(admin.role, 'admin');
  t.equal(admin.username, 'root');
  t.equal(await outcome(bus.call('auth.login', { username: 'root', password: 'root-password-1' })), 'UNAUTHORIZED', 'not at the user door');
});

t.test('accounts from before the key: keyed at start, each still logs in by its own name', async (t) => {
  t.equal((await users.findOne({ userId: '9001' }))?.usernameKey, 'legacybob', 'the older one got the key');
  t.notOk((await users.findOne({ userId: '9002' }))?.usernameKey, 'the younger one, colliding, has none');
  t.equal((await bus.call('auth.login', { username: 'LegacyBob', password: 'legacy-password' })).userId, '9001');
  t.equal((await bus.call('auth.login', { username: 'legacybob', password: 'legacy-password' })).userId, '9002', 'by its exact name');
  t.equal((await bus.call('auth.login', { username: 'LEGACYBOB', password: 'legacy-password' })).userId, '9001', 'another case: the keyed one');
  t.equal(await outcome(bus.call('auth.register', { username: 'legacyBOB', password: 'pw-1' })), 'CONFLICT', 'the name stays taken');
  // a second replica starting later changes nothing
  await h.startReplica({ VOLTQ_ADMIN_PASSWORD: 'root-password-1' });
  t.notOk((await users.findOne({ userId: '9002' }))?.usernameKey);
  t.equal((await bus.call('auth.login', { username: 'LegacyBob', password: 'legacy-password' })).userId, '9001');
});

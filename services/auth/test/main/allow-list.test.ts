// Issue 8, defect 1 (auth side) and 7: every auth write takes an explicit allow-list of fields. A profile update
// can never reach role, username, passwordHash, createdAt, ids or balances (not through the RPC, whose params are
// closed, nor by calling Accounts with a body that skipped the schema); auth.principal tells the gateway whether a
// token's subject still exists and with which role; a login of an unknown user runs the same KDF as a known one.
import t from 'tap';
import { connectMongo, DomainError } from '@voltq/kit';
import { Accounts, type AccountsOptions } from '../../src/domain/accounts.js';
import { parseHash, verifyPassword } from '../../src/domain/passwords.js';
import { MongoAccountStore } from '../../src/store/accounts.js';
import { authModels } from '../../src/store/models.js';
import { loadSigningKeys } from '../../src/store/signing-keys.js';
import { startHarness, outcome } from '../support/harness.js';

const h = await startHarness('authal', 'auth-allow-list-test');
t.teardown(() => h.close());
const bus = h.bus;
const auth = await h.startReplica({ VOLTQ_ADMIN_PASSWORD: 'root-password-1' });
const users = auth.ctx.mongo!.collection('users');

// Accounts called directly (no RPC schema in between), on a second connection to auth's database
const conn = await connectMongo(h.mongo.uri, { dbName: h.ns });
t.teardown(() => conn.close());
const directAccounts = async (over: Partial<AccountsOptions> = {}) =>
  new Accounts({
    store: new MongoAccountStore(conn, await authModels(conn)),
    keys: await loadSigningKeys(conn),
    tokenTtlSeconds: 600,
    scrypt: { N: 16384, r: 8, p: 1 },
    now: () => Date.now(),
    ...over,
  });
const accounts = await directAccounts();

const victim = await bus.call('auth.register', { username: 'mallory', password: 'mallory-pw-1' });
const other = await bus.call('auth.register', { username: 'trent', password: 'trent-pw-1' });
const original = await users.findOne({ userId: victim.userId });

t.test('auth.updateProfile refuses every field outside the profile, and stores nothing', async (t) => {
  for (const extra of [
    { role: 'admin' },
    { passwordHash: 'x' },
    { username: 'trent' },
    { username: 'mallory2' },
    { createdAt: 'x' },
    { createdAt: 1 },
    { lastLoginAt: 1 },
    { _id: 'abc' },
    { balance: 1_000_000 },
    { balanceFen: 1_000_000 },
    { points: 5 },
    { nickname: 'ok', role: 'admin' },
  ]) {
    const params = { userId: victim.userId, ...extra } as never;
    t.equal(await outcome(bus.call('auth.updateProfile', params)), 'VALIDATION', `refused: ${JSON.stringify(extra)}`);
  }
  t.same(await users.findOne({ userId: victim.userId }), original, 'the document did not change');
  t.equal((await bus.call('auth.login', { username: 'mallory', password: 'mallory-pw-1' })).role, 'user', 'the owner still logs in, still a user');
  t.equal(await outcome(bus.call('auth.adminLogin', { username: 'mallory', password: 'mallory-pw-1' })), 'UNAUTHORIZED', 'and is no admin');
  t.equal((await bus.call('auth.userInfo', { userId: other.userId })).username, 'trent', 'the other account is untouched');
});

t.test('Accounts.updateProfile writes only the allow-list even when the schema was skipped', async (t) => {
  const before = await users.findOne({ userId: victim.userId });
  const info = await accounts.updateProfile({
    userId: victim.userId,
    nickname: 'Mal',
    city: 'Hangzhou',
    role: 'admin',
    username: 'trent',
    passwordHash: 'x',
    createdAt: 'x',
    _id: 'zzz',
    balance: 99,
    $where: 'true',
  } as never);
  t.match(info, { nickname: 'Mal', city: 'Hangzhou', role: 'user', username: 'mallory', createdAt: before?.createdAt });
  const after = await users.findOne({ userId: victim.userId });
  t.same(after, { ...before, nickname: 'Mal', city: 'Hangzhou' }, 'only nickname and city changed');
  t.equal((await bus.call('auth.login', { username: 'mallory', password: 'mallory-pw-1' })).userId, victim.userId, 'password unchanged');
  t.equal(await outcome(accounts.updateProfile({ userId: victim.userId, nickname: { $gt: '' } } as never)), 'VALIDATION', 'a field of the wrong type is refused');
});

t.test('the other auth writes are closed too: register, cars', async (t) => {
  t.equal(await outcome(bus.call('auth.register', { username: 'eve-admin', password: 'eve-pw-123', role: 'admin' } as never)), 'VALIDATION');
  t.equal(await outcome(bus.call('auth.register', { username: 'eve-hash', password: 'eve-pw-123', passwordHash: 'x' } as never)), 'VALIDATION');
  t.equal(await outcome(bus.call('auth.register', { username: 'eve-id', password: 'eve-pw-123', userId: '1' } as never)), 'VALIDATION');
  t.equal(await users.countDocuments({ username: { $in: ['eve-admin', 'eve-hash', 'eve-id'] } }), 0, 'no account created');
  t.equal(await outcome(bus.call('auth.addCar', { userId: victim.userId, plate: 'ZJ-X1', createdAt: 'x' } as never)), 'VALIDATION');
  t.equal(await outcome(bus.call('auth.addCar', { userId: victim.userId, plate: 'ZJ-X1', ownerId: other.userId } as never)), 'VALIDATION');
  t.same((await bus.call('auth.listCars', { userId: victim.userId })).items, [], 'no car stored');
  const car = await bus.call('auth.addCar', { userId: victim.userId, plate: 'ZJ-X1' });
  t.equal(await outcome(bus.call('auth.removeCar', { userId: victim.userId, carId: car.carId, force: true } as never)), 'VALIDATION');
  t.equal((await bus.call('auth.listCars', { userId: victim.userId })).items.length, 1, 'the car is still there');
  // a registration named like an existing account is a clean CONFLICT, never a 500
  t.equal(await outcome(bus.call('auth.register', { username: 'trent', password: 'whatever-1' })), 'CONFLICT');
});

t.test('auth.principal: exists and role of a user id', async (t) => {
  t.same(await bus.call('auth.principal', { userId: victim.userId }), { userId: victim.userId, exists: true, role: 'user' });
  const root = await bus.call('auth.adminLogin', { username: 'root', password: 'root-password-1' });
  t.same(await bus.call('auth.principal', { userId: root.userId }), { userId: root.userId, exists: true, role: 'admin' });
  t.same(await bus.call('auth.principal', { userId: '999999' }), { userId: '999999', exists: false });
  await users.deleteOne({ userId: other.userId });
  t.same(await bus.call('auth.principal', { userId: other.userId }), { userId: other.userId, exists: false }, 'a deleted user');
});

t.test('login: a known and an unknown username cost one KDF run each, at the same cost, and get the same error', async (t) => {
  // the same collections, an Accounts whose password check is counted
  const runs: { stored: string }[] = [];
  const counted = await directAccounts({
    verifyPassword: async (password, stored) => (runs.push({ stored }), verifyPassword(password, stored)),
  });
  const known = await outcome(counted.login('mallory', 'wrong-password', 'user'));
  const knownErr = await counted.login('mallory', 'wrong-password', 'user').catch((e: DomainError) => e);
  t.equal(runs.length, 2, 'one KDF run per attempt for a known user');
  const unknown = await outcome(counted.login('nobody-here', 'wrong-password', 'user'));
  const unknownErr = await counted.login('nobody-here', 'wrong-password', 'user').catch((e: DomainError) => e);
  t.equal(runs.length, 4, 'and one for an unknown user');
  t.equal(known, 'UNAUTHORIZED');
  t.equal(unknown, 'UNAUTHORIZED');
  t.same({ ...(unknownErr as DomainError) }, { ...(knownErr as DomainError) }, 'the same error, field by field');
  t.equal((unknownErr as DomainError).message, (knownErr as DomainError).message);
  t.same(parseHash(runs[2]!.stored)?.params, parseHash(runs[0]!.stored)?.params, 'the dummy hash has the same cost parameters');
  t.equal(await outcome(counted.login('root', 'root-password-1', 'user')), 'UNAUTHORIZED', 'an admin at the user door: the same refusal');
  t.equal(runs.length, 5);
});

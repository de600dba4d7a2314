// auth in-process over real RabbitMQ/Redis and the embedded MongoDB: registration, login, the shared signing key
// and its JWKS, the admin bootstrap, cars.
import t from 'tap';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { JWT_AUDIENCE, JWT_ISSUER, type Jwks } from '@voltq/contracts';
import { DomainError } from '@voltq/kit';
import { startHarness } from '../support/harness.js';

const h = await startHarness('auth', 'auth-test');
t.teardown(() => h.close());
const bus = h.bus;
const { announced, startReplica } = h;
const first = await startReplica();

async function rejects(p: Promise<unknown>, code: string): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError && err.code === code) return err;
    throw err;
  }
  throw new Error(`expected ${code}`);
}

async function verify(token: string, jwks: Jwks) {
  return jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), { issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
}

t.test('the first admin is bootstrapped with a generated password shown once', async (t) => {
  t.equal(announced.length, 1, 'one line announced');
  const password = /password "([^"]+)"/.exec(announced[0] ?? '')?.[1];
  t.ok(password && password.length >= 20, 'a long random password');
  const admin = await bus.call('auth.adminLogin', { username: 'root', password: password! });
  t.equal(admin.role, 'admin');
  const claims = (await verify(admin.token, await bus.call('auth.jwks', {}))).payload;
  t.equal(claims.role, 'admin');
  t.equal(claims.sub, admin.userId);
  // the user door does not let an admin in, and the admin door does not take a wrong password
  await rejects(bus.call('auth.login', { username: 'root', password: password! }), 'UNAUTHORIZED');
  await rejects(bus.call('auth.adminLogin', { username: 'root', password: 'not-it' }), 'UNAUTHORIZED');
});

t.test('register, login, duplicate and wrong password', async (t) => {
  const alice = await bus.call('auth.register', { username: 'alice', password: 'correct horse', carId: 'ZJ-A1234' });
  t.match(alice.userId, /^[1-9]\d*$/, 'decimal integer user id');
  t.equal(alice.role, 'user');
  t.ok(alice.token.split('.').length === 3, 'a JWT');

  const bob = await bus.call('auth.register', { username: 'bob', password: 'battery staple' });
  t.equal(Number(bob.userId), Number(alice.userId) + 1, 'ids come from a counter');

  const dup = await rejects(bus.call('auth.register', { username: 'alice', password: 'whatever1' }), 'CONFLICT');
  t.equal(dup.message, 'username exists');

  const login = await bus.call('auth.login', { username: 'alice', password: 'correct horse' });
  t.equal(login.userId, alice.userId);
  const wrong = await rejects(bus.call('auth.login', { username: 'alice', password: 'correct horsE' }), 'UNAUTHORIZED');
  const unknown = await rejects(bus.call('auth.login', { username: 'nobody', password: 'correct horse' }), 'UNAUTHORIZED');
  t.equal(wrong.message, unknown.message, 'an unknown user and a wrong password look the same');

  const info = await bus.call('auth.userInfo', { userId: alice.userId });
  t.equal(info.username, 'alice');
  t.equal(info.nickname, 'alice', 'nickname defaults to the username');
  t.same(info.cars.map((c) => c.carId), ['ZJ-A1234'], 'the car given at registration');
  t.ok(info.lastLoginAt, 'last login recorded');
  await rejects(bus.call('auth.userInfo', { userId: '999999' }), 'NOT_FOUND');

  const updated = await bus.call('auth.updateProfile', { userId: alice.userId, nickname: 'Alice', gender: 2, city: 'Hangzhou' });
  t.match(updated, { nickname: 'Alice', gender: 2, city: 'Hangzhou', username: 'alice' });
  t.equal((await bus.call('auth.updateProfile', { userId: alice.userId })).nickname, 'Alice', 'absent fields stay');
  await rejects(bus.call('auth.updateProfile', { userId: '999999', nickname: 'x' }), 'NOT_FOUND');
});

t.test('passwords are stored as salted scrypt hashes', async (t) => {
  await bus.call('auth.register', { username: 'carol', password: 'same password' });
  await bus.call('auth.register', { username: 'dave', password: 'same password' });
  const users = first.ctx.mongo!.collection('users');
  const carol = await users.findOne({ username: 'carol' });
  const dave = await users.findOne({ username: 'dave' });
  t.match(carol?.passwordHash, /^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/, 'scrypt with explicit N/r/p');
  t.not(carol?.passwordHash, dave?.passwordHash, 'per-user salt');
  t.notMatch(JSON.stringify(carol), /same password/, 'no clear text stored');
});

t.test('concurrent registrations get distinct ids', async (t) => {
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => bus.call('auth.register', { username: `racer${i}`, password: 'pw-racer' })),
  );
  const ids = results.map((r) => Number(r.userId));
  t.equal(new Set(ids).size, 6);
  const racers = await Promise.allSettled(
    Array.from({ length: 3 }, () => bus.call('auth.register', { username: 'samename', password: 'pw-samename' })),
  );
  t.equal(racers.filter((r) => r.status === 'fulfilled').length, 1, 'one of three racing for a name wins');
});

t.test('the JWKS verifies tokens; claims and lifetime', async (t) => {
  const jwks = await bus.call('auth.jwks', {});
  t.equal(jwks.keys.length, 1);
  const key = jwks.keys[0]!;
  t.equal(key.crv, 'Ed25519');
  t.notOk('d' in key, 'no private part published');
  const login = await bus.call('auth.login', { username: 'bob', password: 'battery staple' });
  t.equal(decodeProtectedHeader(login.token).kid, key.kid, 'kid set');
  const { payload } = await verify(login.token, jwks);
  t.equal(payload.sub, login.userId);
  t.equal(payload.role, 'user');
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 24 * 3600, '24 h by default');
  t.equal(login.expiresAt, (payload.exp ?? 0) * 1000);
  // a tampered token fails
  const [h, p, s] = login.token.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url');
  await t.rejects(verify(`${h}.${forged}.${s}`, jwks));
  t.ok(p);
});

t.test('a second replica signs with the same key; a configured admin password resets the admin', async (t) => {
  const before = await bus.call('auth.jwks', {});
  const second = await startReplica({ VOLTQ_ADMIN_PASSWORD: 'operator-chosen-1', TOKEN_TTL_SECONDS: '600' });
  t.equal(announced.length, 1, 'nothing announced again');
  // stop the first replica so the call is served by the second
  await first.ctx.bus.stopConsuming();
  const admin = await bus.call('auth.adminLogin', { username: 'root', password: 'operator-chosen-1' });
  const { payload } = await verify(admin.token, before);
  t.equal(payload.role, 'admin', 'token of the second replica verifies with the first JWKS');
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600, 'TOKEN_TTL_SECONDS');
  t.same(await bus.call('auth.jwks', {}), before);
  t.ok(second);
});

t.test('cars: add, list, get, remove; only the owner sees them', async (t) => {
  const erin = await bus.call('auth.register', { username: 'erin', password: 'pw-erin-1' });
  const frank = await bus.call('auth.register', { username: 'frank', password: 'pw-frank-1' });
  const car = await bus.call('auth.addCar', { userId: erin.userId, plate: 'ZJ-B0001', capacityWms: 60 * 3_600_000_000 });
  t.equal(car.plate, 'ZJ-B0001');
  await rejects(bus.call('auth.addCar', { userId: erin.userId, plate: 'ZJ-B0001' }), 'CONFLICT');
  t.same((await bus.call('auth.listCars', { userId: erin.userId })).items.map((c) => c.carId), [car.carId]);
  t.equal((await bus.call('auth.getCar', { userId: erin.userId, carId: car.carId })).capacityWms, 60 * 3_600_000_000);
  await rejects(bus.call('auth.getCar', { userId: frank.userId, carId: car.carId }), 'NOT_FOUND');
  await rejects(bus.call('auth.removeCar', { userId: frank.userId, carId: car.carId }), 'NOT_FOUND');
  await bus.call('auth.removeCar', { userId: erin.userId, carId: car.carId });
  t.same((await bus.call('auth.listCars', { userId: erin.userId })).items, []);
});

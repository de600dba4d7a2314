// Pure parts: config loading, log redaction, clock math, ISO formatting, local clock.
import t from 'tap';
import { Writable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { ConfigError, envName, loadConfig, serviceConfigSchema, baseConfigSchema } from '../src/config.js';
import { createLogger, withCorrelation } from '../src/logger.js';
import { clockTime, nextClockState, realDelayFor, initialClockState, parseClockHash, clockHash } from '../src/clock-math.js';
import { createLocalClock } from '../src/clock.js';
import { formatIso } from '../src/time.js';
import { DomainError, isDomainError } from '../src/errors.js';

t.test('config: names, conversion, defaults', async (t) => {
  t.equal(envName('rpcTimeoutMs'), 'RPC_TIMEOUT_MS');
  t.equal(envName('voltqNs'), 'VOLTQ_NS');
  t.equal(envName('x', Type.String({ env: 'CUSTOM_X' })), 'CUSTOM_X');
  const schema = serviceConfigSchema('scheduler', {
    shardCount: Type.Integer({ minimum: 1, default: 4 }),
    dryRun: Type.Boolean({ default: false }),
    apiKey: Type.String(),
  });
  const c = loadConfig(schema, { VOLTQ_NS: 'test1', RPC_TIMEOUT_MS: '250', DRY_RUN: 'true', API_KEY: 'k', LOG_LEVEL: '' });
  t.equal(c.voltqNs, 'test1');
  t.equal(c.rpcTimeoutMs, 250, 'numbers are converted');
  t.equal(c.dryRun, true, 'booleans are converted');
  t.equal(c.shardCount, 4, 'defaults apply');
  t.equal(c.httpPort, 8083, 'the service port default');
  t.equal(c.serviceName, 'scheduler');
  t.equal(c.logLevel, 'info', 'an empty variable counts as unset');
  t.equal(c.amqpUrl, 'amqp://guest:guest@127.0.0.1:5672');
  const base = loadConfig(baseConfigSchema, {});
  t.equal(base.httpPort, 8080);
});

t.test('config: every bad or missing variable is named in one error', async (t) => {
  const schema = serviceConfigSchema('billing', { apiKey: Type.String({ minLength: 1 }) });
  const err = (() => {
    try {
      loadConfig(schema, { HTTP_PORT: 'eighty', LOG_LEVEL: 'loud', RPC_TIMEOUT_MS: '-5', AMQP_URL: 'http://x' });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof ConfigError);
  const e = err as ConfigError;
  t.same(e.issues.map((i) => i.variable).sort(), ['AMQP_URL', 'API_KEY', 'HTTP_PORT', 'LOG_LEVEL', 'RPC_TIMEOUT_MS']);
  t.match(e.message, /HTTP_PORT: .*integer.*got "eighty"/);
  t.match(e.message, /API_KEY: is required/);
  t.match(e.message, /LOG_LEVEL: .*"info"/, 'lists the allowed values');
  t.match(e.message, /RPC_TIMEOUT_MS: .*>= 1/);
});

t.test('logger: JSON with service and correlation id, secrets redacted', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _e, cb) => void (lines.push(String(chunk)), cb()) });
  const log = createLogger({ service: 'auth', destination: sink });
  withCorrelation(log, 'corr-9').info(
    { password: 'p1', user: { token: 't1', name: 'ann' }, req: { headers: { authorization: 'Bearer x' } }, secret: 's' },
    'login',
  );
  const rec = JSON.parse(lines[0]!) as Record<string, any>;
  t.equal(rec.service, 'auth');
  t.equal(rec.correlationId, 'corr-9');
  t.equal(rec.level, 'info');
  t.equal(rec.msg, 'login');
  t.equal(rec.password, '[redacted]');
  t.equal(rec.secret, '[redacted]');
  t.equal(rec.user.token, '[redacted]');
  t.equal(rec.user.name, 'ann');
  t.equal(rec.req.headers.authorization, '[redacted]');
  t.notMatch(lines[0]!, /p1|t1|Bearer/);
  log.info({ url: '/user/log?token=tok-1&num=3', path: '/user/charge?token=tok-2' }, 'request');
  log.info({ url: '/api/user/info' }, 'plain');
  const [withQuery, plain] = lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(withQuery!.url, '/user/log?[redacted]', 'a query string is never logged');
  t.equal(withQuery!.path, '/user/charge?[redacted]');
  t.equal(plain!.url, '/api/user/info', 'a URL without a query is logged as it is');
  t.notMatch(lines.join(''), /tok-1|tok-2/);
});

t.test('clock math', async (t) => {
  const r0 = 1_000_000;
  const real = initialClockState(r0);
  t.equal(clockTime(real, r0 + 500), r0 + 500, 'real follows real time');

  const manual = nextClockState(real, { mode: 'manual' }, r0 + 100);
  t.equal(manual.mode, 'manual');
  t.equal(clockTime(manual, r0 + 100), r0 + 100, 'manual freezes the current instant');
  t.equal(clockTime(manual, r0 + 99_999), r0 + 100, 'and stands still');
  t.equal(manual.version, 1);

  const set = nextClockState(manual, { mode: 'manual', timeMs: 5_000_000 }, r0 + 200);
  t.equal(clockTime(set, r0 + 10_000), 5_000_000, 'manual set');

  const scaled = nextClockState(set, { mode: 'scaled', speed: 10 }, r0 + 300);
  t.equal(clockTime(scaled, r0 + 300), 5_000_000, 'scaled continues from the frozen instant');
  t.equal(clockTime(scaled, r0 + 1300), 5_010_000, '10x');
  t.equal(realDelayFor(scaled, 60_000), 6000, 'a clock minute is 6 real seconds at 10x');
  t.equal(realDelayFor(manual, 60_000), Infinity);
  t.equal(realDelayFor(real, 5), 5);

  const rescaled = nextClockState(scaled, { mode: 'scaled' }, r0 + 1300);
  t.equal(rescaled.speed, 10, 'speed is kept when not given');
  t.equal(clockTime(rescaled, r0 + 1300), 5_010_000);

  const back = nextClockState(scaled, { mode: 'real' }, r0 + 2000);
  t.equal(clockTime(back, r0 + 2500), r0 + 2500, 'back to real time');

  t.throws(() => nextClockState(real, { mode: 'scaled', speed: 0 }, r0), /speed/);
  t.throws(() => nextClockState(real, { mode: 'manual', timeMs: -1 }, r0), /time/);
  t.same(parseClockHash(clockHash(scaled)), scaled, 'hash round trip');
  t.equal(parseClockHash({ mode: 'weird' }), undefined);
  t.equal(parseClockHash({}), undefined);
});

t.test('ISO formatting with offset', async (t) => {
  t.equal(formatIso(0), '1970-01-01T08:00:00.000+08:00');
  t.equal(formatIso(Date.UTC(2025, 5, 30, 16, 30, 5, 7)), '2025-07-01T00:30:05.007+08:00', 'crosses midnight');
  t.equal(formatIso(Date.UTC(2025, 0, 1), 'UTC'), '2025-01-01T00:00:00.000+00:00');
  t.equal(formatIso(Date.UTC(2025, 6, 1, 12), 'Europe/Berlin'), '2025-07-01T14:00:00.000+02:00', 'summer time');
  t.equal(new Date(formatIso(1_736_000_123_456)).getTime(), 1_736_000_123_456, 'parses back to the same instant');
});

t.test('local clock and domain errors', async (t) => {
  let real = 1000;
  const clock = createLocalClock({ realNow: () => real });
  const seen: string[] = [];
  clock.onChange((s) => seen.push(s.mode));
  await clock.set({ mode: 'manual', timeMs: 50_000 });
  real += 10_000;
  t.equal(clock.now(), 50_000);
  await t.rejects(clock.set({ mode: 'scaled', speed: -1 }), { code: 'VALIDATION' });
  t.same(seen, ['manual']);
  await clock.close();

  const e = new DomainError('NOT_FOUND', 'nope', { resource: 'order' });
  t.ok(isDomainError(e));
  t.notOk(isDomainError(new Error('x')));
  t.same(JSON.parse(JSON.stringify(e)), { code: 'NOT_FOUND', message: 'nope', details: { resource: 'order' } });
});

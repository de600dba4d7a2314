// The bin as a process: it starts on the asked port with the development account (or the configured ones), answers,
// stops on SIGTERM, and refuses a bad configuration.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { DEV_MERCHANT } from '../src/accounts.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const run = (env: Record<string, string>) => spawn(process.execPath, ['--import', 'tsx', cli], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

t.test('starts, answers with the development account, stops on SIGTERM', async (t) => {
  const child = run({ WECHAT_SANDBOX_PORT: '0' });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const q = new URLSearchParams({ appid: DEV_MERCHANT.appid, secret: DEV_MERCHANT.appSecret, js_code: 'dev-user', grant_type: 'authorization_code' });
  const session = (await (await fetch(`${url}/sns/jscode2session?${q}`)).json()) as { openid?: string };
  t.type(session.openid, 'string');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0);
});

t.test('a bad WECHAT_SANDBOX_MERCHANTS is refused with exit code 2', async (t) => {
  for (const merchants of ['{not json', '[]', '[{"appid":"wx1"}]']) {
    const child = run({ WECHAT_SANDBOX_PORT: '0', WECHAT_SANDBOX_MERCHANTS: merchants });
    const [code] = await once(child, 'exit');
    t.equal(code, 2, merchants);
  }
});

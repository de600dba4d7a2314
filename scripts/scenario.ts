// scripts/scenario: replays a timed event file against a station and prints DESIGN.md's CSV on stdout.
// Without --url the engine runs in this process; with --url a running platform is driven through its API
// (HttpDriver), printing the same bytes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EngineDriver, parseScenario, parseScenarioArgs, runScenario, SCENARIO_USAGE, scenarioInstant, ScenarioParseError,
  ScenarioUsageError, StationConfigError, type ScenarioDriver, type ScenarioSettings,
} from '@voltq/scheduling';
import { HttpDriver } from './lib/scenario-http-driver.js';

/** The admin login for --url: VOLTQ_ADMIN_USER / VOLTQ_ADMIN_PASSWORD, else the password scripts/start keeps. */
function adminLogin(): { adminUser: string; adminPassword: string } | null {
  const adminUser = process.env.VOLTQ_ADMIN_USER ?? 'admin';
  let adminPassword = process.env.VOLTQ_ADMIN_PASSWORD ?? '';
  const kept = join(process.env.VOLTQ_DATA_DIR ?? join(import.meta.dirname, '..', '.voltq'), 'admin-password');
  if (!adminPassword && existsSync(kept)) adminPassword = readFileSync(kept, 'utf8').trim();
  return adminPassword ? { adminUser, adminPassword } : null;
}

async function openDriver(settings: ScenarioSettings, url: string | null): Promise<ScenarioDriver> {
  const startMs = scenarioInstant(settings, 0, 0);
  if (url === null) return new EngineDriver(settings, startMs);
  const login = adminLogin();
  if (login === null) throw new ScenarioUsageError('--url needs the admin login: set VOLTQ_ADMIN_PASSWORD (and VOLTQ_ADMIN_USER)');
  if (!/^https?:\/\/[^/]/.test(url)) throw new ScenarioUsageError(`--url must be the gateway's http(s) URL, e.g. http://127.0.0.1:8080 (got "${url}")`);
  // The platform's clock, the station's configuration and its piles become the scenario's: say so.
  process.stderr.write(`scenario: driving ${url}: the clock is set to manual at ${settings.date} 00:00 and station "default" is reconfigured\n`);
  try {
    return await HttpDriver.open(settings, startMs, { url, ...login });
  } catch (err) {
    throw new ScenarioUsageError(`cannot drive ${url}: ${describe(err)}`);
  }
}

/** fetch's "fetch failed" hides the reason in `cause`. */
function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : e.message;
}

async function main(argv: string[]): Promise<number> {
  let invocation;
  try {
    invocation = parseScenarioArgs(argv);
  } catch (err) {
    if (err instanceof ScenarioUsageError) {
      process.stderr.write(`scenario: ${err.message}\n${SCENARIO_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const { file, url, settings } = invocation;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`scenario: cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  let driver;
  try {
    const lines = parseScenario(text);
    driver = await openDriver(settings, url);
    // Rows are buffered into large writes: a long scenario prints one row per event.
    let buffer: string[] = [];
    let size = 0;
    const flush = () => {
      if (buffer.length > 0) process.stdout.write(buffer.join(''));
      buffer = [];
      size = 0;
    };
    await runScenario(lines, settings, driver, (chunk) => {
      buffer.push(chunk);
      size += chunk.length;
      if (size > 1 << 16) flush();
    });
    flush();
  } catch (err) {
    if (err instanceof ScenarioUsageError) {
      process.stderr.write(`scenario: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ScenarioParseError || err instanceof StationConfigError) {
      process.stderr.write(`scenario: ${file}: ${err.message}\n`);
      return 2;
    }
    // A platform that stops answering half-way: a clear line, not a stack trace.
    if (url !== null) {
      process.stderr.write(`scenario: ${url}: ${describe(err)}\n`);
      return 1;
    }
    throw err;
  } finally {
    await driver?.close();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

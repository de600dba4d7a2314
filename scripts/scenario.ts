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
  return HttpDriver.open(settings, startMs, { url, ...login });
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
    throw err;
  } finally {
    await driver?.close();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

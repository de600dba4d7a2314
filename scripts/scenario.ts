// scripts/scenario: replays a timed event file against a station and prints DESIGN.md's CSV on stdout.
// Without --url the engine runs in this process; the --url driver (a running platform) comes with the
// scheduler service and plugs in as another ScenarioDriver, printing the same bytes.
import { readFileSync } from 'node:fs';
import {
  EngineDriver, parseScenario, parseScenarioArgs, runScenario, SCENARIO_USAGE, scenarioInstant, ScenarioParseError,
  ScenarioUsageError, StationConfigError,
} from '../packages/scheduling/src/index.js';

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
  if (url !== null) {
    process.stderr.write('scenario: --url needs the scheduler service driver, which is not available yet\n');
    return 2;
  }
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
    driver = new EngineDriver(settings, scenarioInstant(settings, 0, 0));
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

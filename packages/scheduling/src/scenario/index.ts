// The scenario runner's building blocks (the CLI is scripts/scenario -> scripts/scenario.ts).
export { parseScenario, ScenarioParseError } from './parse.js';
export type { ScenarioAction, ScenarioLine } from './parse.js';
export type { DriverOutcome, ScenarioDriver, StationSnapshot } from './driver.js';
export { EngineDriver } from './engine-driver.js';
export {
  csvField, csvRow, headerRow, refusalReason, REFUSAL_REASONS, renderScenario, runScenario, snapshotCells,
} from './run.js';
export {
  DEFAULT_SCENARIO_DATE, DEFAULT_SCENARIO_SETTINGS, parseScenarioArgs, scenarioClock, scenarioInstant, SCENARIO_USAGE,
  ScenarioUsageError, stationConfigOf,
} from './settings.js';
export type { ScenarioInvocation, ScenarioSettings } from './settings.js';

// @voltq/scheduling: the queue-station engine (pure, deterministic; time is always an argument).
export { applyCommand, nextDueAt, MAX_REQUEST_WMS } from './commands.js';
export { createStation, StationConfigError } from './state.js';
export { DEFAULT_CONFIG, readStoredConfig, resolveConfig } from './config.js';
export { minTotalAssignment, pickPile, pileBacklogMs } from './dispatch.js';
export type { SolverPile } from './dispatch.js';
export { board, position, pileTotals, stateAt } from './queries.js';
export type { Board, BoardCar, BoardPile, CarFigures, CarState, PileTotalsRow, Position } from './queries.js';
export type * from './types.js';
export * from './scenario/index.js';

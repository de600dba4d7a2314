// @voltq/pile-sim: the JSON pile protocol as both of its sides use it (message schemas and parsing, TCP framing,
// secret derivation) and a simulated pile speaking it (scripts/simulate-piles, the fault tests, service tests).
export * from './protocol.js';
export * from './framing.js';
export * from './secrets.js';
export * from './args.js';
export * from './client.js';
export * from './ports.js';
export * from './walkup.js';
export * from './ocpp-client.js';

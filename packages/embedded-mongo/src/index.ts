// @voltq/embedded-mongo: a MongoDB wire-protocol server for development and tests (see README.md).
export { startEmbeddedMongo } from './server.js';
export type { EmbeddedMongo, EmbeddedMongoLogger, EmbeddedMongoOptions } from './server.js';

// Handshake and server information: the server presents itself as a standalone mongod 7.0 (wire version 21)
// without compressors or topologyVersion (which would switch the driver to streaming heartbeats).
import os from 'node:os';
import { MAX_BSON_OBJECT_BYTES, MAX_MESSAGE_BYTES } from '../wire/protocol.js';
import type { Document } from '../storage/values.js';
import type { CommandContext, CommandHandler } from './common.js';

export const SERVER_VERSION = '7.0.0';
export const MAX_WIRE_VERSION = 21;
const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

function helloReply(ctx: CommandContext, legacy: boolean): Document {
  const reply: Document = legacy ? { ismaster: true } : { isWritablePrimary: true };
  Object.assign(reply, {
    helloOk: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    // Makes the driver attach lsid and end its sessions at close, as with a real standalone.
    logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  });
  return reply;
}

const hello: CommandHandler = (_cmd, ctx) => helloReply(ctx, false);
const isMaster: CommandHandler = (_cmd, ctx) => helloReply(ctx, true);
const ping: CommandHandler = () => ({ ok: 1 });
const ok: CommandHandler = () => ({ ok: 1 });

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'embedded-mongo',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
  storageEngines: ['embedded'],
  javascriptEngine: 'none',
  modules: [],
  ok: 1,
});

const serverStatus: CommandHandler = (_cmd, ctx) => ({
  host: os.hostname(),
  version: SERVER_VERSION,
  process: 'embedded-mongo',
  pid: process.pid,
  uptime: Math.floor((Date.now() - ctx.state.startedAtMs) / 1000),
  uptimeMillis: Date.now() - ctx.state.startedAtMs,
  localTime: new Date(),
  connections: { current: ctx.state.connections(), available: 1_000_000 },
  metrics: { cursor: { open: { total: ctx.state.cursors.size } } },
  ok: 1,
});

const hostInfo: CommandHandler = () => ({
  system: { currentTime: new Date(), hostname: os.hostname(), numCores: os.cpus().length, memSizeMB: Math.floor(os.totalmem() / 1048576) },
  os: { type: os.type(), name: os.platform(), version: os.release() },
  ok: 1,
});

const connectionStatus: CommandHandler = () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 });
const whatsmyuri: CommandHandler = () => ({ you: 'unknown', ok: 1 });
const getCmdLineOpts: CommandHandler = () => ({ argv: process.argv.slice(1), parsed: {}, ok: 1 });

export const handshakeCommands: Record<string, CommandHandler> = {
  hello,
  isMaster,
  ismaster: isMaster,
  ping,
  buildInfo,
  buildinfo: buildInfo,
  serverStatus,
  hostInfo,
  connectionStatus,
  whatsmyuri,
  getCmdLineOpts,
  // Sessions carry no server state here (no transactions, no retryable writes on a standalone).
  endSessions: ok,
  killSessions: ok,
  killAllSessions: ok,
  refreshSessions: ok,
};

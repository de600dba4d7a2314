// Routes a decoded command to its handler and turns every failure into a mongod-shaped error reply. A write
// is acknowledged only after the journal holds it: the reply waits for the flush that covers it.
import { ErrorCode, MongoCommandError } from '../errors.js';
import { translateQueryError } from '../query/mingo.js';
import type { Document } from '../storage/values.js';
import { adminCommands } from './admin.js';
import { aggregateCommands } from './aggregate.js';
import type { CommandContext, CommandHandler, ServerState } from './common.js';
import { handshakeCommands } from './handshake.js';
import { queryCommands } from './query.js';
import { writeCommands } from './write.js';

/** What the dispatcher needs from persistence: a write counter and a wait for everything written so far. */
export interface Durability {
  appended(): number;
  sync(): Promise<void>;
}

const TRANSACTION_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

export class Dispatcher {
  private readonly handlers = new Map<string, CommandHandler>();

  constructor(
    private readonly state: ServerState,
    private readonly durability: Durability | null,
  ) {
    for (const group of [handshakeCommands, queryCommands, writeCommands, aggregateCommands, adminCommands]) {
      for (const [name, handler] of Object.entries(group)) this.handlers.set(name, handler);
    }
    this.handlers.set('listCommands', () => ({
      commands: Object.fromEntries([...this.handlers.keys()].sort().map((n) => [n, {}])),
      ok: 1,
    }));
  }

  /**
   * Runs one command; never throws, failures are error replies. The reply comes back synchronously unless
   * the handler is asynchronous or a write must wait for the journal, which spares the in-memory hot path a
   * promise and a microtask turn per message.
   */
  execute(command: Document, ctx: CommandContext): Document | Promise<Document> {
    const before = this.durability?.appended() ?? 0;
    let reply: Document | Promise<Document>;
    try {
      reply = this.run(command, ctx);
    } catch (err) {
      reply = this.toError(err, command).toReply();
    }
    if (reply instanceof Promise) {
      return reply.then(
        (r) => this.afterRun(r, before),
        (err: unknown) => this.afterRun(this.toError(err, command).toReply(), before),
      );
    }
    return this.afterRun(reply, before);
  }

  /** The reply, once every journal record the command appended is durable. */
  private afterRun(reply: Document, before: number): Document | Promise<Document> {
    if (!this.durability || this.durability.appended() === before) return reply;
    return this.durability.sync().then(
      () => reply,
      (err: unknown) => {
        this.state.logger.error({ err: String(err) }, 'journal write failed');
        return new MongoCommandError(ErrorCode.InternalError, `journal write failed: ${String(err)}`).toReply();
      },
    );
  }

  private run(command: Document, ctx: CommandContext): Document | Promise<Document> {
    const name = Object.keys(command)[0] ?? '';
    // A standalone mongod refuses session transaction numbers: no transactions, no retryable writes.
    if ('txnNumber' in command || TRANSACTION_COMMANDS.has(name)) {
      throw new MongoCommandError(ErrorCode.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
    }
    const handler = this.handlers.get(name);
    if (!handler) throw new MongoCommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`);
    return handler(command, ctx);
  }

  private toError(err: unknown, command: Document): MongoCommandError {
    if (err instanceof MongoCommandError) return err;
    const translated = translateQueryError(err);
    if (translated.code === ErrorCode.InternalError) {
      this.state.logger.error({ err: err instanceof Error ? err.stack : String(err), command: Object.keys(command)[0] }, 'command failed unexpectedly');
    }
    return translated;
  }
}

// One client connection: frames the byte stream into messages and runs them strictly in arrival order, so a
// read after an unacknowledged write on the same connection sees that write.
import type { Socket } from 'node:net';
import type { CommandContext, Logger, ServerState } from '../commands/common.js';
import type { Dispatcher } from '../commands/dispatch.js';
import { MongoCommandError, ErrorCode } from '../errors.js';
import type { Document } from '../storage/values.js';
import { encodeDocument } from './bson.js';
import { MessageFramer, OP_QUERY, encodeOpMsg, encodeOpReply, parseMessage, type IncomingCommand } from './protocol.js';

export class Connection {
  private readonly framer = new MessageFramer();
  private readonly queue: Buffer[] = [];
  private busy = false;
  private nextRequestId = 1;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly dispatcher: Dispatcher,
    private readonly state: ServerState,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.logger.debug({ connectionId: id, err: err.message }, 'connection error'));
  }

  private onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (messages.length === 0) return;
    for (const m of messages) this.queue.push(m);
    if (!this.busy) this.drain();
  }

  private fail(err: unknown): void {
    this.logger.warn({ connectionId: this.id, err: err instanceof Error ? err.message : String(err) }, 'closing connection after a protocol error');
    this.socket.destroy();
  }

  /**
   * Runs queued messages in order. Commands that complete synchronously (every in-memory one) are answered
   * within this call; one that has to wait (for the journal) holds the queue until its reply is written.
   */
  private drain(): void {
    this.busy = true;
    while (this.queue.length > 0 && !this.socket.destroyed) {
      const waiting = this.handle(this.queue.shift()!);
      if (waiting) {
        waiting.then(
          () => this.drain(),
          (err: unknown) => {
            this.busy = false;
            this.fail(err);
          },
        );
        return;
      }
    }
    this.busy = false;
  }

  /** Runs one message and writes its reply; returns a promise only when the reply has to wait. */
  private handle(message: Buffer): Promise<void> | undefined {
    let incoming: IncomingCommand;
    try {
      incoming = parseMessage(message);
    } catch (err) {
      this.fail(err);
      return undefined;
    }
    const ctx: CommandContext = { state: this.state, db: incoming.db, connectionId: this.id };
    if (incoming.sequences) ctx.sequences = incoming.sequences;
    const reply = this.dispatcher.execute(incoming.command, ctx);
    if (reply instanceof Promise) return reply.then((r) => this.reply(incoming, r));
    this.reply(incoming, reply);
    return undefined;
  }

  private reply(incoming: IncomingCommand, reply: Document): void {
    if (incoming.moreToCome || this.socket.destroyed) return;
    let body: Buffer;
    try {
      body = encodeDocument(reply);
    } catch (err) {
      body = encodeDocument(new MongoCommandError(ErrorCode.InternalError, `could not encode the reply: ${String(err)}`).toReply());
    }
    const requestId = this.nextRequestId++;
    const out = incoming.opCode === OP_QUERY ? encodeOpReply(requestId, incoming.requestId, body) : encodeOpMsg(requestId, incoming.requestId, body);
    this.socket.write(out);
  }
}

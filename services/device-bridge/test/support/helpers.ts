// Test plumbing: a raw pile client (WS or TCP) that records what the bridge answers.
import net from 'node:net';
import WebSocket from 'ws';
import { LineSplitter } from '@voltq/pile-sim/framing';

export type Msg = { type: string; [k: string]: unknown };

export class RawPile {
  readonly received: Msg[] = [];
  closed = false;
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private closeWaiters: (() => void)[] = [];

  private constructor(private readonly sendText: (t: string) => void, readonly end: () => void) {}

  static async ws(url: string): Promise<RawPile> {
    const ws = new WebSocket(url);
    const pile = new RawPile((t) => ws.send(t), () => ws.close());
    ws.on('message', (data) => pile.onText(data.toString()));
    ws.on('close', () => pile.onClose());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return pile;
  }

  static async tcp(port: number): Promise<RawPile> {
    const socket = net.connect(port, '127.0.0.1');
    const pile = new RawPile((t) => socket.write(t + '\n'), () => socket.end());
    const splitter = new LineSplitter(1 << 20);
    socket.on('data', (chunk) => splitter.push(chunk).forEach((f) => 'line' in f && pile.onText(f.line)));
    socket.on('close', () => pile.onClose());
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return pile;
  }

  private onText(text: string): void {
    const msg = JSON.parse(text) as Msg;
    this.received.push(msg);
    this.waiters = this.waiters.filter((w) => (w.pred(msg) ? (w.resolve(msg), false) : true));
  }

  private onClose(): void {
    this.closed = true;
    this.closeWaiters.forEach((r) => r());
  }

  send(msg: Record<string, unknown>): void {
    this.sendText(JSON.stringify(msg));
  }

  sendRaw(text: string): void {
    this.sendText(text);
  }

  /** The next message (already received or future) matching `pred`. */
  next(pred: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> {
    const got = this.received.find(pred);
    if (got) {
      this.received.splice(this.received.indexOf(got), 1);
      return Promise.resolve(got);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  /** Sends `msg` with id `id` and waits for the answer carrying that id. */
  async ask(msg: Record<string, unknown>, id: string, timeoutMs = 5000): Promise<Msg> {
    this.send({ ...msg, id });
    return this.next((m) => m.id === id, timeoutMs);
  }

  whenClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

// Test plumbing of kit's own tests: a quiet logger, draining a DLQ, a TCP proxy to cut connections. Namespaces
// and their removal come from test/support (env.ts, cleanup.ts), shared with the services' tests.
import net from 'node:net';
import { connect } from 'amqplib';
import { pino } from 'pino';
import { AMQP_URL } from '../../../test/support/env.js';

/** A logger that keeps quiet unless TEST_LOG is set. */
export function testLog() {
  return pino({ level: process.env.TEST_LOG ?? 'silent' });
}

/** Drains a queue with basic.get (for checking DLQs). */
export async function drainQueue(queue: string): Promise<{ content: unknown; headers: Record<string, unknown> }[]> {
  const conn = await connect(AMQP_URL);
  const out: { content: unknown; headers: Record<string, unknown> }[] = [];
  try {
    const ch = await conn.createChannel();
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (!m) break;
      const text = m.content.toString();
      let content: unknown = text;
      try {
        content = JSON.parse(text);
      } catch {
        // a non-JSON body is kept as text
      }
      out.push({ content, headers: (m.properties.headers ?? {}) as Record<string, unknown> });
    }
    await ch.close();
  } finally {
    await conn.close();
  }
  return out;
}

/** A TCP proxy in front of the broker; `cut()` drops every connection, `pause()` refuses new ones. */
export class TcpProxy {
  private server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  port = 0;

  constructor(
    private readonly targetPort = 5672,
    private readonly targetHost = '127.0.0.1',
  ) {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }
  url(user = 'guest', pass = 'guest'): string {
    return `amqp://${user}:${pass}@127.0.0.1:${this.port}`;
  }
  get connections(): number {
    return this.sockets.size / 2;
  }
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }
  pause(): void {
    this.refusing = true;
    this.cut();
  }
  resume(): void {
    this.refusing = false;
  }
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// TCP door: JSON lines (one JSON object per line, `\n` or `\r\n`) on PILE_TCP_PORT.
import net from 'node:net';
import { once } from 'node:events';
import { LineSplitter } from '@voltq/pile-sim/framing';
import { encode } from '@voltq/pile-sim/protocol';
import type { PileHub } from '../hub.js';

export interface TcpDoor {
  port: number;
  close(): Promise<void>;
}

export async function startTcpDoor(hub: PileHub, opts: { host: string; port: number; maxMessageBytes: number }): Promise<TcpDoor> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    if (!hub.admit('tcp')) {
      // a reconnection storm: the pile retries later; nothing is read from it
      socket.on('error', () => undefined);
      socket.end(encode({ type: 'error', code: 'UNAVAILABLE', message: 'too many piles are connecting; retry in a second' }) + '\n');
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const splitter = new LineSplitter(opts.maxMessageBytes);
    const conn = hub.connect({
      door: 'tcp',
      remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`,
      send: (text) => {
        if (socket.writable) socket.write(text + '\n');
      },
      close: () => socket.end(),
    });
    socket.on('data', (chunk) => {
      for (const frame of splitter.push(chunk)) {
        if ('line' in frame) conn.receive(frame.line);
        else conn.refuse('TOO_LARGE', `a message may have at most ${opts.maxMessageBytes} bytes; this line was dropped`);
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      conn.closed();
    });
    socket.on('error', () => undefined); // 'close' follows
  });
  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // the hub already said goodbye to logged-in piles; drop whatever is left after a grace period
      const grace = setTimeout(() => sockets.forEach((s) => s.destroy()), 1000);
      grace.unref();
      await closed;
      clearTimeout(grace);
    },
  };
}

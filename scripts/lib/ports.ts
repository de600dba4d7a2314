// Free ports for tests and `startPlatform({randomPorts})`.
import { once } from 'node:events';
import { createServer } from 'node:net';

// Ports handed out by this process: never twice, even after they were closed again.
const handedOut = new Set<number>();

/**
 * A free port for a service to listen on, taken below the kernel's ephemeral range (32768-60999 here): a port the
 * kernel chose (listen on 0) may be given next to an outgoing connection of any process before the service binds it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    server.close();
    await once(server, 'close');
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

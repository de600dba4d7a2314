// A free TCP port for the bridge's TCP door: the service started from its descriptor reports no bound port, so the
// test picks one (as scripts/lib/platform.ts does for the platform).
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

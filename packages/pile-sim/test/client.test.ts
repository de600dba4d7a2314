// The simulated pile's reconnect policy, against a scripted TCP "bridge" of the test's own (no services needed).
import net from 'node:net';
import t from 'tap';
import { LineSplitter } from '../src/framing.js';
import { SimPile } from '../src/client.js';

type Script = (msg: { type: string; id?: string }, reply: (m: Record<string, unknown>) => void, socket: net.Socket) => void;

/** A TCP server answering each pile line with `script`; counts the connections it accepted. */
async function scriptedBridge(script: Script): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const splitter = new LineSplitter(1 << 20);
    const reply = (m: Record<string, unknown>) => socket.writable && socket.write(JSON.stringify(m) + '\n');
    socket.on('data', (chunk) => {
      for (const f of splitter.push(chunk)) if ('line' in f) script(JSON.parse(f.line) as { type: string }, reply, socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => connections,
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function simPile(port: number, lines: string[], extra: Partial<ConstructorParameters<typeof SimPile>[0]> = {}): SimPile {
  return new SimPile({
    pileId: 'lab-F1',
    secret: 's',
    door: 'tcp',
    wsUrl: 'ws://127.0.0.1:1/piles',
    tcp: { host: '127.0.0.1', port },
    heartbeats: false,
    log: (line) => lines.push(line),
    ...extra,
  });
}

const loginOk = { type: 'login.ok', id: 'login', heartbeatIntervalMs: 60_000, faulted: false };

t.test('a pile taken over by another connection gives up instead of taking the pile back', { timeout: 5000 }, async (t) => {
  const bridge = await scriptedBridge((msg, reply, socket) => {
    if (msg.type !== 'login') return;
    reply(loginOk);
    // what the bridge does when the same pile logs in elsewhere
    setTimeout(() => {
      reply({ type: 'error', code: 'REPLACED', message: 'this pile logged in on another connection' });
      socket.end();
    }, 20);
  });
  t.teardown(bridge.close);
  const lines: string[] = [];
  const pile = simPile(bridge.port, lines, { backoffMinMs: 10, backoffMaxMs: 20 });
  const replaced = new Promise((resolve) => pile.once('replaced', resolve));
  const reconnects: unknown[] = [];
  pile.on('reconnecting', (r) => reconnects.push(r));
  pile.start();
  t.match(await replaced, { code: 'REPLACED' });
  // several backoff periods: a pile that still reconnected would have logged in again by now
  await new Promise((r) => setTimeout(r, 300));
  t.equal(bridge.connections(), 1, 'connected once only');
  t.same(reconnects, [], 'no reconnect was scheduled');
  t.equal(pile.online, false);
  t.ok(lines.includes('pile lab-F1 was taken over by another connection; not reconnecting'), lines.join('\n'));
  await pile.stop();
});

t.test('the backoff keeps growing while logins are dropped right away, and starts over after a stable connection', { timeout: 5000 }, async (t) => {
  let dropAfterMs = 0;
  const bridge = await scriptedBridge((msg, reply, socket) => {
    if (msg.type !== 'login') return;
    reply(loginOk);
    setTimeout(() => socket.end(), dropAfterMs);
  });
  t.teardown(bridge.close);
  const lines: string[] = [];
  const pile = simPile(bridge.port, lines, { backoffMinMs: 4, backoffMaxMs: 10_000, stableAfterMs: 150 });
  const attempts: { attempt: number; delayMs: number }[] = [];
  const nextReconnect = () => new Promise<{ attempt: number; delayMs: number }>((resolve) => pile.once('reconnecting', resolve));
  pile.on('reconnecting', (r: { attempt: number; delayMs: number }) => attempts.push(r));
  t.teardown(() => pile.stop());
  pile.start();
  while (attempts.length < 5) await nextReconnect();
  t.same(
    attempts.map((a) => a.attempt),
    [1, 2, 3, 4, 5],
    'each quick flap counts as one more failed attempt (a successful login alone does not reset it)',
  );
  attempts.forEach((a) => t.ok(a.delayMs >= 2 && a.delayMs <= 4 * 2 ** (a.attempt - 1) + 2, `delay ${a.delayMs} ms within attempt ${a.attempt}'s bound`));

  // a connection that stays up longer than stableAfterMs resets the backoff
  dropAfterMs = 250;
  const after = await nextReconnect();
  const resetTo = after.attempt === 1 ? after : await nextReconnect();
  t.equal(resetTo.attempt, 1, 'a stable connection starts the backoff over');
});

t.test('a stop for a session that is over (delivered after the next start) leaves the running charge alone', { timeout: 5000 }, async (t) => {
  const acks: { commandId: string; accepted: boolean }[] = [];
  let send: ((m: Record<string, unknown>) => void) | undefined;
  const bridge = await scriptedBridge((msg, reply) => {
    if (msg.type === 'login') {
      send = reply;
      reply(loginOk);
    }
    if (msg.type === 'command.ack') acks.push(msg as unknown as { commandId: string; accepted: boolean });
  });
  t.teardown(bridge.close);
  const pile = simPile(bridge.port, []);
  t.teardown(() => pile.stop());
  const online = new Promise((resolve) => pile.once('online', resolve));
  pile.start();
  await online;
  const until = async (n: number) => {
    while (acks.length < n) await new Promise((r) => setTimeout(r, 5));
  };
  send!({ type: 'start', commandId: 'start:o2#1', sessionId: 'o2#1', powerW: 30_000 });
  await until(1);
  // the stop of the session before it, held while the pile was unreachable, arrives late
  send!({ type: 'stop', commandId: 'stop:o1#1', sessionId: 'o1#1' });
  await until(2);
  t.same(acks.map((a) => [a.commandId, a.accepted]), [['start:o2#1', true], ['stop:o1#1', true]], 'both answered');
  t.match(pile.charging, { sessionId: 'o2#1' }, 'still charging the session that runs now');
  send!({ type: 'stop', commandId: 'stop:o2#1', sessionId: 'o2#1' });
  await until(3);
  t.equal(pile.charging, undefined, 'its own stop stops it');
});

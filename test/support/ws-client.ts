// A WebSocket client for the gateway's socket tests: every JSON frame kept, the close awaited, and `next` to wait
// for a frame that matches (already received or to come).
import t from 'tap';
import WebSocket from 'ws';

export interface Client {
  frames: any[];
  closed: Promise<{ code: number; reason: string }>;
  /** resolves with the first frame (already received or to come) that matches */
  next(match: (frame: any) => boolean, timeoutMs?: number): Promise<any>;
  send(frame: unknown): void;
  ws: WebSocket;
}

/** Opens `url` (http(s) or ws(s)); `headers` for the upgrade request. Terminated at the end of the test file. */
export function openSocket(url: string | URL, headers: Record<string, string> = {}): Client {
  const ws = new WebSocket(String(url).replace(/^http/, 'ws'), { headers });
  const frames: any[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  const next = async (match: (frame: any) => boolean, timeoutMs = 5000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = frames.find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const send = (frame: unknown) => {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    if (ws.readyState === ws.OPEN) ws.send(text);
    else ws.once('open', () => ws.send(text));
  };
  t.teardown(() => ws.terminate());
  return { frames, closed, next, send, ws };
}

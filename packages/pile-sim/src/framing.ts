// JSON-lines framing of the pile protocol over TCP (the bridge's TCP door and the simulator's TCP client): bytes
// in, complete lines out.
import { StringDecoder } from 'node:string_decoder';

export type Frame = { line: string } | { tooLong: true };

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffered = '';
  /** inside an over-long line: drop everything up to its end */
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Complete lines (without `\n` / `\r\n`; blank lines skipped), and a marker for each over-long line dropped. */
  push(chunk: Buffer | string): Frame[] {
    this.buffered += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const frames: Frame[] = [];
    let start = 0;
    for (let nl = this.buffered.indexOf('\n'); nl !== -1; nl = this.buffered.indexOf('\n', start)) {
      const line = this.buffered.slice(start, nl).replace(/\r$/, '');
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (Buffer.byteLength(line) > this.maxLineBytes) frames.push({ tooLong: true });
      else if (line.trim()) frames.push({ line });
    }
    this.buffered = this.buffered.slice(start);
    // an unterminated line can only grow: drop it before it eats memory, report it once
    if (!this.discarding && Buffer.byteLength(this.buffered) > this.maxLineBytes) {
      frames.push({ tooLong: true });
      this.discarding = true;
    }
    if (this.discarding) this.buffered = '';
    return frames;
  }
}

import { MAX_CHUNK_BYTES } from '../shared/protocol.js';
import type { Redactor } from '../shared/redact.js';

export type Stream = 'stdout' | 'stderr';

/** One output record before it gets a seq: a line (or a chunk of a long line, `partial`). */
export interface OutputLine {
  stream: Stream;
  line: string;
  partial: boolean;
}

/** Splits `text` into pieces of at most `maxBytes` UTF-8 bytes without cutting a code point. */
export function splitUtf8(text: string, maxBytes = MAX_CHUNK_BYTES): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      pieces.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * Turns one pipe's bytes into masked lines. Bytes are decoded as UTF-8 (invalid sequences become
 * U+FFFD). A line without a newline is flushed in chunks once it passes {@link MAX_CHUNK_BYTES},
 * keeping back enough characters that a secret straddling the cut is still masked whole.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';

  constructor(
    private readonly stream: Stream,
    private readonly redactor: Redactor,
    private readonly emit: (line: OutputLine) => void,
  ) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.emitText(line.endsWith('\r') ? line.slice(0, -1) : line, false);
    }
    if (this.pending.length > MAX_CHUNK_BYTES) this.flushLong();
  }

  /** Flushes what is left at end of stream as a final (complete) line. */
  end(): void {
    this.pending += this.decoder.decode();
    if (this.pending) this.emitText(this.pending, false);
    this.pending = '';
  }

  private flushLong(): void {
    // Keep at least one character so the piece that ends the line is never empty.
    let cut = this.pending.length - Math.max(1, this.redactor.maxLength - 1);
    for (const [start, end] of this.redactor.ranges(this.pending)) {
      if (start < cut && end > cut) cut = end;
    }
    const before = this.pending.charCodeAt(cut - 1);
    if (before >= 0xd800 && before <= 0xdbff) cut--; // never split a surrogate pair
    if (cut <= 0) return;
    const head = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    this.emitText(head, true);
  }

  private emitText(text: string, continues: boolean): void {
    const pieces = splitUtf8(this.redactor.redact(text));
    pieces.forEach((line, i) => this.emit({ stream: this.stream, line, partial: continues || i < pieces.length - 1 }));
  }
}

/**
 * Keeps output within a byte budget per execution: the head streams live; once it is full, later
 * lines go to a tail window of the last `cap/4` bytes, released at the end after a marker line,
 * so the error at the end of a long log survives (quality.md: stored output, head + tail).
 * Each line costs its UTF-8 length plus one.
 */
export class OutputCap {
  private readonly headBudget: number;
  private readonly tailBudget: number;
  private used = 0;
  private headClosed = false;
  private tail: OutputLine[] = [];
  private tailBytes = 0;
  private droppedBytes = 0;
  private droppedLines = 0;

  constructor(
    capBytes: number,
    private readonly emit: (line: OutputLine) => void,
  ) {
    this.tailBudget = Math.floor(capBytes / 4);
    this.headBudget = Math.max(0, capBytes - this.tailBudget - 128);
  }

  get truncated(): boolean {
    return this.droppedLines > 0;
  }

  accept(line: OutputLine): void {
    const size = Buffer.byteLength(line.line) + 1;
    if (!this.headClosed && this.used + size <= this.headBudget) {
      this.used += size;
      this.emit(line);
      return;
    }
    this.headClosed = true;
    this.tail.push(line);
    this.tailBytes += size;
    while (this.tailBytes > this.tailBudget && this.tail.length) {
      const dropped = this.tail.shift()!;
      this.tailBytes -= Buffer.byteLength(dropped.line) + 1;
      this.droppedBytes += Buffer.byteLength(dropped.line) + 1;
      this.droppedLines++;
    }
  }

  /** Releases the tail window, preceded by a marker when anything was dropped. */
  finish(): void {
    if (this.droppedLines) {
      const marker = `[ebcli agent: output truncated, ${this.droppedBytes} bytes in ${this.droppedLines} lines omitted]`;
      this.emit({ stream: 'stderr', line: marker, partial: false });
    }
    for (const line of this.tail) this.emit(line);
    this.tail = [];
    this.tailBytes = 0;
  }
}

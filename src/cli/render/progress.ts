import { stateColor, type Style } from './style.js';

/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

interface Row {
  id: string;
  name?: string;
  state: string;
  /** `box:event` of the script running now, when known. */
  step?: string;
  startedMs: number;
  endedMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 100;

export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Progress of waiting targets on stderr. On a TTY: one live line per target (spinner, id, name,
 * state, current box:event, elapsed time), redrawn in place. Elsewhere: one plain line per change,
 * never a control character, so CI logs read top to bottom.
 */
export class ProgressView {
  private readonly rows = new Map<string, Row>();
  private drawn = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: ProgressSink,
    private readonly s: Style,
    private readonly now: () => number = Date.now,
  ) {}

  get live(): boolean {
    return Boolean(this.sink.isTTY);
  }

  /** Starts showing a target (the clock starts now). */
  track(id: string, name: string | undefined, state = 'processing'): void {
    if (this.rows.has(id)) return;
    this.rows.set(id, { id, name, state, startedMs: this.now() });
    if (this.live) {
      this.schedule();
      this.draw();
    } else this.sink.write(`${this.plainLine(this.rows.get(id)!)}\n`);
  }

  /** A new state or script of a target; prints a line (or redraws) only when something changed. */
  update(id: string, change: { state?: string; step?: string; name?: string }): void {
    const row = this.rows.get(id);
    if (!row || row.endedMs !== undefined) return;
    const next = { ...row, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) };
    if (next.state === row.state && next.step === row.step && next.name === row.name) return;
    this.rows.set(id, next);
    if (!this.live) this.sink.write(`${this.plainLine(next)}\n`);
  }

  /** The target's wait is over: its line freezes with the final state. */
  end(id: string, state: string): void {
    const row = this.rows.get(id);
    if (!row || row.endedMs !== undefined) return;
    this.rows.set(id, { ...row, state, endedMs: this.now() });
    if (this.live) this.draw();
    else if (state !== row.state) this.sink.write(`${this.plainLine(this.rows.get(id)!)}\n`);
  }

  /** Writes other output without tearing the live lines: they are cleared, `fn` runs, they come back. */
  around(fn: () => void): void {
    if (!this.live || this.drawn === 0) return fn();
    this.clear();
    fn();
    this.draw();
  }

  /** Stops redrawing; the last drawing stays on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live && this.rows.size) this.draw();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame = (this.frame + 1) % FRAMES.length;
      this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private clear(): void {
    if (this.drawn === 0) return;
    this.sink.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    const width = Math.max(20, (this.sink.columns ?? 80) - 1);
    const lines = [...this.rows.values()].map((r) => this.liveLine(r, width));
    const up = this.drawn ? `\x1b[${this.drawn}A` : '';
    this.sink.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}\x1b[0J`);
    this.drawn = lines.length;
  }

  private liveLine(r: Row, width: number): string {
    const s = this.s;
    const icon =
      r.endedMs === undefined ? s.cyan(FRAMES[this.frame]!) : r.state === 'failed' ? s.red('✗') : s.green('✓');
    const time = elapsed((r.endedMs ?? this.now()) - r.startedMs);
    const plain = [r.id, r.name ?? '', r.state, r.step ?? '', time].join('  ');
    const text = [r.id, s.bold(r.name ?? ''), stateColor(s, r.state), s.dim(r.step ?? ''), s.dim(time)].join('  ');
    // Colour codes do not take columns; cut on the plain text so a line never wraps.
    return `${icon} ${plain.length + 2 > width ? plain.slice(0, width - 3) + '…' : text}`;
  }

  private plainLine(r: Row): string {
    const time = elapsed((r.endedMs ?? this.now()) - r.startedMs);
    return [r.id, r.name ?? '', r.state, r.step ?? '-', time].join('  ');
  }
}

// A one-line progress bar for jfish's transfers (upload, download, copy-in, copy-out): shown
// on stderr only when stderr is a terminal and the transfer is large enough to be worth it;
// percent, bytes and rate, redrawn with \r at most 10 times a second, cleared when done.

/** Transfers smaller than this never show a bar. */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;
const REDRAW_MS = 100;

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** 1.5 KiB, 12.0 MiB … (binary units, one decimal above bytes). */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** The text of one redraw (without the leading \r). */
export function progressLine(label: string, done: number, total: number, elapsedMs: number): string {
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  return `${label} ${String(pct).padStart(3)}% ${humanBytes(done)} / ${humanBytes(total)} ${humanBytes(Math.round(rate))}/s`;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly start: number;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = stream.isTTY === true && total > PROGRESS_MIN_BYTES;
    this.start = now();
  }

  /** Count n more bytes; redraws if the last redraw is at least 100 ms old. */
  add(n: number): void {
    this.done += n;
    if (!this.enabled) return;
    const t = this.now();
    if (this.drawn && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    this.draw(t);
  }

  private draw(t: number): void {
    let text = progressLine(this.label, this.done, this.total, t - this.start);
    const cols = this.stream.columns;
    if (cols && text.length >= cols) text = text.slice(text.length - cols + 1);
    this.stream.write(`\r${text}\x1b[K`);
    this.drawn = true;
  }

  /** Erase the bar (if one was drawn). */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

// The batch's progress line on a terminal (stderr): done/total, failures, rate and ETA, redrawn
// at most ten times a second and cleared before anything else is written to the terminal.
import { writeStderr } from '../../core/stdio.js';

export class Progress {
  private readonly started = performance.now();
  private shown = false;
  private last = 0;
  done = 0;
  failed = 0;

  constructor(
    private readonly total: number,
    private readonly on: boolean,
  ) {}

  /** One image finished. */
  tick(ok: boolean): void {
    this.done++;
    if (!ok) this.failed++;
    const now = performance.now();
    if (this.on && (now - this.last > 100 || this.done === this.total)) {
      this.last = now;
      this.draw();
    }
  }

  private draw(): void {
    const secs = (performance.now() - this.started) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : undefined;
    const failed = this.failed ? `, ${this.failed} failed` : '';
    writeStderr(`\r\x1b[K${this.done}/${this.total} images${failed}, ${rate.toFixed(1)}/s${eta === undefined ? '' : `, ${eta} s left`}`);
    this.shown = true;
  }

  /** Clear the line (before other output), to be drawn again at the next tick. */
  clear(): void {
    if (!this.shown) return;
    writeStderr('\r\x1b[K');
    this.shown = false;
  }

  /** Seconds since the start. */
  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}

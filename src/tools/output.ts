// The one way the CLIs write to stdout: awaits each write (so a large `cat` respects the
// pipe's pace) and treats a closed reader (EPIPE, e.g. `jfish … cat /big | head -1`) as
// "nobody is listening any more": later writes are dropped and `closed` turns true.
import { JootError } from '../appliance/errors.js';

export interface Writer {
  /** Write text or raw bytes. Resolves once the data is handed to the OS (or dropped after EPIPE). */
  write(data: string | Uint8Array): Promise<void>;
  /** Write each line followed by a newline. */
  lines(lines: Iterable<string>): Promise<void>;
  /** True once the reader has gone away. */
  readonly closed: boolean;
}

function isEpipe(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EPIPE';
}

export class StreamWriter implements Writer {
  private broken = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    // Without a listener an EPIPE would become an uncaught exception.
    stream.on('error', (e: unknown) => {
      if (isEpipe(e)) this.broken = true;
    });
  }

  get closed(): boolean {
    return this.broken;
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.broken || data.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.stream.write(data, (err?: Error | null) => {
        if (!err) return resolve();
        if (isEpipe(err)) {
          this.broken = true;
          return resolve();
        }
        reject(new JootError('EIO', `writing output failed: ${err.message}`));
      });
    });
  }

  async lines(lines: Iterable<string>): Promise<void> {
    let text = '';
    for (const l of lines) text += `${l}\n`;
    await this.write(text);
  }
}

/** Resolve once everything written so far to `stream` has been flushed (never rejects). */
export function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

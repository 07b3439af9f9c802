// The one way the CLIs write to stdout: awaits each write (so a large `cat` respects the
// pipe's pace) and treats a closed reader (EPIPE, e.g. `jfish … cat /big | head -1`) as
// "nobody is listening any more": later writes are dropped and `closed` turns true.
//
// Where "guest text" and "content" part: `write` is content (a file's bytes for cat and
// download, a guest program's output, joot's own text) and goes out exactly as given;
// `lines` and `guestText` are guest text (names, labels, product names, table rows built from
// them) and have their control characters escaped when the reader is a terminal
// (escapeControls), exact otherwise, so scripts reading a pipe or a file get the bytes.
import { JootError } from './errors.js';
import { escapeControls, isTerminal } from './escape.js';

export interface Writer {
  /** Content, exactly as given. Resolves once the data is handed to the OS (or dropped after EPIPE). */
  write(data: string | Uint8Array): Promise<void>;
  /** Guest text: each line followed by a newline, control characters escaped if `escapes`. */
  lines(lines: Iterable<string>): Promise<void>;
  /** Guest text with line breaks of its own (an export, a report): escaped if `escapes`, "\n" kept. */
  guestText(s: string): Promise<void>;
  /** True once the reader has gone away. */
  readonly closed: boolean;
  /** Guest text is escaped: the reader is a terminal. */
  readonly escapes: boolean;
}

/** `lines` and `guestText` for every Writer, from its `write` and `escapes`. */
export abstract class TextWriter implements Writer {
  constructor(readonly escapes: boolean) {}
  abstract write(data: string | Uint8Array): Promise<void>;
  abstract get closed(): boolean;

  lines(lines: Iterable<string>): Promise<void> {
    let text = '';
    for (const l of lines) text += `${this.escapes ? escapeControls(l) : l}\n`;
    return this.write(text);
  }

  guestText(s: string): Promise<void> {
    return this.write(this.escapes ? escapeControls(s, { keepNewlines: true }) : s);
  }
}

/** Lines as content (a file's lines for head and tail): each followed by a newline, never escaped. */
export function contentLines(lines: Iterable<string>): string {
  let text = '';
  for (const l of lines) text += `${l}\n`;
  return text;
}

function isEpipe(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EPIPE';
}

export class StreamWriter extends TextWriter {
  private broken = false;

  /** `escapes`: escape guest text; by default when `stream` is a terminal. */
  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    escapes = isTerminal(stream),
  ) {
    super(escapes);
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

/** A writer that keeps what is written (the library's result of a 'stream' operation, tests). */
export class BufferWriter extends TextWriter {
  private readonly chunks: Buffer[] = [];
  constructor(escapes = false) {
    super(escapes);
  }
  get closed(): boolean {
    return false;
  }
  write(data: string | Uint8Array): Promise<void> {
    this.chunks.push(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
    return Promise.resolve();
  }
  /** Everything written, as bytes. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  /** Everything written, as UTF-8 text. */
  text(): string {
    return this.bytes().toString('utf8');
  }
}

// Standard output and error through their file descriptors. Node builds process.stdout and
// process.stderr (a tty.WriteStream or net.Socket, and node:stream, net and tty with them) on
// first touch: ~10 ms each of a 150 ms tool run. The tools write through fds 1 and 2 instead;
// a stream is made only where something needs one (the REPL, a guest's terminal, a progress
// bar, or a descriptor that refuses plain writes), and watchStdio() still gives it the
// tools' error handling and the final flush when it is made.
import { fstatSync, write, writeSync } from 'node:fs';
import { JootError } from './errors.js';
import { TextWriter } from './output.js';

const isEpipe = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 'EPIPE';
const isEagain = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 'EAGAIN';

/**
 * Is fd a terminal? isatty(3) without node:tty (which loads net and stream): a character
 * device other than the memory devices (/dev/null, /dev/zero: major 1). A character device
 * that is not a terminal then counts as one, so guest text is escaped: the safe mistake.
 */
export function fdIsTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isCharacterDevice()) return false;
    const major = ((st.rdev >> 8n) & 0xfffn) | ((st.rdev >> 32n) & ~0xfffn);
    return major !== 1n;
  } catch {
    return false;
  }
}

const made = { stdout: false, stderr: false };
/** watchStdio ran: a tool's process (runCli). In the library's users (and tests) the streams serve. */
let watching = false;

/**
 * Make process.stdout/stderr lazily observed: when something first touches one, `onMade` gets
 * it (to add an error handler) before its user does, and flushStdio() will flush it. Without
 * this the tools would have to touch both streams up front, which is what costs the time.
 */
export function watchStdio(onMade: (name: 'stdout' | 'stderr', stream: NodeJS.WriteStream) => void): void {
  watching = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const original = Object.getOwnPropertyDescriptor(process, name);
    if (!original?.get || !original.configurable) {
      made[name] = true;
      onMade(name, process[name]);
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: original.enumerable,
      get() {
        Object.defineProperty(process, name, original);
        const stream = process[name];
        made[name] = true;
        onMade(name, stream);
        return stream;
      },
    });
  }
}

/** Resolve once everything written to the streams made so far is flushed (never rejects). */
export async function flushStdio(): Promise<void> {
  const flushOne = (s: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      try {
        s.write('', () => resolve());
      } catch {
        resolve();
      }
    });
  await Promise.all([made.stdout && flushOne(process.stdout), made.stderr && flushOne(process.stderr)]);
}

/**
 * Write text to stderr now (errors, warnings, traces): in a tool, a plain write(2), through the
 * stream where fd 2 is non-blocking and full; in a library user, process.stderr. A closed stderr
 * is ignored: nothing is left to tell.
 */
export function writeStderr(text: string): void {
  if (!watching || made.stderr) {
    process.stderr.write(text);
    return;
  }
  const buf = Buffer.from(text);
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(2, buf, off);
  } catch (e) {
    if (isEagain(e)) process.stderr.write(buf.subarray(off));
  }
}

/** per descriptor, the end of the last write asked for */
const queues = new Map<number, Promise<void>>();

/**
 * The tools' standard output as a Writer: write(2) on fd 1 from libuv's pool, awaited (a large
 * `cat` goes at the reader's pace); a reader that went away (EPIPE) makes later writes drop.
 * Where fd 1 is non-blocking (EAGAIN), it carries on through process.stdout.
 */
export class StdoutWriter extends TextWriter {
  private broken = false;
  private stream: NodeJS.WriteStream | undefined;

  /** `fd`: 1, or another descriptor (tests); `escapes`: guest text escaped, by default on a terminal. */
  constructor(
    private readonly fd = 1,
    escapes = fdIsTerminal(fd),
  ) {
    super(escapes);
  }

  get closed(): boolean {
    return this.broken;
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.broken || data.length === 0) return Promise.resolve();
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    // one write at a time per descriptor, in the order of the calls: a pipe takes a write larger
    // than PIPE_BUF in parts, and two of libuv's threads writing at once interleave them
    // (--batch's report lines, which finish when they do)
    const turn = (queues.get(this.fd) ?? Promise.resolve()).then(() => this.writeNow(buf));
    queues.set(
      this.fd,
      turn.catch(() => undefined),
    );
    return turn;
  }

  private writeNow(buf: Uint8Array): Promise<void> {
    if (this.broken) return Promise.resolve();
    if (this.stream || (this.fd === 1 && made.stdout)) return this.viaStream(buf);
    return new Promise((resolve, reject) => {
      const from = (off: number): void => {
        write(this.fd, buf, off, buf.length - off, null, (err, n) => {
          if (!err) return off + n < buf.length ? from(off + n) : resolve();
          if (isEpipe(err)) {
            this.broken = true;
            return resolve();
          }
          if (isEagain(err)) return this.viaStream(buf.subarray(off)).then(resolve, reject);
          reject(new JootError('EIO', `writing output failed: ${err.message}`));
        });
      };
      from(0);
    });
  }

  private viaStream(buf: Uint8Array): Promise<void> {
    if (this.fd !== 1) return Promise.reject(new JootError('EIO', `writing output failed: fd ${this.fd} is non-blocking`));
    const stream = (this.stream ??= process.stdout);
    return new Promise((resolve, reject) => {
      stream.write(buf, (err?: Error | null) => {
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

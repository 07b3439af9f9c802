// Compression for tar-in / tar-out, on the archive's byte stream only (never on guest
// paths): gzip in-process with node:zlib; bzip2, xz, zstd, lzop and compress through the
// host's programs over stdin/stdout pipes, started as run.ts starts commands (no shell,
// C locale, traced with -v). A Filter is fed with write() while its output is
// read concurrently, so neither side can fill a pipe and deadlock.
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { nodeZlib } from '../../core/lazy-node.js';
import { JootError, errnoOf } from '../../core/errors.js';
import { quoteForTrace, spawnProcess } from '../../core/run.js';

export const compressions = ['none', 'gzip', 'bzip2', 'xz', 'zstd', 'lzop', 'compress'] as const;
export type Compression = (typeof compressions)[number];

export interface Filter {
  write(chunk: Buffer): Promise<void>;
  /** No more input. */
  end(): Promise<void>;
  readonly output: AsyncIterable<Buffer>;
  /** Resolves once the filter has finished cleanly; rejects with a one-line error otherwise. */
  wait(): Promise<void>;
  /** Stop at once (on an error elsewhere). */
  abort(): void;
}

/** Host programs: [compress args, decompress args]. */
const programs: Record<Exclude<Compression, 'none' | 'gzip'>, [string, string[], string, string[]]> = {
  bzip2: ['bzip2', ['-c'], 'bzip2', ['-dc']],
  xz: ['xz', ['-c'], 'xz', ['-dc']],
  zstd: ['zstd', ['-q', '-c'], 'zstd', ['-q', '-dc']],
  lzop: ['lzop', ['-c'], 'lzop', ['-dc']],
  compress: ['compress', ['-c'], 'uncompress', ['-c']],
};

/** Magic numbers, to tell a user who forgot compress:… what the input is. */
export function sniff(head: Buffer): Compression | undefined {
  const starts = (...b: number[]) => b.every((x, i) => head[i] === x);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x89, 0x4c, 0x5a, 0x4f)) return 'lzop';
  if (starts(0x1f, 0x9d)) return 'compress';
  return undefined;
}

/** Write with backpressure; rejects if the stream fails or closes first. */
function writeTo(w: Writable, chunk: Buffer, failed: () => Error | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const f = failed();
    if (f) return reject(f);
    const ok = w.write(chunk, (err) => {
      if (err) reject(failed() ?? err);
    });
    if (ok) return resolve();
    const onDrain = (): void => {
      w.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      w.off('drain', onDrain);
      reject(failed() ?? new JootError('EIO', 'the compressor stopped reading'));
    };
    w.once('drain', onDrain);
    w.once('close', onClose);
  });
}

/** End the input; resolves however the stream ends (an errored stream never calls back). */
function endOf(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (w.destroyed || w.writableFinished) return resolve();
    w.once('finish', () => resolve());
    w.once('close', () => resolve());
    w.end();
  });
}

function zlibFilter(decompress: boolean): Filter {
  const z = decompress ? nodeZlib().createGunzip() : nodeZlib().createGzip();
  let error: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    z.on('error', (e) => {
      error = new JootError('EINVAL', `gzip: ${decompress ? 'invalid compressed data' : 'compression failed'} (${e.message})`);
      reject(error);
    });
    z.on('end', () => resolve());
  });
  done.catch(() => undefined);
  return {
    write: (c) => writeTo(z, c, () => error),
    end: () => endOf(z),
    output: z as AsyncIterable<Buffer>,
    wait: () => done,
    abort: () => z.destroy(),
  };
}

async function onPath(prog: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    try {
      await fsp.access(path.join(dir, prog), fsc.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

async function programFilter(prog: string, args: string[]): Promise<Filter> {
  if (!(await onPath(prog)))
    throw new JootError('EUNSUPPORTED', `${prog}: program not found on the host (install it to use this compression)`);
  // spawnProcess (node's spawn), not execa: execa drops stdout data that is not read at once,
  // and this stdout is binary and read at the consumer's pace
  const child = spawnProcess(prog, args, { stdio: ['pipe', 'pipe', 'pipe'], traceAs: `${quoteForTrace(prog, args)} (pipe)` });
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  const command = [prog, ...args];
  let error: Error | undefined;
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (t: string) => {
    stderr = (stderr + t).slice(-4096);
  });
  stdin.on('error', (e) => {
    // EPIPE: the program died; wait() reports why
    error ??= new JootError('EIO', `${prog}: ${errnoOf(e) === 'EPIPE' ? 'stopped reading its input' : e.message}`);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) =>
      reject((error = new JootError('ECMD', `${prog}: ${e.message}`, { cause: e, command, spawnErrno: errnoOf(e) }))),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = stderr.trim().split('\n').filter(Boolean).pop();
      error = new JootError('ECMD', `${prog} failed (${signal ? `killed by ${signal}` : `exit ${code}`})${tail ? `: ${tail}` : ''}`, {
        command,
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stderr,
      });
      reject(error);
    });
  });
  done.catch(() => undefined);
  return {
    write: (c) => writeTo(stdin, c, () => error),
    end: () => endOf(stdin),
    output: stdout,
    wait: () => done,
    abort: () => {
      child.kill('SIGKILL');
    },
  };
}

export async function compressor(kind: Compression): Promise<Filter | undefined> {
  if (kind === 'none') return undefined;
  if (kind === 'gzip') return zlibFilter(false);
  const [prog, args] = programs[kind];
  return programFilter(prog, args);
}

export async function decompressor(kind: Compression): Promise<Filter | undefined> {
  if (kind === 'none') return undefined;
  if (kind === 'gzip') return zlibFilter(true);
  const [, , prog, args] = programs[kind];
  return programFilter(prog, args);
}

// The one wrapper around execa: every external command joot runs goes through here,
// so tracing (-v), error messages and environment hygiene are the same everywhere.
// execa is loaded on first use: loading it costs ~28 ms, and the quick joot commands (list,
// delete, create, an enter that joins a ready joot) run no external command through here.
import type { ResultPromise } from 'execa';
import { JootError } from './errors.js';

let execaModule: Promise<typeof import('execa')> | undefined;
export function loadExeca(): Promise<typeof import('execa')> {
  execaModule ??= import('execa');
  return execaModule;
}

let verbose = process.env.JOOT_VERBOSE === '1';

export function setVerbose(on: boolean): void {
  verbose = on;
}
export function isVerbose(): boolean {
  return verbose;
}
export function trace(line: string): void {
  if (verbose) process.stderr.write(`joot: ${line}\n`);
}
/** One line the user should see even without -v (something in the guest was skipped). */
export function warn(line: string): void {
  process.stderr.write(`joot: warning: ${line}\n`);
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Do not throw on a non-zero exit; return the result instead. */
  allowFailure?: boolean;
  cwd?: string;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The environment every child gets: C locale so we can parse output; quiet LVM. */
const baseEnv: Record<string, string> = {
  LC_ALL: 'C',
  LANG: 'C',
  LVM_SUPPRESS_FD_WARNINGS: '1',
};

export function quoteForTrace(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function lastLines(text: string, n = 3): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-n).join('; ');
}

/** An error naming the command, its exit code and the last lines of its stderr. */
export function commandError(r: RunResult): JootError {
  const tail = lastLines(r.stderr) || lastLines(r.stdout) || 'no output';
  return new JootError('ECMD', `${r.command.split(' ')[0]} failed (exit ${r.exitCode}): ${tail}`);
}

export type Runner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** Run a command to completion. Never uses a shell: arguments are passed as data. */
export const run: Runner = async (cmd, args, opts = {}) => {
  const command = quoteForTrace(cmd, args);
  trace(command);
  const { execa } = await loadExeca();
  const r = await execa(cmd, [...args], {
    input: opts.input,
    timeout: opts.timeoutMs,
    env: { ...baseEnv, ...opts.env },
    cwd: opts.cwd,
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
  });
  if (r.failed && r.exitCode === undefined) {
    // Could not start at all (ENOENT) or was killed by a signal/timeout.
    const why = r.timedOut
      ? `timed out after ${opts.timeoutMs} ms`
      : r.signal
        ? `killed by ${r.signal}`
        : (r.originalMessage ?? r.shortMessage);
    throw new JootError('ECMD', `${cmd}: ${why}`);
  }
  const result: RunResult = { command, exitCode: r.exitCode ?? 0, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (result.exitCode !== 0 && !opts.allowFailure) throw commandError(result);
  return result;
};

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Start a long-running helper (qemu-storage-daemon, qemu-nbd, a FUSE driver).
 * It gets its own process group, so a terminal's ^C reaches joot first and joot
 * tears things down in order; and PR_SET_PDEATHSIG through setpriv, so a helper
 * never outlives a joot that was SIGKILLed.
 */
export async function spawnHelper(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<{ child: ResultPromise }> {
  const full = ['--pdeathsig', 'TERM', '--', cmd, ...args];
  trace(`${quoteForTrace(cmd, args)} &`);
  const { execa } = await loadExeca();
  // wrapped: the child is a thenable, which an async function's result would wait for
  const child = execa('setpriv', full, {
    env: { ...baseEnv, ...opts.env },
    cwd: opts.cwd,
    reject: false,
    detached: true,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    encoding: 'utf8',
    cleanup: false,
  });
  return { child };
}

/** Retry `fn` while it fails with a busy device (udev's blkid holds it briefly after close). */
export async function retryWhileBusy<T>(fn: () => Promise<T>, what: string, tries = 20, delayMs = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      const msg = e instanceof Error ? e.message : String(e);
      // mke2fs says a device someone holds open exclusively for a moment is "apparently in use"
      if (!/busy|EBUSY|apparently in use/i.test(msg)) throw e;
      trace(`${what}: busy, retrying`);
      await sleep(delayMs);
    }
  }
  throw last;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

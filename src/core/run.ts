// The one command runner: every external command joot runs starts here (run, spawnProcess,
// startCommand, spawnHelper; .dependency-cruiser.cjs keeps it so), so tracing (-v), error
// facts and environment hygiene are the same everywhere.
// execa is loaded on first use: loading it costs ~28 ms, and the quick joot commands (list,
// delete, create, an enter that joins a ready joot) use only spawnProcess (node's spawn).
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { Options as ExecaOptions, ResultPromise } from 'execa';
import { JootError, type ErrorFacts } from './errors.js';
import { leaveSandbox } from './sandbox.js';
import { writeStderr } from './stdio.js';

let execaModule: Promise<typeof import('execa')> | undefined;
function loadExeca(): Promise<typeof import('execa')> {
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
  if (verbose) writeStderr(`joot: ${line}\n`);
}
/** One line the user should see even without -v (something in the guest was skipped). */
export function warn(line: string): void {
  writeStderr(`joot: warning: ${line}\n`);
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Do not throw on a non-zero exit; return the result instead. */
  allowFailure?: boolean;
  cwd?: string;
  /**
   * The command takes or gives back a host resource that joot learns of only from its answer
   * (losetup, partx, mount, dmsetup, qemu-nbd): it runs in a session of its own, so a
   * terminal's ^C, which the session's signal handler answers by releasing what is held, cannot
   * kill it halfway (a loop device attached but never reported would be left behind).
   */
  shielded?: boolean;
}

export interface RunResult {
  command: string;
  /** the program and its arguments, as run (absent in results made up by tests) */
  argv?: readonly string[];
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

/** Whose environment a started program gets (see envFor). */
export interface EnvPolicy {
  /** extra variables, over the rest */
  env?: Record<string, string>;
  /**
   * 'C' (the default): the C locale, so joot can parse what the program says. 'inherit': no
   * locale of joot's: for programs that talk to the user (their editor, a `!cmd`, joot or
   * jfish re-running itself) and guest programs, whose environment is their own.
   */
  locale?: 'C' | 'inherit';
  /** false: `env` (with the C locale, unless 'inherit') is all the program gets, nothing of joot's own */
  extendEnv?: boolean;
}

export function envFor(o: EnvPolicy): Record<string, string | undefined> {
  return { ...(o.extendEnv === false ? {} : process.env), ...(o.locale === 'inherit' ? {} : baseEnv), ...o.env };
}

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

/** The facts of a finished command, for an error about it. */
export function factsOf(r: RunResult): ErrorFacts {
  return { command: r.argv, exitCode: r.exitCode, stderr: r.stderr };
}

/** An error naming the command, its exit code and the last lines of its stderr; the same as fields. */
export function commandError(r: RunResult): JootError {
  const tail = lastLines(r.stderr) || lastLines(r.stdout) || 'no output';
  return new JootError('ECMD', `${r.command.split(' ')[0]} failed (exit ${r.exitCode}): ${tail}`, factsOf(r));
}

export type Runner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** Run a command to completion. Never uses a shell: arguments are passed as data. */
export const run: Runner = async (cmd, args, opts = {}) => {
  const command = quoteForTrace(cmd, args);
  leaveSandbox(`running ${cmd}`);
  const argv = [cmd, ...args];
  trace(command);
  const { execa } = await loadExeca();
  const r = await execa(cmd, [...args], {
    input: opts.input,
    timeout: opts.timeoutMs,
    env: envFor(opts),
    extendEnv: false,
    cwd: opts.cwd,
    detached: opts.shielded,
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
    const started = r.timedOut || r.signal !== undefined;
    throw new JootError('ECMD', `${cmd}: ${why}`, {
      cause: r,
      command: argv,
      signal: r.signal,
      timedOut: r.timedOut || undefined,
      stderr: started ? String(r.stderr ?? '') : undefined,
      spawnErrno: started ? undefined : r.code,
    });
  }
  const result: RunResult = {
    command,
    argv,
    exitCode: r.exitCode ?? 0,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  };
  if (result.exitCode !== 0 && !opts.allowFailure) throw commandError(result);
  return result;
};

export interface SpawnOptions extends EnvPolicy {
  cwd?: string;
  stdio?: StdioOptions;
  /** setsid: a session and process group of its own (a terminal's ^C is not for it) */
  detached?: boolean;
  /** the -v line, where the command line itself says less than this (default: the command line) */
  traceAs?: string;
}

/** node:child_process, loaded at the first spawn: a run that starts no program (the userspace
 *  engine) does not load it, nor the net and dgram modules it loads. */
let childProcess: typeof import('node:child_process') | undefined;

/**
 * Start a program and hand back node's child, for what `run` cannot do: inherit the terminal
 * (an editor, `!cmd`, joot re-running itself), stream binary data at the reader's pace (a
 * compressor), pass extra descriptors (fd 3 status pipes). Node's spawn, not execa: it costs
 * nothing to load (joot enter runs no other command) and never buffers. Traced like `run`;
 * the caller handles 'error' (a program that cannot start) and the exit.
 */
export function spawnProcess(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  leaveSandbox(`running ${cmd}`);
  trace(opts.traceAs ?? quoteForTrace(cmd, args));
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return childProcess.spawn(cmd, [...args], { env: envFor(opts), cwd: opts.cwd, stdio: opts.stdio, detached: opts.detached });
}

/**
 * Start this very tool once more as a child with an IPC channel (jinspect --worker's job
 * processes): the same node, flags and entry script (so the same V8 code cache), no arguments,
 * `env` added to this process's environment; stdin and stdout closed, stderr shared. Traced
 * like `run`; the caller handles the exit.
 */
export function forkSelf(env: Record<string, string>, opts: { serialization?: 'json' | 'advanced' } = {}): ChildProcess {
  leaveSandbox('starting a job process');
  const script = process.argv[1]!;
  trace(quoteForTrace(process.execPath, [...process.execArgv, script]));
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return childProcess.fork(script, [], {
    execArgv: process.execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: opts.serialization,
  });
}

export type StartOptions = EnvPolicy & Omit<ExecaOptions, 'env' | 'extendEnv'> & { traceAs?: string };

/**
 * Start a program through execa and hand back its result promise unawaited, for a caller that
 * reads its output as it comes or kills it from outside (a guest program, debootstrap, the
 * long-running helpers). Traced like `run`. Wrapped in an object: the child is a thenable,
 * which an async function's result would wait for.
 */
export async function startCommand<O extends StartOptions>(
  cmd: string,
  args: readonly string[],
  opts: O,
): Promise<{ child: ResultPromise<O> }> {
  const { env, locale, extendEnv, traceAs, ...rest } = opts;
  leaveSandbox(`running ${args[0] === '--pdeathsig' ? (args[3] ?? cmd) : cmd}`);
  trace(traceAs ?? quoteForTrace(cmd, args));
  const { execa } = await loadExeca();
  const child = execa(cmd, [...args], {
    ...rest,
    env: envFor({ env, locale, extendEnv }),
    extendEnv: false,
  }) as unknown as ResultPromise<O>;
  return { child };
}

// node's flags of the permission model (bin/launch.sh), which running again leaves out
const SANDBOX_FLAG = /^--(experimental-permission|allow-fs-read|allow-fs-write|allow-child-process|allow-worker)(=|$)/;

/** As bin/launch.sh decides it: root, not yet in a private namespace, not opted out. */
function privateNamespaceWanted(): boolean {
  return !process.env.JOOT_IN_NS && process.env.JOOT_NO_UNSHARE !== '1' && process.getuid?.() === 0;
}

/**
 * Run this very tool once more, without the sandbox (core/sandbox.ts): same node, same other
 * flags, same arguments, the terminal inherited; resolves to the exit status to pass on. The
 * one spawn allowed inside the sandbox (bin/launch.sh gives --allow-child-process for it).
 */
export function runAgainWithoutSandbox(): Promise<number> {
  const argv = [process.execPath, ...process.execArgv.filter((a) => !SANDBOX_FLAG.test(a)), ...process.argv.slice(1)];
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const cp = childProcess;
  // Through setpriv, as the helpers: a SIGKILL of this process still stops (and cleans up) the
  // second run. The sandboxed run mounts nothing, so bin/launch.sh saves it the private mount
  // namespace (~8 ms); the run again may mount (the kernel engine): it gets one as launch.sh
  // would give it. unshare and setpriv exec in place (one process); where one is missing (both
  // come with util-linux) the try without them follows: the sandbox may not search PATH.
  const unshare = ['unshare', '--mount', '--propagation', 'private', '--'];
  const setpriv = ['setpriv', '--pdeathsig', 'TERM', '--'];
  const tries = privateNamespaceWanted() ? [[...unshare, ...setpriv], setpriv, []] : [setpriv, []];
  const start = (n: number): Promise<number> => {
    const cmd = [...tries[n]!, ...argv];
    trace(quoteForTrace(cmd[0]!, cmd.slice(1)));
    const child = cp.spawn(cmd[0]!, cmd.slice(1), {
      stdio: 'inherit',
      env: tries[n]![0] === 'unshare' ? { ...process.env, JOOT_IN_NS: '1', JOOT_NS_FRESH: '1' } : process.env,
    });
    // a terminal's ^C reaches both processes; a signal sent to this one alone is passed on
    const pass = (sig: NodeJS.Signals): void => void child.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, pass);
    return new Promise((resolve) => {
      child.on('error', (e: NodeJS.ErrnoException) => {
        for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, pass);
        if (e.code === 'ENOENT' && n + 1 < tries.length) resolve(start(n + 1));
        else {
          writeStderr(`joot: cannot run again without the sandbox: ${e.message}\n`);
          resolve(1);
        }
      });
      child.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
    });
  };
  return start(0);
}

export interface HelperOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Start a long-running helper (qemu-storage-daemon, qemu-nbd, a FUSE driver).
 * It gets its own process group, so a terminal's ^C reaches joot first and joot
 * tears things down in order; and PR_SET_PDEATHSIG through setpriv, so a helper
 * never outlives a joot that was SIGKILLed.
 */
export function spawnHelper(cmd: string, args: readonly string[], opts: HelperOptions = {}) {
  return startCommand('setpriv', ['--pdeathsig', 'TERM', '--', cmd, ...args], {
    env: opts.env,
    cwd: opts.cwd,
    traceAs: `${quoteForTrace(cmd, args)} &`,
    reject: false,
    detached: true,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    encoding: 'utf8',
    cleanup: false,
  });
}

/** Retry `fn` while it fails with a busy device (udev's blkid holds it briefly after close). */
export async function retryWhileBusy<T>(fn: () => Promise<T>, what: string, tries = 20, delayMs = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      if (!isBusy(e)) throw e;
      trace(`${what}: busy, retrying`);
      await sleep(delayMs);
    }
  }
  throw last;
}

/** A device someone holds for a moment, as the failed command said it. */
function isBusy(e: unknown): boolean {
  // what the command said, where the error keeps it (the message may quote a file name);
  // mke2fs says a device someone holds open exclusively for a moment is "apparently in use"
  const text = e instanceof JootError && e.stderr ? e.stderr : e instanceof Error ? e.message : String(e);
  return /busy|EBUSY|apparently in use/i.test(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

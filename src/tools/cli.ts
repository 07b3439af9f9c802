// What every joot binary shares: the version string, usage errors, and runCli, which runs a
// tool's main, turns any error into one line on stderr (`tool: message`; exit 2 for usage
// errors, 1 otherwise), flushes stdout and exits. Never a stack trace.
import { oneLine } from '../core/errors.js';
import { runAgainWithoutSandbox, trace } from '../core/run.js';
import { isLeaveSandbox, sandboxCommitted, sandboxed } from '../core/sandbox.js';
import { interruptedBy, signalExitCode } from '../appliance/cleanup.js';
import { dropInheritedSessionMounts } from '../appliance/inherited-mounts.js';
import { escapeControls } from '../core/escape.js';
import { flushStdio, watchStdio, writeStderr } from '../core/stdio.js';
import { startupMark } from '../core/startup-trace.js';
import { version } from '../core/version.js';

/** A mistake on the command line: printed as `tool: message`, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export { version } from '../core/version.js';

/** `jfish (joot) 0.1.0` */
export function versionLine(tool: string): string {
  return `${tool} (joot) ${version()}`;
}

/** --help (print `usage`) and --version, as the tools answer them: true when one was answered. */
export function answeredHelpOrVersion(tool: string, usage: string, args: { help?: boolean; version?: boolean }): boolean {
  if (args.help) process.stdout.write(usage);
  else if (args.version) process.stdout.write(`${versionLine(tool)}\n`);
  else return false;
  return true;
}

/**
 * Print `tool: message` to stderr (ignores a closed stderr). Messages often quote guest names
 * and paths, so control characters are escaped, to a terminal or not: an error is for people.
 */
export function printError(tool: string, message: string): void {
  writeStderr(`${tool}: ${escapeControls(message)}\n`);
}

/** -v: say that this run is in the sandbox (bin/launch.sh, core/sandbox.ts). */
export function traceSandbox(): void {
  if (sandboxed()) trace("in joot's sandbox: reads only its own code, the configuration and the files named on the command line");
}

/** The exit status for an error that reached the top. */
export function exitCodeFor(e: unknown): number {
  return e instanceof UsageError ? 2 : 1;
}

/**
 * Run a tool's main with process.argv, then exit with its status once stdout and stderr are
 * flushed. Exiting explicitly means a stray handle cannot keep a finished tool alive.
 */
export async function runCli(tool: string, main: (argv: string[]) => Promise<number>): Promise<void> {
  const die = (e: unknown): void => {
    printError(tool, oneLine(e));
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  // the streams are made only if something needs them (core/stdio.ts); then they get these
  watchStdio((name, stream) => {
    // a closed stderr is not worth crashing over; a stdout reader that went away is not an error
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (name === 'stdout' && e.code !== 'EPIPE') die(e);
    });
  });
  let code: number;
  try {
    await dropInheritedSessionMounts();
    code = await main(process.argv.slice(2));
  } catch (e) {
    if (isLeaveSandbox(e) && sandboxCommitted() === undefined) {
      trace(`${oneLine(e)}: running ${tool} again without the sandbox`);
      code = await runAgainWithoutSandbox();
    } else {
      printError(tool, oneLine(e));
      code = exitCodeFor(e);
    }
  }
  // Interrupted (SIGINT/SIGTERM/SIGHUP): the session's signal handler is releasing the disks and
  // exits 128+N when done; what failed meanwhile (commands on a closing session) must not win.
  const sig = interruptedBy();
  if (sig) code = signalExitCode(sig);
  process.exitCode = code;
  await flushStdio();
  startupMark('exit');
  process.exit(code);
}

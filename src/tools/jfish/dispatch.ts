// Running a script of commands: look each up, parse its arguments from its ArgSpecs,
// refuse launch-needing commands before `run`, stop at the first failure.
import { JootError, oneLine } from '../../core/errors.js';
import { quoteForTrace } from '../../core/run.js';
import { parseArgs } from '../../ops/args.js';
import type { ArgValue } from '../../ops/arg-spec.js';
import type { Command, CommandTable, Ctx, SessionHolder } from './command.js';
import { ExitRequest } from './control.js';
import type { Writer } from '../../core/output.js';

export interface Invocation {
  command: Command;
  /** the name as typed */
  name: string;
  words: string[];
  args: ArgValue[];
}

/** An error tied to one command: printed as `jfish: CMD: message`. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'CommandError';
  }
}

/** Resolve and parse one command line (name + words). Throws CommandError. */
export function prepare(ctx: Pick<Ctx, 'table'>, line: readonly string[]): Invocation {
  const [name, ...words] = line;
  if (name === undefined) throw new CommandError('', 'empty command');
  const command = ctx.table.lookup(name);
  if (!command) throw new CommandError(name, "unknown command (try 'help')");
  try {
    return { command, name, words, args: parseArgs(command, words) };
  } catch (e) {
    throw new CommandError(command.name, oneLine(e), e);
  }
}

/** Run one prepared command. Throws CommandError. */
export async function execute(ctx: Ctx, inv: Invocation): Promise<void> {
  const { command } = inv;
  if (command.needsLaunch && !ctx.session.launched) {
    throw new CommandError(command.name, 'call run before using this command');
  }
  try {
    await command.run(ctx, inv.args);
  } catch (e) {
    // ExitRequest, and the error of a command run by this one (time CMD): unchanged
    if (e instanceof ExitRequest || e instanceof CommandError) throw e;
    throw new CommandError(command.name, oneLine(e), e);
  }
}

export interface CtxParts {
  sessions: SessionHolder;
  out: Writer;
  readonly: boolean;
  table: CommandTable;
  /** how key arguments are asked for (default: they cannot be: an error) */
  readKey?: (prompt: string) => Promise<string>;
}

/** The context commands run with: `session` is read from `sessions` on every use. */
export function makeCtx(parts: CtxParts): Ctx {
  const ctx: Ctx = {
    get session() {
      return parts.sessions.session;
    },
    out: parts.out,
    readonly: parts.readonly,
    table: parts.table,
    sessions: parts.sessions,
    dispatch: (line) => execute(ctx, prepare(ctx, line)),
    readKey:
      parts.readKey ??
      (async () => {
        throw new JootError('EINVAL', 'no passphrase can be asked for here');
      }),
  };
  return ctx;
}

/** The same context with output going to `out` (`CMD | pipeline`, a remote client). */
export function withOut(ctx: Ctx, out: Writer): Ctx {
  const derived: Ctx = {
    ...ctx,
    get session() {
      return ctx.session;
    },
    out,
    dispatch: (line) => execute(derived, prepare(derived, line)),
  };
  return derived;
}

export interface ScriptOptions {
  /** -x: echo each command to stderr before running it. */
  trace?: (line: string) => void;
  /** called before each command runs */
  before?: (inv: Invocation) => void;
}

/**
 * Parse every command first (a typo fails before anything is opened), then run them in
 * order, stopping at the first error or once stdout's reader has gone away.
 */
export async function runScript(ctx: Ctx, lines: readonly string[][], opts: ScriptOptions = {}): Promise<void> {
  const prepared = lines.map((l) => prepare(ctx, l));
  for (const inv of prepared) {
    if (ctx.out.closed) return;
    opts.before?.(inv);
    opts.trace?.(quoteForTrace(inv.name, inv.words));
    await execute(ctx, inv);
  }
}

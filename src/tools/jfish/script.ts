// Running jfish input lines (a -f script, stdin, `<!` output, the interactive shell): each
// line goes through lexLine, then is a jfish command (optionally `| host pipeline`), a
// `!cmd` for the host shell or a `<!cmd` whose output is run as jfish lines. A failing
// line stops a non-interactive script unless it had the '-' prefix; then, as in the shell,
// its error is reported and the next line runs. The host shell is injected (HostShell), so
// this module runs in unit tests without spawning anything, and a `jfish --listen` server
// runs a remote script's host commands on its client (server.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { oneLine } from '../../core/errors.js';
import { quoteForTrace } from '../../core/run.js';
import { escapeControls } from '../../core/escape.js';
import { TextWriter } from '../../core/output.js';
import type { Ctx } from './command.js';
import { ExitRequest } from './control.js';
import { CommandError, execute, prepare, withOut } from './dispatch.js';
import { lexLine, splitScript, type Line, type ScriptLine } from './lexer.js';
import type { HostShell } from './remote.js';

export { systemShell, type HostShell } from './remote.js';

export interface LineRunner {
  ctx: Ctx;
  shell: HostShell;
  /** -x: echo each command to stderr before running it */
  trace?: (line: string) => void;
  /** where reported (ignored or interactive) errors go: one line, without the `jfish: ` prefix */
  report: (message: string) => void;
  /** tilde expansion of unquoted arguments */
  home?: (user: string) => string | undefined;
}

/**
 * `jfish: CMD: message` text (without the tool prefix) for an error from a line. Errors often
 * quote guest names, so control characters are escaped, wherever the error goes.
 */
export function errorText(e: unknown): string {
  if (e instanceof CommandError) return escapeControls(e.command ? `${e.command}: ${e.message}` : e.message);
  return escapeControls(oneLine(e));
}

/** Collects a command's output for `| pipeline`: a pipe, so guest text goes exactly. */
class BufferWriter extends TextWriter {
  readonly chunks: Buffer[] = [];
  readonly closed = false;
  constructor() {
    super(false);
  }
  async write(data: string | Uint8Array): Promise<void> {
    this.chunks.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
  }
}

function statusText(status: number): string {
  return status > 128 ? `killed by signal ${status - 128}` : `exited with status ${status}`;
}

/** Does `line` (raw text) carry the '-' prefix? (also for lines that do not lex) */
function hasIgnorePrefix(text: string): boolean {
  return /^\s*-/.test(text);
}

/** Split script text the way runLines wants it: here-documents only for filein arguments. */
export function scriptLines(text: string, runner: { ctx: Pick<Ctx, 'table'>; home?: LineRunner['home'] }): ScriptLine[] {
  return splitScript(text, {
    home: runner.home,
    takesHeredoc: (name, arg) => {
      const c = runner.ctx.table.lookup(name);
      if (!c) return false;
      const spec = c.args[arg] ?? (c.args.at(-1)?.variadic ? c.args.at(-1) : undefined);
      return spec?.type === 'filein';
    },
  });
}

/** Run one already lexed line. Throws CommandError (or ExitRequest). */
async function runParsed(runner: LineRunner, parsed: Line, entry: ScriptLine): Promise<void> {
  switch (parsed.kind) {
    case 'empty':
      return;
    case 'local': {
      runner.trace?.(`!${parsed.command}`);
      const status = await runner.shell.system(parsed.command);
      if (status !== 0) throw new CommandError(`!${parsed.command.trim()}`, statusText(status));
      return;
    }
    case 'include': {
      runner.trace?.(`<!${parsed.command}`);
      const { stdout, status } = await runner.shell.capture(parsed.command);
      if (status !== 0) throw new CommandError(`<!${parsed.command.trim()}`, statusText(status));
      let lines: ScriptLine[];
      try {
        lines = scriptLines(stdout, runner);
      } catch (e) {
        throw new CommandError(`<!${parsed.command.trim()}`, oneLine(e), e);
      }
      await runLines(runner, lines, { stopOnError: !parsed.ignoreErrors });
      return;
    }
    case 'command': {
      let words = parsed.args;
      let tmp: string | undefined;
      try {
        if (entry.heredocs?.length) {
          tmp = mkdtempSync(path.join(os.tmpdir(), 'jfish-heredoc-'));
          words = [...words];
          for (const h of entry.heredocs) {
            const file = path.join(tmp, `arg${h.arg}`);
            writeFileSync(file, h.data, { mode: 0o600 });
            words[h.arg] = file;
          }
        }
        const inv = prepare(runner.ctx, [parsed.name, ...words]);
        runner.trace?.(quoteForTrace(inv.name, inv.words) + (parsed.pipe === undefined ? '' : ` |${parsed.pipe}`));
        if (parsed.pipe === undefined) {
          await execute(runner.ctx, inv);
          return;
        }
        const buf = new BufferWriter();
        await execute(withOut(runner.ctx, buf), inv);
        // guestfish ignores the pipeline's exit status (pclose); so do we
        await runner.shell.pipe(parsed.pipe, Buffer.concat(buf.chunks));
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
      return;
    }
  }
}

/** Run one line of text. Throws CommandError (or ExitRequest). */
export async function runLine(runner: LineRunner, text: string | ScriptLine): Promise<void> {
  const entry: ScriptLine = typeof text === 'string' ? { line: 0, text } : text;
  let parsed: Line;
  try {
    parsed = lexLine(entry.text, { home: runner.home });
  } catch (e) {
    throw new CommandError('', oneLine(e), e);
  }
  await runParsed(runner, parsed, entry);
}

export interface RunLinesOptions {
  /** Non-interactive: the first failing line without '-' ends the run (its error is thrown). */
  stopOnError: boolean;
}

/**
 * Run lines in order. Errors of '-' lines (and of every line when !stopOnError) are
 * reported and the run goes on; otherwise the first error is thrown. Stops quietly once
 * stdout's reader has gone away; ExitRequest always propagates.
 */
export async function runLines(runner: LineRunner, lines: readonly ScriptLine[], opts: RunLinesOptions): Promise<void> {
  for (const entry of lines) {
    if (runner.ctx.out.closed) return;
    try {
      await runLine(runner, entry);
    } catch (e) {
      if (e instanceof ExitRequest) throw e;
      if (opts.stopOnError && !hasIgnorePrefix(entry.text)) throw e;
      runner.report(errorText(e));
    }
  }
}

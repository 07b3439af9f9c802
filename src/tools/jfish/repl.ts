// The interactive shell: guestfish's `><fs> ` prompt on node:readline, with line editing,
// history in ~/.jfish_history and tab completion (completion.ts) of command names, guest
// paths (once something is mounted on /) and device names (once launched). Errors are
// printed and the shell goes on; `exit`, `quit` or EOF (^D) end it.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Session } from '../../appliance/index.js';
import type { CommandTable } from './command.js';
import { complete, type CompletionSource, type DirEntry } from './completion.js';
import { ExitRequest } from './control.js';
import { errorText, runLine, type LineRunner } from './script.js';

export const PROMPT = '><fs> ';
export const HISTORY_FILE = '.jfish_history';
export const HISTORY_SIZE = 1000;

export function historyPath(home: string = os.homedir()): string {
  return path.join(home, HISTORY_FILE);
}

/**
 * Read the history file (oldest line first in the file), keeping the last `cap` lines; a
 * longer file is rewritten to its last `cap` lines. Returns the lines newest first, as
 * readline wants them. A missing or unreadable file is an empty history.
 */
export function loadHistory(file: string, cap = HISTORY_SIZE): string[] {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
  if (lines.length > cap) {
    lines = lines.slice(-cap);
    try {
      writeFileSync(file, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    } catch {
      // read-only home: keep using what we read
    }
  }
  return lines.reverse();
}

/** Append one line to the history file (errors ignored: history is a convenience). */
export function appendHistory(file: string, line: string): void {
  if (line.trim() === '' || line.includes('\n')) return;
  try {
    appendFileSync(file, `${line}\n`, { mode: 0o600 });
  } catch {
    // nowhere to keep it
  }
}

/**
 * What completion.ts needs, from the command table and (when launched) the session: a
 * Session, or a function returning the current one (it changes on `reopen`).
 */
export function completionSource(table: CommandTable, current: Session | (() => Session)): CompletionSource {
  const sessionNow = (): Session => (typeof current === 'function' ? current() : current);
  const names = table.commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  return {
    commands: names,
    async listDir(dir: string): Promise<DirEntry[]> {
      const reader = sessionNow().reader; // throws before launch / with nothing on /
      const entries = await reader.readdir(dir);
      return Promise.all(entries.map(async (name) => ({ name, isDir: await reader.isDir(path.posix.join(dir, name)).catch(() => false) })));
    },
    async listDevices(): Promise<string[]> {
      const session = sessionNow();
      if (!session.launched) return [];
      return [...session.listDevices(), ...session.listPartitions(), ...session.lvs()];
    },
    argKind(command, arg) {
      const c = table.lookup(command);
      if (!c) return 'path';
      if (c.name === 'help') return arg === 0 ? 'command' : 'none';
      const spec = c.args[arg] ?? (c.args.at(-1)?.variadic ? c.args.at(-1) : undefined);
      // named optional arguments (format:raw) are not paths
      if (!spec || spec.named) return 'none';
      return spec.type === 'path' || spec.type === 'device' || spec.type === 'mountable' || spec.type === 'string' ? 'path' : 'none';
    },
  };
}

export interface ReplOptions {
  runner: LineRunner;
  /** lines to print after the banner (-i's `Operating system: …`) */
  intro?: readonly string[];
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  historyFile?: string;
}

/** Run the interactive shell until exit/quit/EOF. */
export async function repl(opts: ReplOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const file = opts.historyFile ?? historyPath();
  const src = completionSource(opts.runner.ctx.table, () => opts.runner.ctx.session);
  const rl = readline.createInterface({
    input,
    output,
    prompt: PROMPT,
    terminal: true,
    history: loadHistory(file),
    historySize: HISTORY_SIZE,
    completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
      complete(line, src).then(
        (c) => cb(null, [c.candidates, c.word]),
        () => cb(null, [[], line]),
      );
    },
  });
  rl.on('SIGINT', () => {
    // ^C: drop the line being typed, as a shell does
    output.write('^C\n');
    (rl as unknown as { line: string }).line = '';
    rl.prompt();
  });

  output.write(
    '\nWelcome to jfish, the joot filesystem interactive shell for\nediting virtual machine filesystems and disk images.\n\n' +
      "Type: 'help' for help on commands\n      'quit' to quit the shell\n\n",
  );
  for (const l of opts.intro ?? []) output.write(`${l}\n`);
  if (opts.intro?.length) output.write('\n');

  rl.prompt();
  try {
    for await (const line of rl) {
      appendHistory(file, line);
      try {
        await runLine(opts.runner, line);
      } catch (e) {
        if (e instanceof ExitRequest) break;
        opts.runner.report(errorText(e));
      }
      rl.prompt();
    }
  } finally {
    rl.close();
  }
}

// Does a jfish run only read? When every command it will run is known before launch (given on
// the command line, in a -f script or on stdin) and no command writes (the records' `writes`),
// jfish reads on the userspace engine by default, as for --ro (issue 15), although -a adds the
// drives read-write: nothing in the script changes them. An interactive shell, a --listen
// server, -N (it lays out the new disk), a `<!cmd` line (its commands are known only when it
// runs), a line that does not parse or an unknown command: not known to only read.
import { oneLine } from '../../core/errors.js';
import type { CommandTable } from './command.js';
import { lexLine } from './lexer.js';
import { scriptLines } from './script.js';

/**
 * `readsOnly`: nothing the run will do changes the drives; `why`: one line for -v;
 * `transfers`: some command moves files between guest and host (a long run of short-lived
 * buffers: jfish then keeps V8's young generation small, core/young-gen.ts).
 */
export interface ScriptEffect {
  readonly readsOnly: boolean;
  readonly why: string;
  readonly transfers: boolean;
}

export type ScriptSource =
  /** commands given on the command line, split on ':' */
  | { readonly kind: 'commands'; readonly lines: readonly (readonly string[])[] }
  /** a -f script or stdin's text */
  | { readonly kind: 'script'; readonly text: string }
  /** commands known only later: the interactive shell, a --listen server */
  | { readonly kind: 'later'; readonly what: string };

/** `time glob time …`: nesting deeper than this is not looked into (and counts as a writer). */
const MAX_NESTING = 8;

/** Why this command line may write, or undefined when it only reads. */
function mayWrite(table: Pick<CommandTable, 'lookup'>, words: readonly string[], depth = 0): string | undefined {
  const [name, ...rest] = words;
  if (name === undefined) return 'a command is missing';
  const c = table.lookup(name);
  if (!c) return `unknown command '${name}'`;
  if (c.writes) return `${c.name} writes`;
  if (!c.runsCommand) return undefined;
  if (depth >= MAX_NESTING) return `${c.name} nests too deep to look into`;
  return mayWrite(table, rest, depth + 1);
}

/** Is some command of this line (or one it runs) in the transfer group? */
function transfers(table: Pick<CommandTable, 'lookup'>, words: readonly string[]): boolean {
  return words.some((w) => table.lookup(w)?.group === 'transfer');
}

function effectOfLines(table: Pick<CommandTable, 'lookup'>, lines: readonly (readonly string[])[]): ScriptEffect {
  const moves = lines.some((words) => transfers(table, words));
  for (const words of lines) {
    const why = mayWrite(table, words);
    if (why !== undefined) return { readsOnly: false, why, transfers: moves };
  }
  return { readsOnly: true, why: 'every command of the script only reads', transfers: moves };
}

function effectOfText(table: CommandTable, text: string): ScriptEffect {
  let entries: ReturnType<typeof scriptLines>;
  try {
    entries = scriptLines(text, { ctx: { table } });
  } catch (e) {
    return { readsOnly: false, why: `the script does not parse: ${oneLine(e)}`, transfers: false };
  }
  const lines: string[][] = [];
  for (const entry of entries) {
    let parsed: ReturnType<typeof lexLine>;
    try {
      parsed = lexLine(entry.text);
    } catch {
      return { readsOnly: false, why: `line ${entry.line} does not parse`, transfers: false };
    }
    if (parsed.kind === 'include')
      return { readsOnly: false, why: `line ${entry.line}: <! runs commands known only then`, transfers: false };
    // a `!cmd` line runs on the host, not through the session: it changes no drive of it
    if (parsed.kind === 'command') lines.push([parsed.name, ...parsed.args]);
  }
  return effectOfLines(table, lines);
}

/** What the commands of `source` do to the drives, decided before launch. */
export function scriptEffect(table: CommandTable, source: ScriptSource): ScriptEffect {
  switch (source.kind) {
    case 'later':
      return { readsOnly: false, why: `${source.what}: the commands are not known before launch`, transfers: false };
    case 'commands':
      return effectOfLines(table, source.lines);
    case 'script':
      return effectOfText(table, source.text);
  }
}

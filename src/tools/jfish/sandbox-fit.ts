// Which `jfish --ro` runs stay in the sandbox bin/jfish starts them in (core/sandbox.ts): those
// whose commands, given on the command line, touch no host file and start no program. A
// script (-f, stdin), the interactive shell and --listen may do either at any line, after
// output was written and stdin read: they leave the sandbox before anything is opened, as do
// read-write runs.
import type { CommandTable } from './command.js';
import { prepare } from './dispatch.js';

/**
 * Commands that reach the host only by starting a program of its own (aug-init: augtool, on a
 * private copy of the guest's files), never naming a host file: outside the sandbox all the same.
 */
export const PROGRAM_ONLY_COMMANDS: ReadonlySet<string> = new Set(['aug-init']);

/** Commands that reach the host (its files, programs or images) whatever their arguments. */
const HOST_COMMANDS: ReadonlySet<string> = new Set([
  ...PROGRAM_ONLY_COMMANDS,
  'add',
  'add-ro',
  'reopen',
  'supported',
  'lcd',
  'sparse',
  'glob',
  'time',
  'copy-in',
  'copy-out',
  'upload',
  'tar-in',
  'edit',
  // the new image is a host file named by a plain string argument
  'disk-create',
  // file(1) names the type: a host program
  'file',
]);

export interface RunShape {
  readonly: boolean;
  listen: boolean;
  interactive: boolean;
  /** the script comes from -f FILE or stdin */
  scriptFile: boolean;
  commands: readonly string[][];
}

/** Why this run cannot stay in the sandbox, or undefined when it can. */
export function sandboxMisfit(table: CommandTable, run: RunShape): string | undefined {
  if (!run.readonly) return 'a read-write session';
  if (run.listen) return 'a --listen session';
  if (run.interactive) return 'the interactive shell';
  if (run.scriptFile) return 'a script';
  for (const line of run.commands) {
    let inv: ReturnType<typeof prepare>;
    try {
      inv = prepare({ table }, line);
    } catch {
      return undefined; // the run reports it before anything is opened
    }
    const { command, args } = inv;
    if (HOST_COMMANDS.has(command.name)) return `the command ${command.name}`;
    for (const [i, spec] of command.args.entries()) {
      const v = args[i];
      if ((spec.type === 'filein' || spec.type === 'fileout') && v !== undefined && v !== '-') {
        return `${command.name} with a host file`;
      }
      // gzip is node's zlib; the other compressors are programs
      if (spec.name === 'compress' && v !== undefined && v !== 'gzip') return `${command.name} compress:${String(v)}`;
    }
  }
  return undefined;
}

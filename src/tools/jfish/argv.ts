// jfish's command line, read in order as guestfish reads it: `--format=FMT` applies to the
// -a options that follow it (bare `--format` goes back to auto-detection), `--ro`/`--rw` set
// the mode of every drive, and the first word that is not an option starts the commands,
// which are split on lone `:` words. yargs sees only the options left over (-v, -x, --help…),
// because it cannot tell us the order of repeated options.
import { UsageError } from '../cli.js';

export interface DriveSpec {
  path: string;
  /** undefined: detect */
  format?: string;
}

export interface ScannedArgv {
  drives: DriveSpec[];
  /** --ro (true) or --rw / default (false); the last one given wins */
  readonly: boolean;
  /** options for yargs, in their original order */
  options: string[];
  /** the commands, already split on ':' */
  commands: string[][];
}

/** Split words on lone ':' into commands; empty commands (`: :`) are dropped. */
export function splitCommands(words: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const w of words) {
    if (w === ':') {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(w);
  }
  if (cur.length) out.push(cur);
  return out;
}

export function prescan(argv: readonly string[]): ScannedArgv {
  const drives: DriveSpec[] = [];
  const options: string[] = [];
  let format: string | undefined;
  let readonly = false;
  let i = 0;
  const value = (opt: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${opt} needs a value`);
    return v;
  };
  const addDrive = (path: string): void => {
    if (path === '') throw new UsageError('-a needs a disk image file name');
    drives.push(format === undefined ? { path } : { path, format });
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-a' || a === '--add') addDrive(value(a));
    else if (a.startsWith('--add=')) addDrive(a.slice('--add='.length));
    else if (/^-[a-zA-Z]{2,}/.test(a)) {
      // a cluster of short options, as getopt reads it: -va IMG, -rxaIMG
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === 'a') {
          addDrive(j + 1 < a.length ? a.slice(j + 1) : value('-a'));
          break;
        } else if (c === 'r') readonly = true;
        else if (c === 'w') readonly = false;
        else options.push(`-${c}`);
      }
    }
    else if (a === '--format') format = undefined;
    else if (a.startsWith('--format=')) {
      const f = a.slice('--format='.length);
      format = f === '' ? undefined : f;
    } else if (a === '--ro' || a === '-r') readonly = true;
    else if (a === '--rw' || a === '-w') readonly = false;
    else if (a.startsWith('-') && a !== '-') options.push(a);
    else break; // the first command
  }
  return { drives, readonly, options, commands: splitCommands(argv.slice(i)) };
}

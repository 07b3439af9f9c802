// jfish's command line, read in order as guestfish reads it: `--format=FMT` applies to the
// -a options that follow it (bare `--format` goes back to auto-detection), `--ro`/`--rw` set
// the mode of every drive, and the first word that is not an option starts the commands,
// which are split on lone `:` words. yargs sees only the options left over (-v, -x, --help…),
// because it cannot tell us the order of repeated options.
import { parsePrepared, type PreparedDisk } from '../../ops/prepared.js';
import { UsageError } from '../cli.js';
import { splitCommands } from './words.js';

export { splitCommands };

export interface DriveSpec {
  path: string;
  /** undefined: detect */
  format?: string;
  /** -N: a new disk to create and lay out before anything else runs */
  prepared?: PreparedDisk;
}

/** -m DEV[:MOUNTPOINT[:OPTIONS[:FSTYPE]]] */
export interface MountSpec {
  device: string;
  /** default '/' */
  mountpoint: string;
  options?: string;
  fstype?: string;
}

export interface ScannedArgv {
  drives: DriveSpec[];
  /** --ro (true) or --rw / default (false); the last one given wins */
  readonly: boolean;
  /** whether --ro/--rw (or -r/-w) was given at all: if not, the configuration decides */
  modeGiven: boolean;
  /** -i / --inspector */
  inspector: boolean;
  /** -m / --mount, in order */
  mounts: MountSpec[];
  /** --backing-dir DIR: directories the images may name files in */
  backingDirs: string[];
  /** --engine=userspace|kernel */
  engine?: string;
  /** --no-kernel-mounts */
  noKernelMounts: boolean;
  /** --key SELECTOR:key:PASS | SELECTOR:file:FILE, in order */
  keys: string[];
  /** --keys-from-stdin */
  keysFromStdin: boolean;
  /** --listen: start a background server (server.ts) */
  listen: boolean;
  /** --cmd-help [CMD]: '' for the list of commands */
  cmdHelp?: string;
  /** -N help: list the prepared disk types */
  preparedHelp: boolean;
  /** -f / --file: the script to run */
  file?: string;
  /** options for yargs, in their original order */
  options: string[];
  /** the commands, already split on ':' */
  commands: string[][];
}

/** Read a -m value: DEV[:MOUNTPOINT[:OPTIONS[:FSTYPE]]] (as guestfish splits it). */
export function parseMountSpec(v: string): MountSpec {
  const parts = v.split(':');
  const device = parts[0] ?? '';
  if (device === '') throw new UsageError(`-m ${v}: no device (-m DEV[:MOUNTPOINT[:OPTIONS[:FSTYPE]]])`);
  if (parts.length > 4) throw new UsageError(`-m ${v}: too many ':' fields (-m DEV[:MOUNTPOINT[:OPTIONS[:FSTYPE]]])`);
  const spec: MountSpec = { device, mountpoint: parts[1] || '/' };
  if (parts[2]) spec.options = parts[2];
  if (parts[3]) spec.fstype = parts[3];
  if (!spec.mountpoint.startsWith('/')) throw new UsageError(`-m ${v}: the mountpoint must be an absolute guest path`);
  return spec;
}

export function prescan(argv: readonly string[]): ScannedArgv {
  const drives: DriveSpec[] = [];
  const options: string[] = [];
  let format: string | undefined;
  let readonly = false;
  let modeGiven = false;
  let inspector = false;
  let listen = false;
  let file: string | undefined;
  const mounts: MountSpec[] = [];
  let i = 0;
  const value = (opt: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${opt} needs a value`);
    return v;
  };
  let preparedCount = 0;
  let preparedHelpAsked = false;
  let cmdHelp: string | undefined;
  const addPrepared = (spec: string): void => {
    if (spec === 'help' || spec === 'list') {
      preparedHelpAsked = true;
      return;
    }
    try {
      const p = parsePrepared(spec, ++preparedCount);
      drives.push({ path: p.file, format: 'raw', prepared: p });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  };
  const backingDirs: string[] = [];
  const keys: string[] = [];
  let engine: string | undefined;
  let keysFromStdin = false;
  let noKernelMounts = false;
  const nonEmpty = (opt: string, v: string): string => {
    if (v === '') throw new UsageError(`${opt} needs a directory`);
    return v;
  };
  const addDrive = (path: string): void => {
    if (path === '') throw new UsageError('-a needs a disk image file name');
    drives.push(format === undefined ? { path } : { path, format });
  };
  const setFile = (f: string): void => {
    if (f === '') throw new UsageError('-f needs a script file name');
    if (file !== undefined) throw new UsageError('only one -f script can be given');
    file = f;
  };
  const setMode = (ro: boolean): void => {
    readonly = ro;
    modeGiven = true;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-a' || a === '--add') addDrive(value(a));
    else if (a.startsWith('--add=')) addDrive(a.slice('--add='.length));
    else if (a === '-m' || a === '--mount') mounts.push(parseMountSpec(value(a)));
    else if (a.startsWith('--mount=')) mounts.push(parseMountSpec(a.slice('--mount='.length)));
    else if (a === '-f' || a === '--file') setFile(value(a));
    else if (a.startsWith('--file=')) setFile(a.slice('--file='.length));
    else if (a === '-i' || a === '--inspector') inspector = true;
    else if (a === '--cmd-help') cmdHelp = argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-') ? argv[++i]! : '';
    else if (a.startsWith('--cmd-help=')) cmdHelp = a.slice('--cmd-help='.length);
    else if (a === '-N' || a === '--new') addPrepared(value(a));
    else if (a.startsWith('--new=')) addPrepared(a.slice('--new='.length));
    else if (a === '--listen') listen = true;
    else if (a === '--backing-dir') backingDirs.push(nonEmpty(a, value(a)));
    else if (a.startsWith('--backing-dir=')) backingDirs.push(nonEmpty('--backing-dir', a.slice('--backing-dir='.length)));
    else if (a === '--engine') engine = nonEmpty(a, value(a));
    else if (a.startsWith('--engine=')) engine = nonEmpty('--engine', a.slice('--engine='.length));
    else if (a === '--key') keys.push(nonEmpty(a, value(a)));
    else if (a.startsWith('--key=')) keys.push(nonEmpty('--key', a.slice('--key='.length)));
    else if (a === '--keys-from-stdin') keysFromStdin = true;
    else if (a === '--no-kernel-mounts') noKernelMounts = true;
    else if (a === '--remote' || a.startsWith('--remote=')) throw new UsageError(`${a} must come first: jfish --remote[=PID] CMD ARGS : …`);
    else if (/^-[a-zA-Z]{2,}/.test(a) || /^-[amfN]./.test(a)) {
      // a cluster of short options, as getopt reads it: -va IMG, -rxaIMG, -a/path, -m/dev/sda1
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === 'a' || c === 'm' || c === 'f' || c === 'N') {
          const v = j + 1 < a.length ? a.slice(j + 1) : value(`-${c}`);
          if (c === 'a') addDrive(v);
          else if (c === 'N') addPrepared(v);
          else if (c === 'm') mounts.push(parseMountSpec(v));
          else setFile(v);
          break;
        } else if (c === 'r') setMode(true);
        else if (c === 'w') setMode(false);
        else if (c === 'i') inspector = true;
        else options.push(`-${c}`);
      }
    } else if (a === '--format') format = undefined;
    else if (a.startsWith('--format=')) {
      const f = a.slice('--format='.length);
      format = f === '' ? undefined : f;
    } else if (a === '--ro' || a === '-r') setMode(true);
    else if (a === '--rw' || a === '-w') setMode(false);
    else if (a.startsWith('-') && a !== '-') options.push(a);
    else break; // the first command
  }
  const scanned: ScannedArgv = {
    drives,
    readonly,
    modeGiven,
    inspector,
    listen,
    mounts,
    backingDirs,
    engine,
    noKernelMounts,
    keys,
    keysFromStdin,
    options,
    preparedHelp: preparedHelpAsked,
    cmdHelp,
    commands: splitCommands(argv.slice(i)),
  };
  if (file !== undefined) scanned.file = file;
  return scanned;
}

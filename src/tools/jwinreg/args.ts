// jwinreg's command line (virt-win-reg's, with one image).
import { UsageError } from '../cli.js';

export const usage = `Usage: jwinreg [--format=FMT] IMAGE 'HKLM\\SOFTWARE\\…' [VALUE]
       jwinreg --export [--utf16] [--format=FMT] IMAGE KEY
       jwinreg --merge [--format=FMT] IMAGE FILE.reg [FILE.reg…]

Read or change the registry of the Windows installed in a disk image, offline.

  IMAGE KEY         print the key and everything below it as .reg text
  IMAGE KEY VALUE   print one value's data (@ is the key's default value): strings as text,
                    dwords and qwords in decimal, multi-strings one per line, others raw
  --export          write the key and everything below it as a .reg file to stdout
                    (regedit's format; UTF-8, or UTF-16LE with a BOM with --utf16)
  --merge           apply .reg files (the image is opened read-write and must not be in
                    use); each hive changed is backed up next to itself in the guest until
                    the new hive is written and synced, then replaced atomically

Keys: HKLM\\SOFTWARE, HKLM\\SYSTEM, HKLM\\SAM, HKLM\\SECURITY, HKU\\.DEFAULT, HKU\\<SID> (the
profile's NTUSER.DAT via SOFTWARE's ProfileList), HKU\\<user name>; HKEY_LOCAL_MACHINE and
HKEY_USERS may be spelled out.

Options:
  --format=FMT        the image format (raw, qcow2, …); default: detect
  --backing-dir DIR   an image may name files in DIR (backing file, data file, vmdk
                      extent), besides its own directory; may be repeated
  --no-kernel-mounts  reading, never mount a filesystem (or a part of one) the userspace
                      engine does not read through the kernel instead: fail in one line
  -v, --verbose       trace every external command
  -h, --help          show this help
  -V, --version       show the version
`;

export type Mode = 'read' | 'export' | 'merge';

export interface Args {
  mode: Mode;
  image?: string;
  format?: string;
  key?: string;
  value?: string;
  regFiles: string[];
  backingDirs: string[];
  utf16: boolean;
  /** --no-kernel-mounts */
  noKernelMounts: boolean;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    mode: 'read',
    regFiles: [],
    backingDirs: [],
    utf16: false,
    noKernelMounts: false,
    verbose: false,
    help: false,
    version: false,
  };
  const pos: string[] = [];
  let mode: Mode | undefined;
  const setMode = (m: Mode): void => {
    if (mode && mode !== m) throw new UsageError('--merge and --export cannot be combined');
    mode = m;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      pos.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--merge') setMode('merge');
    else if (arg === '--export') setMode('export');
    else if (arg === '--utf16') a.utf16 = true;
    else if (arg === '--no-kernel-mounts') a.noKernelMounts = true;
    else if (arg.startsWith('--format=')) a.format = arg.slice('--format='.length) || undefined;
    else if (arg === '--format') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError('--format needs a value');
      a.format = v;
    } else if (arg === '--backing-dir' || arg.startsWith('--backing-dir=')) {
      const v = arg.startsWith('--backing-dir=') ? arg.slice('--backing-dir='.length) : argv[++i];
      if (!v) throw new UsageError('--backing-dir needs a directory');
      a.backingDirs.push(v);
    } else if (arg === '-a' || arg === '--add') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      pos.unshift(v);
    } else if (arg === '-v' || arg === '--verbose') a.verbose = true;
    else if (arg === '-h' || arg === '--help') a.help = true;
    else if (arg === '-V' || arg === '--version') a.version = true;
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg} (try 'jwinreg --help')`);
    else pos.push(arg);
  }
  a.mode = mode ?? 'read';
  if (a.help || a.version) return a;
  if (a.utf16 && a.mode !== 'export') throw new UsageError('--utf16 goes with --export');
  if (a.noKernelMounts && a.mode === 'merge') throw new UsageError('--no-kernel-mounts goes with reading (--merge uses the kernel engine)');
  a.image = pos.shift();
  if (a.image === undefined) throw new UsageError("no disk image given (try 'jwinreg --help')");
  if (a.mode === 'merge') {
    if (pos.length === 0) throw new UsageError('--merge needs a .reg file');
    a.regFiles = pos;
  } else {
    a.key = pos.shift();
    if (a.key === undefined) throw new UsageError('no registry key given (e.g. HKLM\\SOFTWARE\\Microsoft)');
    if (a.mode === 'read') a.value = pos.shift();
    if (pos.length) throw new UsageError(`unexpected argument ${pos[0]!}`);
  }
  return a;
}

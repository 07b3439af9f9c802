// jformat's command line: virt-format's options, in order (--format applies to the -a after it).
import { UsageError } from '../cli.js';
import { parseSize } from '../../core/numbers.js';

export const usage = `Usage: jformat -a IMAGE [-a IMAGE…] [options]

Erase disk images (or, with --force-host-device, host block devices) and lay down a blank
partition table, optionally LVM, and a filesystem: virt-format, without booting anything.
Every disk is formatted the same way.

Options:
  -a, --add IMAGE           a disk to format (repeatable)
  --format=FMT              the format of the images that follow (raw, qcow2, …); default: detect
  --backing-dir DIR         an image may name files in DIR (backing file, data file, vmdk
                            extent), besides its own directory; may be repeated
  --partition[=mbr|gpt|none]
                            the partition table; default (and bare --partition): one partition
                            over the whole disk, MBR below 2 TiB, GPT from 2 TiB
  --filesystem=TYPE|none    make a filesystem: ext2, ext3, ext4, xfs, btrfs, vfat, ntfs, swap
                            (default: none)
  --lvm[=/dev/VG/LV]|none   a PV on the partition, a VG and one LV over all of it (bare --lvm:
                            /dev/VG/LV); the filesystem goes on the LV
  --label=LABEL             the filesystem's label
  --wipe                    zero the whole disk (default: wipe signatures, discard, zero the start)
  --create SIZE             create the image first (sparse; SIZE like 10G); refuses an existing file
  --target-format=raw|qcow2 the format for --create (default: qcow2 for *.qcow2, else raw)
  --force-host-device       allow formatting a host block device (never one in use)
  -x                        print each step as it runs
  -v, --verbose             trace every external command
  -h, --help                show this help
  -V, --version             show the version
`;

export interface Args {
  drives: { path: string; format?: string }[];
  backingDirs: string[];
  /** 'auto': MBR below 2 TiB, GPT from 2 TiB */
  partition: 'auto' | 'mbr' | 'gpt' | 'none';
  filesystem?: string;
  lvm?: { vg: string; lv: string };
  label?: string;
  wipe: boolean;
  create?: number;
  targetFormat?: 'raw' | 'qcow2';
  forceHostDevice: boolean;
  echo: boolean;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

/** /dev/VG/LV → its names (also the /dev/mapper/VG-LV spelling is refused: say which). */
export function parseLvPath(s: string): { vg: string; lv: string } {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(s);
  if (!m || m[1] === 'mapper') throw new UsageError(`--lvm=${s}: not an LV path of the form /dev/VG/LV`);
  return { vg: m[1]!, lv: m[2]! };
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    drives: [],
    backingDirs: [],
    partition: 'auto',
    wipe: false,
    forceHostDevice: false,
    echo: false,
    verbose: false,
    help: false,
    version: false,
  };
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (name) {
      case '-a':
      case '--add':
        a.drives.push({ path: value(), format });
        break;
      case '--format':
        format = inline || undefined;
        break;
      case '--backing-dir': {
        const d = value();
        if (d === '') throw new UsageError('--backing-dir needs a directory');
        a.backingDirs.push(d);
        break;
      }
      case '--partition': {
        const v = inline ?? 'auto';
        if (v !== 'auto' && v !== 'mbr' && v !== 'gpt' && v !== 'none') throw new UsageError(`--partition=${v}: use mbr, gpt or none`);
        a.partition = v;
        break;
      }
      case '--filesystem': {
        const v = value();
        a.filesystem = v === 'none' ? undefined : v;
        break;
      }
      case '--lvm':
        a.lvm = inline === undefined ? { vg: 'VG', lv: 'LV' } : inline === 'none' ? undefined : parseLvPath(inline);
        break;
      case '--label':
        a.label = value();
        break;
      case '--wipe':
        a.wipe = true;
        break;
      case '--create':
        a.create = parseSize(value(), '--create');
        if (a.create === 0) throw new UsageError('--create: the size must not be 0');
        break;
      case '--target-format': {
        const v = value();
        if (v !== 'raw' && v !== 'qcow2') throw new UsageError(`--target-format=${v}: use raw or qcow2`);
        a.targetFormat = v;
        break;
      }
      case '--force-host-device':
        a.forceHostDevice = true;
        break;
      case '-x':
        a.echo = true;
        break;
      case '-v':
      case '--verbose':
        a.verbose = true;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '-V':
      case '--version':
        a.version = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg} (try 'jformat --help')`);
    }
  }
  if (a.label !== undefined && !a.filesystem) throw new UsageError('--label needs --filesystem');
  if (a.targetFormat && a.create === undefined) throw new UsageError('--target-format goes with --create');
  return a;
}

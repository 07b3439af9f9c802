// jinspect's command line: options in order, as virt-inspector takes them.
import { UsageError } from '../cli.js';

export const usage = `Usage: jinspect [--format=FMT] [-a] IMAGE [IMAGE…] [--no-applications] [--no-icon] [--xml] [-v]

Inspect disk images read-only and print what operating systems they hold, as JSON:
distro, version, hostname, architecture, mountpoints, filesystems and installed packages.
Several images are the disks of one guest, in order (/dev/sda, /dev/sdb, …).

Options:
  -a, --add IMAGE     add an image (the -a is optional)
  --format=FMT        the format of the images that follow (raw, qcow2, …); default: detect
  --backing-dir DIR   an image may name files in DIR (backing file, data file, vmdk
                      extent), besides its own directory; may be repeated
  --engine=ENGINE     kernel (attach and mount: root) or userspace (read in-process);
                      default: $JOOT_ENGINE, the configuration's engine, else by privilege
  --no-kernel-mounts  on the userspace engine, refuse a filesystem it does not read
                      rather than mount it through the kernel (as root)
  --key DEV:key:PASS  the passphrase of the LUKS volume on DEV (a guest device or a LUKS
  --key DEV:file:FILE UUID), or the file holding it; may be repeated
  --key DEV:header:HDR:key:PASS  (or …:file:FILE) a LUKS volume whose header is detached in
                      the host file HDR, its data on DEV
  --keys-from-stdin   read a passphrase for each LUKS volume from stdin, one per line
  --no-applications   skip the package list (the slowest part)
  --no-icon           leave out the icon (the distribution's logo, base64 PNG)
  --xml               print virt-inspector's XML instead of JSON
  -v, --verbose       trace every external command
  -h, --help          show this help
  -V, --version       show the version
`;

export interface Args {
  drives: { path: string; format?: string }[];
  backingDirs: string[];
  engine?: string;
  noKernelMounts?: boolean;
  keys: string[];
  keysFromStdin: boolean;
  applications: boolean;
  icon: boolean;
  xml: boolean;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

/** Options in order: --format applies to the images after it, as in guestfish and virt-inspector. */
export function parseArgs(argv: string[]): Args {
  const a: Args = {
    drives: [],
    backingDirs: [],
    keys: [],
    keysFromStdin: false,
    applications: true,
    icon: true,
    xml: false,
    verbose: false,
    help: false,
    version: false,
  };
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const eq = arg.indexOf('=');
      if (eq >= 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '-a' || arg === '--add' || arg.startsWith('--add=')) a.drives.push({ path: value(), format });
    else if (arg === '--format') format = undefined;
    else if (arg.startsWith('--format=')) format = arg.slice('--format='.length) || undefined;
    else if (arg === '--backing-dir' || arg.startsWith('--backing-dir=')) {
      const d = value();
      if (d === '') throw new UsageError('--backing-dir needs a directory');
      a.backingDirs.push(d);
    } else if (arg === '--engine' || arg.startsWith('--engine=')) a.engine = value();
    else if (arg === '--key' || arg.startsWith('--key=')) a.keys.push(value());
    else if (arg === '--keys-from-stdin') a.keysFromStdin = true;
    else if (arg === '--no-kernel-mounts') a.noKernelMounts = true;
    else if (arg === '--no-applications') a.applications = false;
    else if (arg === '--no-icon') a.icon = false;
    else if (arg === '--xml') a.xml = true;
    else if (arg === '-v' || arg === '--verbose') a.verbose = true;
    else if (arg === '-h' || arg === '--help') a.help = true;
    else if (arg === '-V' || arg === '--version') a.version = true;
    else if (arg === '--') a.drives.push(...argv.splice(i + 1).map((path) => ({ path, format })));
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg} (try 'jinspect --help')`);
    else a.drives.push({ path: arg, format });
  }
  return a;
}

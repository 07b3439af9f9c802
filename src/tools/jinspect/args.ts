// jinspect's command line: options in order, as virt-inspector takes them.
import { JootError } from '../../core/errors.js';
import { parseSections, type SectionName } from '../../inspect/sections/names.js';
import type { InspectOptions } from '../../inspect/index.js';
import { UsageError } from '../cli.js';

export const usage = `Usage: jinspect [--format=FMT] [-a] IMAGE [IMAGE…] [--no-applications] [--no-icon] [--xml] [-v]
       jinspect --batch [--jobs N] [--out DIR] [--from FILE] [--no-cache] [--sbom FMT] IMAGE-OR-GLOB…
       jinspect --queue redis://HOST:PORT/NAME --enqueue [--from FILE] IMAGE-OR-GLOB…
       jinspect --worker redis://HOST:PORT/NAME [--jobs N] [--out DIR] [--sbom FMT]
       jinspect --queue redis://HOST:PORT/NAME --status | --collect

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
  --with LIST         add optional sections (comma-separated, or "all"): kernels (installed
                      kernels, the default boot entry), users (passwd/group or the SAM hive;
                      never a password hash), network (ifupdown, NetworkManager, netplan,
                      systemd-networkd files), services (init system, enabled services)
  --strict            exit non-zero (after printing the report) when a distribution or a
                      package database is not detected, saying why
  --no-icon           leave out the icon (the distribution's logo, base64 PNG)
  --xml               print virt-inspector's XML instead of JSON
  --sbom FMT          print a software bill of materials instead: cyclonedx (CycloneDX 1.6
                      JSON) or spdx (SPDX 2.3 JSON): the OS, each package with its purl and
                      license, the image (name, format, virtual size); with --batch or
                      --worker, each image's SBOM goes with its report ("sbom" in its line, or
                      DIR/NAME.cdx.json / DIR/NAME.spdx.json under --out)
  --sbom-hash         with --sbom: also the sha256 of each image file (reads all of it)
  --batch             inspect each image (or fast-glob pattern's match) on its own, several
                      at a time, printing one JSON line per image as it finishes:
                      {"image":…,"ok":true,"report":…} or {"image":…,"ok":false,"error":…};
                      exit 1 when any failed. Results are cached while an image and its
                      backing chain are unchanged ($XDG_CACHE_HOME/joot/inspect)
  --ndjson            the same as --batch (its output is NDJSON)
  --jobs N            with --batch: images inspected at a time (default 4)
  --out DIR           with --batch or --worker: write each report to DIR/NAME.json; the
                      lines name the file ("file", and "sbom_file" with --sbom)
  --from FILE         with --batch: also the image paths in FILE, one a line (- for stdin)
  --no-cache          with --batch: inspect every image again
  --queue URL         a BullMQ job queue on Redis (redis://[USER:PASS@]HOST:PORT/NAME) that
                      spreads the images of a batch over worker processes and machines; with
    --enqueue         add one job per image (by absolute path: an image enqueued again is
                      not a second job); the workers must see the images at that path
    --status          print the counts of done, failed, waiting, active and delayed jobs
    --collect         print the results as --batch prints them (one JSON line per image);
                      exit 1 when any failed
  --worker URL        take the queue's jobs until SIGINT/SIGTERM, --jobs N at a time, in a
                      job process (started with the worker, reused job after job); a failed
                      read (a corrupt image) fails the job with its one-line error; a crash
                      costs only the job that caused it, retried (3 tries, backoff): the jobs
                      that shared the process run again, each alone. The
                      results are stored in Redis, or with --out in DIR (shared storage:
                      --collect then names the files). The inspection options (--engine,
                      --with, --strict, --sbom, …) go with the worker
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
  sections: Set<SectionName>;
  strict: boolean;
  icon: boolean;
  xml: boolean;
  sbom?: 'cyclonedx' | 'spdx';
  /** --sbom-hash: the sha256 of each image file in the SBOM */
  sbomHash: boolean;
  batch: boolean;
  jobs: number;
  out?: string;
  from?: string;
  cache: boolean;
  /** --queue URL */
  queue?: string;
  /** --worker URL */
  worker?: string;
  queueAction?: 'enqueue' | 'status' | 'collect';
  verbose: boolean;
  help: boolean;
  version: boolean;
}

/** What shapes the report; an SBOM also wants the licenses dpkg keeps in a file per package. */
export function inspectOptions(args: Args): InspectOptions {
  return { applications: args.applications, sections: args.sections, icon: args.icon, licenses: args.sbom !== undefined };
}

/** Options in order: --format applies to the images after it, as in guestfish and virt-inspector. */
export function parseArgs(argv: string[]): Args {
  const a: Args = {
    drives: [],
    backingDirs: [],
    keys: [],
    keysFromStdin: false,
    applications: true,
    sections: new Set(),
    strict: false,
    icon: true,
    xml: false,
    sbomHash: false,
    batch: false,
    jobs: 4,
    cache: true,
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
    else if (arg === '--with' || arg.startsWith('--with=')) {
      try {
        for (const n of parseSections(value())) a.sections.add(n);
      } catch (e) {
        throw e instanceof JootError ? new UsageError(`--with: ${e.message}`) : e;
      }
    } else if (arg === '--strict') a.strict = true;
    else if (arg === '--no-icon') a.icon = false;
    else if (arg === '--xml') a.xml = true;
    else if (arg === '--sbom' || arg.startsWith('--sbom=')) {
      const v = value();
      if (v !== 'cyclonedx' && v !== 'spdx') throw new UsageError(`--sbom ${v}: not an SBOM format (cyclonedx or spdx)`);
      a.sbom = v;
    } else if (arg === '--sbom-hash') a.sbomHash = true;
    else if (arg === '--batch' || arg === '--ndjson') a.batch = true;
    else if (arg === '--jobs' || arg.startsWith('--jobs=') || arg === '-j') {
      const v = value();
      if (!/^[1-9][0-9]{0,3}$/.test(v)) throw new UsageError(`--jobs ${v}: not a number of images (1 or more)`);
      a.jobs = Number(v);
    } else if (arg === '--out' || arg.startsWith('--out=')) a.out = value();
    else if (arg === '--from' || arg.startsWith('--from=')) a.from = value();
    else if (arg === '--no-cache') a.cache = false;
    else if (arg === '--queue' || arg.startsWith('--queue=')) a.queue = value();
    else if (arg === '--worker' || arg.startsWith('--worker=')) a.worker = value();
    else if (arg === '--enqueue' || arg === '--status' || arg === '--collect') {
      const action = arg.slice(2) as 'enqueue' | 'status' | 'collect';
      if (a.queueAction && a.queueAction !== action) throw new UsageError(`--${a.queueAction} and ${arg}: one at a time`);
      a.queueAction = action;
    } else if (arg === '-v' || arg === '--verbose') a.verbose = true;
    else if (arg === '-h' || arg === '--help') a.help = true;
    else if (arg === '-V' || arg === '--version') a.version = true;
    else if (arg === '--') a.drives.push(...argv.splice(i + 1).map((path) => ({ path, format })));
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg} (try 'jinspect --help')`);
    else a.drives.push({ path: arg, format });
  }
  return a;
}

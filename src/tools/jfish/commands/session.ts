// Session life: add, add-ro, run (launch), reopen, supported, time, help, echo, lcd, exit.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { JootError } from '../../../core/errors.js';
import { hostHasDeviceMapper, hostHasNbd, kernelFilesystems } from '../../../appliance/index.js';
import { ExitRequest } from '../control.js';
import { defineCommand, type Ctx } from '../command.js';
import { commandHelp, commandList } from '../help.js';
import { guestGlob } from '../../../ops/guest-glob.js';

function addDrive(ctx: Ctx, path: string, format: string | undefined, readonly: boolean | undefined): void {
  if (ctx.session.launched) throw new JootError('ESTATE', 'drives must be added before run');
  if (ctx.readonly && readonly === false)
    throw new JootError('EINVAL', 'readonly:false: jfish was started with --ro (every drive is read-only)');
  if (format === '') throw new JootError('EINVAL', "format: '' is not a disk image format");
  ctx.sessions.addDrive(path, { format, readonly: ctx.readonly || readonly === true });
}

/** add_drive's optional arguments beyond format and readonly, in libguestfs's order. */
const GUESTFISH_ONLY = [
  { name: 'iface', type: 'string', optional: true, named: true },
  { name: 'name', type: 'string', optional: true, named: true },
  { name: 'label', type: 'string', optional: true, named: true },
  { name: 'protocol', type: 'string', optional: true, named: true },
  { name: 'server', type: 'string', optional: true, named: true },
  { name: 'username', type: 'string', optional: true, named: true },
  { name: 'secret', type: 'string', optional: true, named: true },
  { name: 'cachemode', type: 'string', optional: true, named: true },
  { name: 'discard', type: 'string', optional: true, named: true },
  { name: 'copyonread', type: 'bool', optional: true, named: true },
  { name: 'blocksize', type: 'int', optional: true, named: true },
] as const;

type GuestfishOnly = [
  iface?: string,
  name?: string,
  label?: string,
  protocol?: string,
  server?: string,
  username?: string,
  secret?: string,
  cachemode?: string,
  discard?: string,
  copyonread?: boolean,
  blocksize?: number,
];

/** Refuse what jfish cannot do of add_drive's options; the rest changes nothing for jfish. */
function checkGuestfishOnly([, , label, protocol, server, username, secret, cachemode, discard, , blocksize]: GuestfishOnly): void {
  const no = (what: string) => new JootError('EUNSUPPORTED', what);
  if (protocol !== undefined && protocol !== 'file') throw no(`protocol:${protocol}: remote storage is not supported, only local files`);
  for (const [k, v] of [
    ['server', server],
    ['username', username],
    ['secret', secret],
  ] as const)
    if (v !== undefined) throw no(`${k}: is for remote storage, which is not supported`);
  if (label !== undefined) throw no('label: disk labels (/dev/disk/guestfs/LABEL) are not supported');
  if (cachemode !== undefined && cachemode !== 'writeback' && cachemode !== 'unsafe')
    throw new JootError('EINVAL', `cachemode: '${cachemode}' is not writeback or unsafe`);
  if (discard !== undefined && discard !== 'disable' && discard !== 'besteffort') {
    if (discard === 'enable') throw no('discard:enable is not supported (use discard:besteffort)');
    throw new JootError('EINVAL', `discard: '${discard}' is not disable, enable or besteffort`);
  }
  if (blocksize !== undefined && blocksize !== 512) throw no(`blocksize:${blocksize}: only 512-byte sectors are supported`);
}

export const add = defineCommand({
  name: 'add',
  aliases: ['add-drive'],
  group: 'session',
  args: [
    { name: 'filename', type: 'string' },
    { name: 'format', type: 'string', optional: true, named: true },
    { name: 'readonly', type: 'bool', optional: true, named: true },
    ...GUESTFISH_ONLY,
  ],
  needsLaunch: false,
  writes: false,
  summary: 'add a disk image, before run',
  description: `Add a disk image, as -a does: the first drive is /dev/sda, the next /dev/sdb, and so on. It
    must be added before run. format:FMT names its format (raw, qcow2, vmdk, …; detected when
    left out) and readonly:true opens it read-only. With --ro every drive is read-only. guestfish's
    other optional arguments are accepted where they change nothing here: iface: and name: (hints
    for a virtual machine jfish does not boot), cachemode:writeback|unsafe, discard:disable|besteffort,
    copyonread:, blocksize:512 and protocol:file. Remote storage (another protocol:, server:,
    username:, secret:), disk labels (label:), discard:enable and 4096-byte sectors are refused.`,
  async run(ctx, [filename, format, readonly, ...rest]) {
    checkGuestfishOnly(rest as GuestfishOnly);
    addDrive(ctx, filename, format, readonly);
  },
});

export const addRo = defineCommand({
  name: 'add-ro',
  aliases: ['add-drive-ro'],
  group: 'session',
  args: [
    { name: 'filename', type: 'string' },
    { name: 'format', type: 'string', optional: true, named: true },
  ],
  needsLaunch: false,
  writes: false,
  summary: 'add a disk image read-only, before run',
  description: `Add a disk image read-only: the same as add with readonly:true. It must be added before run.`,
  async run(ctx, [filename, format]) {
    addDrive(ctx, filename, format, true);
  },
});

export const reopen = defineCommand({
  name: 'reopen',
  group: 'session',
  args: [],
  needsLaunch: false,
  writes: false,
  summary: 'close the session and open it again on the same drives',
  description: `Close the session (everything is unmounted and released) and open a new one on the same
    drives, with the same formats and modes; if the old session was launched, the new one is too.
    Nothing is mounted again.

    Unlike guestfish's reopen, which starts an empty handle, the drives are kept.`,
  async run(ctx) {
    await ctx.sessions.reopen();
  },
});

// ---------------------------------------------------------------- supported

/** What the host has, as the feature checks see it. */
export interface HostProbe {
  /** an executable of this name is on $PATH (or in /sbin, /usr/sbin) */
  program(name: string): boolean;
  /** the kernel can mount this filesystem type (/proc/filesystems) */
  kernelFs(name: string): boolean;
  /** kernel NBD (/dev/nbd0) */
  nbd: boolean;
  /** kernel device-mapper (/proc/misc) */
  deviceMapper: boolean;
}

/**
 * The optional feature groups `supported` lists, each with what the appliance layer needs
 * from the host for it: the one list of these checks. Names follow guestfish's groups where
 * one exists (btrfs, lvm2, ntfs3g, ntfsprogs, squashfs, xfs); nbd, devicemapper and vfat
 * are joot's own.
 */
export const FEATURES: readonly { group: string; available: (h: HostProbe) => boolean }[] = [
  // mount (kernel), subvolume list, mkfs
  { group: 'btrfs', available: (h) => h.kernelFs('btrfs') && h.program('btrfs') && h.program('mkfs.btrfs') },
  // LVs in several segments or striped need a device-mapper table
  { group: 'devicemapper', available: (h) => h.deviceMapper && h.program('dmsetup') },
  // lvm fullreport reads the metadata; linear LVs are loop devices over their extents
  { group: 'lvm2', available: (h) => h.program('lvm') },
  // the nbd backend: qemu-nbd --connect
  { group: 'nbd', available: (h) => h.nbd && h.program('qemu-nbd') },
  // ntfs mounts go through the ntfs-3g FUSE driver
  { group: 'ntfs3g', available: (h) => h.program('ntfs-3g') },
  { group: 'ntfsprogs', available: (h) => h.program('mkntfs') && h.program('ntfsfix') },
  { group: 'squashfs', available: (h) => h.kernelFs('squashfs') },
  // the kernel's vfat, else the fusefat FUSE driver; mkfs.fat to make one
  { group: 'vfat', available: (h) => (h.kernelFs('vfat') || h.program('fusefat')) && h.program('mkfs.fat') },
  { group: 'xfs', available: (h) => h.kernelFs('xfs') && h.program('mkfs.xfs') },
];

/** The real host: $PATH (plus the sbin directories), the kernel's filesystems (loaded or loadable), /dev/nbd0, /proc/misc. */
export function probeHost(env: NodeJS.ProcessEnv = process.env): HostProbe {
  const dirs = [
    ...new Set([...(env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')), '/usr/local/sbin', '/usr/sbin', '/sbin']),
  ];
  const fs = kernelFilesystems();
  return {
    program: (name) =>
      dirs.some((d) => {
        try {
          accessSync(join(d, name), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
    kernelFs: (name) => fs.has(name),
    nbd: hostHasNbd(),
    deviceMapper: hostHasDeviceMapper(),
  };
}

/** guestfish's layout: group names right-aligned to the longest, then yes or no. */
export function supportedLines(host: HostProbe, features = FEATURES): string[] {
  const width = Math.max(...features.map((f) => f.group.length));
  return features.map((f) => `${f.group.padStart(width)} ${f.available(host) ? 'yes' : 'no'}`);
}

export const supported = defineCommand({
  name: 'supported',
  group: 'session',
  args: [],
  needsLaunch: false,
  writes: false,
  summary: 'list the optional feature groups and whether this host has them',
  description: `Print each optional group of features and yes or no: whether this host has what joot needs
    for it (the programs, kernel filesystems, kernel NBD and device-mapper the appliance layer
    uses). btrfs, lvm2, ntfs3g, ntfsprogs, squashfs and xfs are guestfish's groups; nbd (the
    kernel NBD backend), devicemapper (LVs in several segments or striped) and vfat are joot's.

    Unlike guestfish, this looks at the host, so it works before run.`,
  async run(ctx) {
    await ctx.out.lines(supportedLines(probeHost()));
  },
});

// ---------------------------------------------------------------- time

/** guestfish's `elapsed time: 1.05 seconds` (hundredths, truncated). */
export function elapsedText(ms: number): string {
  const cs = Math.max(0, Math.floor(ms / 10));
  return `elapsed time: ${Math.floor(cs / 100)}.${String(cs % 100).padStart(2, '0')} seconds`;
}

export const time = defineCommand({
  name: 'time',
  group: 'session',
  args: [
    { name: 'command', type: 'string' },
    { name: 'args', type: 'string', variadic: true },
  ],
  needsLaunch: false,
  writes: false,
  runsCommand: true,
  summary: 'run a command and print the time it took',
  description: `Run the command with its arguments as usual, then print how long it took:
    elapsed time: 0.12 seconds. As in guestfish, the line goes to standard output, after the
    command's output; nothing is printed when the command fails.`,
  async run(ctx, [command, args]) {
    const t0 = performance.now();
    await ctx.dispatch([command, ...args]);
    await ctx.out.write(`${elapsedText(performance.now() - t0)}\n`);
  },
});

export const run = defineCommand({
  name: 'run',
  aliases: ['launch'],
  group: 'session',
  args: [],
  needsLaunch: false,
  writes: false,
  summary: 'open the added drives so that commands can use them',
  description: `Open every drive added with -a: attach the images, find their partitions, logical volumes
    and filesystems. Most commands need this first.

    Unlike libguestfs, no virtual machine boots: this takes milliseconds, not seconds.`,
  async run(ctx) {
    await ctx.session.launch();
  },
});

export const help = defineCommand({
  name: 'help',
  group: 'session',
  args: [{ name: 'cmd', type: 'string', optional: true }],
  needsLaunch: false,
  writes: false,
  summary: 'list the commands, or show the usage of one',
  description: `Without an argument, list every command with a one-line summary. With the name of a command
    (or of an alias), show its usage and description.`,
  async run(ctx, [name]) {
    if (name === undefined) return ctx.out.write(commandList(ctx.table.commands));
    const c = ctx.table.lookup(name);
    if (!c) throw new JootError('EINVAL', `unknown command: ${name}`);
    await ctx.out.write(commandHelp(c));
  },
});

export const echo = defineCommand({
  name: 'echo',
  group: 'session',
  args: [{ name: 'params', type: 'string', variadic: true }],
  needsLaunch: false,
  writes: false,
  summary: 'display a line of text',
  description: `Print the arguments, separated by single spaces, and a newline.`,
  async run(ctx, [params]) {
    await ctx.out.write(`${params.join(' ')}\n`);
  },
});

export const lcd = defineCommand({
  name: 'lcd',
  group: 'session',
  args: [{ name: 'directory', type: 'string' }],
  needsLaunch: false,
  writes: false,
  summary: 'change the local working directory, on the host',
  description: `Change jfish's working directory on the host: the directory that relative host file names
    (of upload, download, !cmd, …) are taken from. It does not change anything in the guest.`,
  async run(_ctx, [dir]) {
    try {
      process.chdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'no such directory'
          : code === 'ENOTDIR'
            ? 'not a directory'
            : code === 'EACCES'
              ? 'permission denied'
              : String(code ?? e);
      throw new JootError(code === 'ENOENT' ? 'ENOENT' : 'EINVAL', `${dir}: ${why}`, { cause: e });
    }
  },
});

export const exit = defineCommand({
  name: 'exit',
  aliases: ['quit', 'q'],
  group: 'session',
  args: [],
  needsLaunch: false,
  writes: false,
  summary: 'exit the shell',
  description: `End the shell (or the script): the disks are unmounted and released.`,
  async run() {
    throw new ExitRequest();
  },
});

export const glob = defineCommand({
  name: 'glob',
  group: 'session',
  args: [
    { name: 'command', type: 'string' },
    { name: 'args', type: 'string', variadic: true },
  ],
  needsLaunch: false,
  writes: false,
  runsCommand: true,
  summary: 'expand guest wildcards in the arguments, then run a command for each match',
  description: `Expand the wildcards (fast-glob patterns: *, ?, [a-z], {a,b}, ** for any depth) in every argument
    that is an absolute guest path, and run the command once for each match (for several patterns,
    each combination), in sorted order. The expansion walks the guest's own files (a link is
    resolved inside the guest; ** does not descend into links). A pattern that matches nothing is
    passed on as it is.
    Example: glob rm-rf /tmp/*.log`,
  async run(ctx, [command, args]) {
    const expanded: string[][] = [];
    for (const a of args) expanded.push(isGuestPattern(a) ? await expandGuest(ctx, a) : [a]);
    for (const combo of cartesian(expanded)) await ctx.dispatch([command, ...combo]);
  },
});

function isGuestPattern(a: string): boolean {
  return a.startsWith('/') && /[*?[{]/.test(a);
}

async function expandGuest(ctx: Ctx, pattern: string): Promise<string[]> {
  const hits = await guestGlob(ctx.session.reader, pattern);
  return hits.length ? hits : [pattern];
}

function cartesian(lists: string[][]): string[][] {
  return lists.reduce<string[][]>((acc, list) => acc.flatMap((pre) => list.map((x) => [...pre, x])), [[]]);
}

export const commands = [add, addRo, run, reopen, supported, time, glob, help, echo, lcd, exit];

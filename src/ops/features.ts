// guestfish's optional groups (guestfs(3) AVAILABILITY) for available and feature-available, and
// the filesystem types filesystem-available answers for. A group is available when jfish has
// its commands (`commands`: test/unit/info-features checks each claim against the command
// table) and this host and engine can run them: the kernel engine needs the host programs the
// commands run; the userspace engine reads in-process and writes nothing, so a group whose
// commands all write is not available there.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { kernelFilesystems } from '../appliance/kernel-fs.js';

export type EngineName = 'kernel' | 'userspace';

export interface Feature {
  readonly group: string;
  /** the group's commands (guestfish's names) that show whether jfish has the group */
  readonly commands: readonly string[];
  /** jfish implements the group's commands (kept true to `commands` by the unit test) */
  readonly implemented: boolean;
  /** host programs the kernel engine runs for them */
  readonly programs?: readonly string[];
  /** every command of the group changes the disk: not on the userspace engine */
  readonly writes?: boolean;
}

/** libguestfs 1.48's groups, in its order. */
export const FEATURES: readonly Feature[] = [
  { group: 'acl', commands: ['acl-get-file', 'acl-set-file'], implemented: true, programs: ['setfattr'] },
  { group: 'blkdiscard', commands: ['blkdiscard'], implemented: true, programs: ['blkdiscard'], writes: true },
  { group: 'blkdiscardzeroes', commands: ['blkdiscard-zeroes'], implemented: false },
  { group: 'btrfs', commands: ['btrfs-subvolume-snapshot', 'btrfs-subvolume-list'], implemented: true, programs: ['btrfs'] },
  { group: 'clevisluks', commands: ['clevis-luks-unlock'], implemented: false },
  { group: 'extlinux', commands: ['extlinux'], implemented: false },
  { group: 'f2fs', commands: ['f2fs-expand'], implemented: false },
  { group: 'fstrim', commands: ['fstrim'], implemented: true, programs: ['fstrim'], writes: true },
  { group: 'gdisk', commands: ['part-get-gpt-type', 'part-expand-gpt'], implemented: true },
  { group: 'grub', commands: ['grub-install'], implemented: false },
  { group: 'hivex', commands: ['hivex-open', 'hivex-root'], implemented: true },
  { group: 'inotify', commands: ['inotify-init'], implemented: false },
  { group: 'journal', commands: ['journal-open'], implemented: false },
  { group: 'ldm', commands: ['ldmtool-scan'], implemented: false },
  { group: 'libtsk', commands: ['filesystem-walk'], implemented: false },
  { group: 'libyara', commands: ['yara-load'], implemented: false },
  { group: 'linuxcaps', commands: ['cap-get-file'], implemented: true, programs: ['setfattr'] },
  { group: 'linuxfsuuid', commands: ['findfs-uuid', 'findfs-label'], implemented: true },
  { group: 'linuxmodules', commands: ['modprobe'], implemented: false },
  { group: 'linuxxattrs', commands: ['getxattrs', 'setxattr'], implemented: true, programs: ['setfattr'] },
  { group: 'luks', commands: ['luks-open', 'luks-close'], implemented: true },
  { group: 'lvm2', commands: ['lvs', 'lvcreate'], implemented: true, programs: ['lvm'] },
  { group: 'mdadm', commands: ['md-create'], implemented: false },
  { group: 'mknod', commands: ['mknod'], implemented: true, writes: true },
  { group: 'ntfs3g', commands: ['ntfs-3g-probe'], implemented: false },
  { group: 'ntfsprogs', commands: ['ntfsresize', 'ntfsfix'], implemented: true, programs: ['ntfsresize', 'ntfsfix'], writes: true },
  { group: 'rsync', commands: ['rsync'], implemented: false },
  { group: 'scrub', commands: ['scrub-device'], implemented: false },
  { group: 'selinux', commands: ['getcon'], implemented: false },
  { group: 'selinuxrelabel', commands: ['selinux-relabel'], implemented: true, programs: ['setfattr'], writes: true },
  { group: 'sleuthkit', commands: ['download-inode'], implemented: false },
  { group: 'squashfs', commands: ['mksquashfs'], implemented: false },
  { group: 'syslinux', commands: ['syslinux'], implemented: false },
  { group: 'wipefs', commands: ['wipefs'], implemented: true, programs: ['wipefs'], writes: true },
  { group: 'xfs', commands: ['xfs-info', 'xfs-growfs'], implemented: true },
  { group: 'xz', commands: ['txz-in', 'txz-out'], implemented: true, programs: ['xz'] },
  { group: 'zerofree', commands: ['zerofree'], implemented: true, programs: ['zerofree'], writes: true },
];

/** What the host has. */
export interface Host {
  program(name: string): boolean;
  /** a filesystem type the running kernel mounts (/proc/filesystems) or can load (its module) */
  kernelFs(name: string): boolean;
}

/** Whether `f` is available on `engine` of `host`. */
export function featureAvailable(f: Feature, engine: EngineName, host: Host): boolean {
  if (!f.implemented) return false;
  if (engine === 'userspace') return !f.writes;
  return (f.programs ?? []).every((p) => host.program(p));
}

/** The named groups; an unknown name is an error (as guestfish's available says). */
export function featuresNamed(groups: readonly string[]): { known: Feature[]; unknown: string[] } {
  const known: Feature[] = [];
  const unknown: string[] = [];
  for (const g of groups) {
    const f = FEATURES.find((x) => x.group === g);
    if (f) known.push(f);
    else unknown.push(g);
  }
  return { known, unknown };
}

/** The real host: $PATH plus the sbin directories; the filesystems the kernel has or loads on a mount. */
export function realHost(env: NodeJS.ProcessEnv = process.env): Host {
  const dirs = [
    ...new Set([...(env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')), '/usr/local/sbin', '/usr/sbin', '/sbin']),
  ];
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
    kernelFs: (name) => kernelFilesystems().has(name),
  };
}

/** Filesystem types a name may be given as (guestfish takes the kernel's names). */
const ALIASES: Readonly<Record<string, string>> = { fat: 'vfat', msdos: 'vfat', ext3: 'ext4', ext2: 'ext4', ntfs3: 'ntfs' };

/**
 * Whether this engine mounts filesystems of type `fstype`: the kernel engine when the host
 * kernel has the type (or its module), ntfs also through ntfs-3g and vfat through fusefat; the
 * userspace engine when an in-process reader reads it (`readerTypes`), else only when the
 * kernel could serve it instead (as root).
 */
export function filesystemAvailable(
  fstype: string,
  engine: EngineName,
  host: Host,
  readerTypes: readonly string[],
  root: boolean,
): boolean {
  const kernel =
    host.kernelFs(fstype) ||
    (ALIASES[fstype] !== undefined && host.kernelFs(ALIASES[fstype])) ||
    (fstype === 'ntfs' && host.program('ntfs-3g')) ||
    (fstype === 'vfat' && host.program('fusefat'));
  if (engine === 'kernel') return kernel;
  return readerTypes.includes(fstype) || (root && kernel);
}

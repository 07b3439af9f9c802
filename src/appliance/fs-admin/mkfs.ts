// Making filesystems (guestfish mkfs / mkswap, virt-format): one forced, quiet,
// non-interactive command per type, with every option checked before anything is written.
import { JootError } from '../../core/errors.js';
import { hostHas } from './host-tools.js';
import { validateLabel } from './labels.js';
import { runTool, type Command } from './tool-error.js';
import { FS_TYPES, isExt, normalizeFsType, type FsType } from './types.js';
import { validateUuid } from './uuids.js';

export interface MkfsOptions {
  /** ext2, ext3, ext4, xfs, btrfs, vfat (fat, msdos), ntfs or swap */
  type: string;
  label?: string;
  /**
   * Block size in bytes: ext* and xfs block size, btrfs sector size; for vfat and ntfs the
   * cluster size (as guestfish's mkfs blocksize). Not for swap.
   */
  blocksize?: number;
  /** see validateUuid for each type's form */
  uuid?: string;
  /** ext* and xfs only */
  inodeSize?: number;
  /** ext* only: mke2fs -O, a comma-separated feature list (^feature turns one off) */
  features?: string;
}

/** The program that makes each type (its presence is what supportedMkfsTypes checks). */
export const MKFS_PROGRAM: Record<FsType, string> = {
  ext2: 'mke2fs',
  ext3: 'mke2fs',
  ext4: 'mke2fs',
  xfs: 'mkfs.xfs',
  btrfs: 'mkfs.btrfs',
  vfat: 'mkfs.fat',
  ntfs: 'mkntfs',
  swap: 'mkswap',
};

// [smallest, largest] block size each type takes (powers of two)
const BLOCKSIZE: Partial<Record<FsType, [number, number]>> = {
  ext2: [1024, 65536],
  ext3: [1024, 65536],
  ext4: [1024, 65536],
  xfs: [512, 65536],
  btrfs: [4096, 65536],
  vfat: [512, 65536], // 1..128 sectors of 512 bytes per cluster
  ntfs: [512, 2 * 1024 * 1024],
};

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

function checkBlocksize(t: FsType, bs: number): void {
  const range = BLOCKSIZE[t];
  if (!range) throw new JootError('EINVAL', `${t}: a block size does not apply`);
  if (!isPow2(bs) || bs < range[0] || bs > range[1])
    throw new JootError('EINVAL', `${t}: block size ${bs} is not a power of two from ${range[0]} to ${range[1]}`);
}

function checkInodeSize(t: FsType, size: number): void {
  const range: [number, number] | undefined = isExt(t) ? [128, 65536] : t === 'xfs' ? [256, 2048] : undefined;
  if (!range) throw new JootError('EINVAL', `${t}: an inode size does not apply (ext2/3/4 and xfs only)`);
  if (!isPow2(size) || size < range[0] || size > range[1])
    throw new JootError('EINVAL', `${t}: inode size ${size} is not a power of two from ${range[0]} to ${range[1]}`);
}

/**
 * The commands that make the filesystem, after checking every option (EINVAL before
 * anything runs). Pure: tests and --dry-run style callers can look at it.
 */
export function mkfsCommands(device: string, o: MkfsOptions): Command[] {
  const t = normalizeFsType(o.type);
  const label = o.label === undefined || o.label === '' ? undefined : o.label;
  if (label !== undefined) validateLabel(t, label);
  const uuid = o.uuid === undefined ? undefined : validateUuid(t, o.uuid).uuid;
  if (o.blocksize !== undefined) checkBlocksize(t, o.blocksize);
  if (o.inodeSize !== undefined) checkInodeSize(t, o.inodeSize);
  if (o.features !== undefined && !/^ext[234]$/.test(t)) throw new JootError('EINVAL', `${t}: features are for ext2/3/4 (mke2fs -O)`);
  if (o.features !== undefined && !/^\^?[a-z0-9_]+(,\^?[a-z0-9_]+)*$/.test(o.features))
    throw new JootError('EINVAL', `features: '${o.features}' is not a comma-separated list of ext features`);
  const bs = o.blocksize;

  switch (t) {
    case 'ext2':
    case 'ext3':
    case 'ext4': {
      // mke2fs's defaults (lazy inode-table init) on purpose: measured on a 10 GiB sparse loop,
      // both ways take ~30 ms, but lazy_itable_init=0 zeroes the tables with allocating writes
      // (+160 MiB in the image), while the kernel's lazy init later zeroes them by unmapping
      const args = ['-t', t, '-F', '-q'];
      if (label !== undefined) args.push('-L', label);
      if (bs !== undefined) args.push('-b', String(bs));
      if (uuid !== undefined) args.push('-U', uuid);
      if (o.inodeSize !== undefined) args.push('-I', String(o.inodeSize));
      if (o.features !== undefined) args.push('-O', o.features);
      return [{ cmd: 'mke2fs', args: [...args, device] }];
    }
    case 'xfs': {
      const args = ['-f', '-q'];
      if (label !== undefined) args.push('-L', label);
      if (bs !== undefined) args.push('-b', `size=${bs}`);
      if (uuid !== undefined) args.push('-m', `uuid=${uuid}`);
      if (o.inodeSize !== undefined) args.push('-i', `size=${o.inodeSize}`);
      return [{ cmd: 'mkfs.xfs', args: [...args, device] }];
    }
    case 'btrfs': {
      const args = ['-f', '-q'];
      if (label !== undefined) args.push('-L', label);
      if (bs !== undefined) args.push('-s', String(bs));
      if (uuid !== undefined) args.push('-U', uuid);
      return [{ cmd: 'mkfs.btrfs', args: [...args, device] }];
    }
    case 'vfat': {
      // FAT12/16/32 as mkfs.fat picks for the size (virt-format does the same); -I: the
      // caller chose this device, partitions on it or not (the others' -f/-F)
      const args = ['-I'];
      if (label !== undefined) args.push('-n', label);
      if (bs !== undefined) args.push('-s', String(bs / 512));
      if (uuid !== undefined) args.push('-i', uuid);
      return [{ cmd: 'mkfs.fat', args: [...args, device] }];
    }
    case 'ntfs': {
      const args = ['-Q', '-F', '-q'];
      if (label !== undefined) args.push('-L', label);
      if (bs !== undefined) args.push('-c', String(bs));
      const cmds: Command[] = [{ cmd: 'mkntfs', args: [...args, device] }];
      // mkntfs has no serial option: set it right after
      if (uuid !== undefined) cmds.push({ cmd: 'ntfslabel', args: [`--new-serial=${uuid}`, device] });
      return cmds;
    }
    case 'swap': {
      const args = ['-f'];
      if (label !== undefined) args.push('-L', label);
      if (uuid !== undefined) args.push('-U', uuid);
      return [{ cmd: 'mkswap', args: [...args, device] }];
    }
  }
}

/** Make a filesystem (or swap) on host block device `device`, replacing whatever was there. */
export async function makeFilesystem(device: string, o: MkfsOptions): Promise<void> {
  const cmds = mkfsCommands(device, o);
  const t = normalizeFsType(o.type);
  for (const c of cmds)
    if (!hostHas(c.cmd)) throw new JootError('EUNSUPPORTED', `cannot make ${t} filesystems on this host (${c.cmd} is not installed)`);
  for (const c of cmds) await runTool(c, device);
}

/** The types this host can make (their mkfs program is installed), in FS_TYPES order. */
export function supportedMkfsTypes(): FsType[] {
  return FS_TYPES.filter((t) => hostHas(MKFS_PROGRAM[t]));
}

// The filesystem types joot can make and administer, and the names users may give them.
// One canonical name per kind (what blkid reports), so every other module switches on it.
import { JootError } from '../../core/errors.js';

export const FS_TYPES = ['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'ntfs', 'swap'] as const;
export type FsType = (typeof FS_TYPES)[number];

// guestfish accepts these spellings too; blkid calls all of them "vfat"
const ALIASES: Record<string, FsType> = { fat: 'vfat', msdos: 'vfat', fat32: 'vfat', fat16: 'vfat', fat12: 'vfat' };

export function isExt(t: FsType): t is 'ext2' | 'ext3' | 'ext4' {
  return t === 'ext2' || t === 'ext3' || t === 'ext4';
}

/** The canonical type for a user-given name; EINVAL listing the supported ones otherwise. */
export function normalizeFsType(type: string): FsType {
  const t = type.trim().toLowerCase();
  if ((FS_TYPES as readonly string[]).includes(t)) return t as FsType;
  const alias = ALIASES[t];
  if (alias) return alias;
  throw new JootError('EINVAL', `unknown filesystem type '${type}' (supported: ${FS_TYPES.join(', ')}; fat and msdos mean vfat)`);
}

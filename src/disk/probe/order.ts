// blkid's superblock probers, in blkid's order (the order decides which of two signatures wins
// and how values are listed). Only the kinds this engine knows are here.
import { bitlocker } from './bitlocker.js';
import { btrfs } from './btrfs.js';
import { erofs } from './erofs.js';
import { exfat } from './exfat.js';
import { ext2, ext3, ext4, jbd } from './ext.js';
import { iso9660 } from './iso9660.js';
import { type CoveredByPt, linuxRaid } from './linux-raid.js';
import { luks } from './luks.js';
import { lvm2 } from './lvm.js';
import { ntfs } from './ntfs.js';
import type { Prober } from './prober.js';
import { squashfs, squashfs3 } from './squashfs.js';
import { swap, swsuspend } from './swap.js';
import { vfat } from './vfat.js';
import { xfs } from './xfs.js';

export function probers(covered: CoveredByPt): Prober[] {
  return [
    linuxRaid(covered),
    lvm2,
    luks,
    bitlocker,
    vfat,
    swsuspend,
    swap,
    xfs,
    ext4,
    ext3,
    ext2,
    jbd,
    iso9660,
    ntfs,
    squashfs,
    squashfs3,
    btrfs,
    exfat,
    erofs,
  ];
}

// statfs(2) as the kernel's ext4_statfs answers it: blocks less the metadata overhead (the
// superblock's s_overhead_clusters, else computed per group like ext4_calculate_overhead, with
// the internal journal's blocks), free counts summed from the group descriptors (as the kernel's
// counters are at mount), and the reserve (r_blocks plus min(2%, 4096) clusters on extent
// filesystems) taken from bavail.
import type { FsStatfs } from '../types.js';
import type { ExtContext } from './context.js';
import type { Inode } from './inode.js';
import { groupDesc } from './groups.js';
import { COMPAT_HAS_JOURNAL, groupHasSuper, INCOMPAT_EXTENTS, INCOMPAT_META_BG, type Superblock } from './superblock.js';

/** Superblock + descriptor blocks (+ reserved GDT blocks) at the start of group `g`. */
function baseMetaBlocks(sb: Superblock, g: number, gdbCount: number): number {
  const hasSuper = groupHasSuper(sb, g);
  let n = hasSuper ? 1 : 0;
  if (!(sb.incompat & INCOMPAT_META_BG) || g < sb.firstMetaBg * sb.descPerBlock) {
    if (hasSuper) n += gdbCount + sb.reservedGdtBlocks;
  } else {
    const first = Math.floor(g / sb.descPerBlock) * sb.descPerBlock;
    if (g === first || g === first + 1 || g === first + sb.descPerBlock - 1) n += 1;
  }
  return n;
}

export async function statfs(ctx: ExtContext, inode: (ino: number) => Promise<Inode>): Promise<FsStatfs> {
  const sb = ctx.sb;
  let freeClusters = 0;
  let freeInodes = 0;
  for (let g = 0; g < sb.groupCount; g++) {
    const gd = await groupDesc(ctx, g);
    freeClusters += gd.freeBlocks;
    freeInodes += gd.freeInodes;
  }
  let overhead: number;
  if (sb.overheadClusters !== 0) overhead = sb.overheadClusters * sb.clusterRatio;
  else {
    const gdbCount = Math.ceil(sb.groupCount / sb.descPerBlock);
    const tableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
    overhead = sb.firstDataBlock;
    for (let g = 0; g < sb.groupCount; g++) overhead += baseMetaBlocks(sb, g, gdbCount) + 2 + tableBlocks;
    const journalIno = ctx.sb.journalInum;
    if (sb.compat & COMPAT_HAS_JOURNAL && journalIno !== 0) {
      overhead += Math.floor((await inode(journalIno)).size / sb.blockSize);
    }
  }
  const bfree = freeClusters * sb.clusterRatio;
  let resv = 0;
  if (sb.incompat & INCOMPAT_EXTENTS) resv = Math.min(Math.floor(sb.blocksCount / sb.clusterRatio / 50), 4096) * sb.clusterRatio;
  const reserved = sb.reservedBlocks + resv;
  return {
    bsize: sb.blockSize,
    blocks: sb.blocksCount - overhead,
    bfree,
    bavail: bfree < reserved ? 0 : bfree - reserved,
    files: sb.inodesCount,
    ffree: freeInodes,
  };
}

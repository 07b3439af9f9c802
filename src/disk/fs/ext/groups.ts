// Block group descriptors (32 bytes, or 64 with the 64bit feature): where a group's inode
// table is and its free counts. meta_bg moves descriptor blocks past s_first_meta_bg into the
// groups they describe.
import type { ExtContext } from './context.js';
import { groupHasSuper, INCOMPAT_64BIT, INCOMPAT_META_BG, type Superblock } from './superblock.js';

/** The block holding descriptor block `i` of the table (meta_bg moves the later ones). */
function descriptorBlock(sb: Superblock, i: number): number {
  if (!(sb.incompat & INCOMPAT_META_BG) || i < sb.firstMetaBg) return sb.firstDataBlock + 1 + i;
  const g = i * sb.descPerBlock;
  return sb.firstDataBlock + g * sb.blocksPerGroup + (groupHasSuper(sb, g) ? 1 : 0);
}

export interface GroupDesc {
  inodeTable: number;
  freeBlocks: number;
  freeInodes: number;
}

/** The descriptor of group `g`. */
export async function groupDesc(ctx: ExtContext, g: number): Promise<GroupDesc> {
  const sb = ctx.sb;
  const blk = await ctx.block(descriptorBlock(sb, Math.floor(g / sb.descPerBlock)), `the descriptor of group ${g}`);
  const off = (g % sb.descPerBlock) * sb.descSize;
  const wide = sb.descSize >= 64 && (sb.incompat & INCOMPAT_64BIT) !== 0;
  const hi32 = (o: number) => (wide ? blk.readUInt32LE(off + o) : 0);
  const hi16 = (o: number) => (wide ? blk.readUInt16LE(off + o) : 0);
  return {
    inodeTable: blk.readUInt32LE(off + 0x8) + hi32(0x28) * 2 ** 32,
    freeBlocks: blk.readUInt16LE(off + 0xc) + hi16(0x2c) * 65536,
    freeInodes: blk.readUInt16LE(off + 0xe) + hi16(0x2e) * 65536,
  };
}

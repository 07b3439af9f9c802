// Logical-to-physical block mapping of a file, by extent tree (ext4) or block pointers (ext2/3).
import type { ExtContext } from './context.js';
import { mapExtents } from './extents.js';
import { mapIndirect } from './indirect.js';
import { FL_EXTENTS, type Inode } from './inode.js';
import type { Segment } from './segment.js';

export type { Segment } from './segment.js';

/** The mapped pieces of logical blocks [first, first+count) of `inode`, in order; gaps read as zeros. */
export function mapBlocks(ctx: ExtContext, inode: Inode, first: number, count: number): Promise<Segment[]> {
  if (inode.flags & FL_EXTENTS) return mapExtents(ctx, inode.ino, inode.iblock, first, count);
  return mapIndirect(ctx, inode, first, count);
}

// The ext4 extent tree: a header and index or leaf entries in i_block (the root) and in whole
// blocks below it. A read descends only the branches that cover its range; depth must fall by
// exactly one per level, so a cycle cannot be walked. Uninitialised (fallocated) extents read as
// zeros, like holes.
import { MAX_METADATA_VISITS, MAX_TREE_DEPTH } from '../limits.js';
import type { ExtContext } from './context.js';
import type { Segment } from './segment.js';

const EXTENT_MAGIC = 0xf30a;
const INIT_MAX_LEN = 32768;

interface Header {
  entries: number;
  depth: number;
}

function header(ctx: ExtContext, node: Buffer, ino: number, where: string): Header {
  if (node.length < 12 || node.readUInt16LE(0) !== EXTENT_MAGIC) throw ctx.error('EFORMAT', `inode ${ino}: bad extent header in ${where}`);
  const entries = node.readUInt16LE(2);
  const max = node.readUInt16LE(4);
  const depth = node.readUInt16LE(6);
  if (entries > max || 12 + max * 12 > node.length)
    throw ctx.error('EFORMAT', `inode ${ino}: extent node in ${where} claims ${entries} of ${max} entries, more than it holds`);
  if (depth > MAX_TREE_DEPTH) throw ctx.error('EFORMAT', `inode ${ino}: extent tree depth ${depth} is beyond ${MAX_TREE_DEPTH}`);
  return { entries, depth };
}

/**
 * The mapped pieces of logical blocks [first, first+count) of inode `ino` whose tree root is
 * `root`, in order; unmapped and uninitialised blocks are left out (they read as zeros).
 */
export async function mapExtents(ctx: ExtContext, ino: number, root: Buffer, first: number, count: number): Promise<Segment[]> {
  const out: Segment[] = [];
  const end = first + count;
  let visits = 0;
  const walk = async (node: Buffer, expectDepth: number | undefined, where: string): Promise<void> => {
    if (++visits > MAX_METADATA_VISITS)
      throw ctx.error('EFORMAT', `inode ${ino}: extent tree visits more than ${MAX_METADATA_VISITS} nodes`);
    const h = header(ctx, node, ino, where);
    if (expectDepth !== undefined && h.depth !== expectDepth) {
      throw ctx.error('EFORMAT', `inode ${ino}: extent node in ${where} has depth ${h.depth}, expected ${expectDepth}`);
    }
    const at = (i: number) => 12 + i * 12;
    if (h.depth === 0) {
      for (let i = 0; i < h.entries; i++) {
        const o = at(i);
        const lb = node.readUInt32LE(o);
        let len = node.readUInt16LE(o + 4);
        const unwritten = len > INIT_MAX_LEN;
        if (unwritten) len -= INIT_MAX_LEN;
        if (lb >= end) break;
        if (lb + len <= first || unwritten || len === 0) continue;
        const pb = node.readUInt16LE(o + 6) * 2 ** 32 + node.readUInt32LE(o + 8);
        const from = Math.max(lb, first);
        const to = Math.min(lb + len, end);
        ctx.checkBlocks(pb, len, `inode ${ino}'s extent at logical block ${lb}`);
        out.push({ lb: from, pb: pb + (from - lb), n: to - from });
      }
      return;
    }
    // the last index whose first block is at or before `first`, then the following ones up to `end`
    let i = 0;
    while (i + 1 < h.entries && node.readUInt32LE(at(i + 1)) <= first) i++;
    for (; i < h.entries; i++) {
      const o = at(i);
      if (node.readUInt32LE(o) >= end) break;
      const child = node.readUInt16LE(o + 8) * 2 ** 32 + node.readUInt32LE(o + 4);
      const blk = await ctx.block(child, `inode ${ino}'s extent tree`);
      await walk(blk, h.depth - 1, `block ${child}`);
    }
  };
  await walk(root, undefined, 'the inode');
  out.sort((a, b) => a.lb - b.lb);
  // overlapping extents (a corrupt tree) would read one block twice: refuse
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1]!;
    if (a.lb + a.n > out[i]!.lb) throw ctx.error('EFORMAT', `inode ${ino}: extents overlap at logical block ${out[i]!.lb}`);
  }
  return out;
}

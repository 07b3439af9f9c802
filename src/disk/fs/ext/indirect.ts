// ext2/ext3 block maps: 12 direct pointers, then single, double and triple indirect blocks.
// Pointer blocks go through the metadata cache; a zero pointer is a hole.
import type { ExtContext } from './context.js';
import type { Inode } from './inode.js';
import type { Segment } from './segment.js';

export async function mapIndirect(ctx: ExtContext, inode: Inode, first: number, count: number): Promise<Segment[]> {
  const per = ctx.sb.blockSize / 4;
  const out: Segment[] = [];
  const ptr = async (block: number, index: number): Promise<number> => {
    if (block === 0) return 0;
    const b = await ctx.block(block, `inode ${inode.ino}'s indirect block`);
    return b.readUInt32LE(index * 4);
  };
  const direct = (i: number) => inode.iblock.readUInt32LE(i * 4);
  const limits = [12, 12 + per, 12 + per + per * per, 12 + per + per * per + per * per * per];
  for (let lb = first; lb < first + count; lb++) {
    let pb = 0;
    if (lb < limits[0]!) pb = direct(lb);
    else if (lb < limits[1]!) pb = await ptr(direct(12), lb - limits[0]!);
    else if (lb < limits[2]!) {
      const r = lb - limits[1]!;
      pb = await ptr(await ptr(direct(13), Math.floor(r / per)), r % per);
    } else if (lb < limits[3]!) {
      const r = lb - limits[2]!;
      const l1 = await ptr(direct(14), Math.floor(r / (per * per)));
      pb = await ptr(await ptr(l1, Math.floor(r / per) % per), r % per);
    } else break;
    if (pb === 0) continue;
    ctx.checkBlocks(pb, 1, `inode ${inode.ino}'s block pointer for logical block ${lb}`);
    const last = out[out.length - 1];
    if (last && last.lb + last.n === lb && last.pb + last.n === pb) last.n++;
    else out.push({ lb, pb, n: 1 });
  }
  return out;
}

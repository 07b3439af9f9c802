// Which leaf blocks of a hash-indexed directory the kernel's lookup reads for a given hash
// (fs/ext4/namei.c: dx_probe, then ext4_htree_next_block while the next leaf continues the
// same hash). The reader lists directories whole and needs this only where the answer depends
// on the route: a long fscrypt no-key name, whose dirhash is taken from the name as given.

/** the index of a directory's logical block `lblk`, undefined where it is not a believable index */
type Blocks = (lblk: number) => Buffer | undefined;

interface Frame {
  block: Buffer;
  /** byte offset of the entries (the count/limit header overlaps the first) */
  at: number;
  count: number;
  /** the entry followed */
  index: number;
}

const MAX_LEVELS = 3;

function frameOf(block: Buffer, at: number, hash: number): Frame | undefined {
  if (at + 8 > block.length) return undefined;
  const count = block.readUInt16LE(at + 2);
  const limit = block.readUInt16LE(at);
  if (count === 0 || count > limit || at + count * 8 > block.length) return undefined;
  // the last entry whose hash is at most `hash` (entry 0 covers everything below entry 1's)
  let lo = 1;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (block.readUInt32LE(at + mid * 8) > hash) hi = mid - 1;
    else lo = mid + 1;
  }
  return { block, at, count, index: lo - 1 };
}

const childOf = (f: Frame) => f.block.readUInt32LE(f.at + f.index * 8 + 4) & 0x0fffffff;

/**
 * The logical blocks the kernel's lookup of `hash` searches, in order; undefined where the
 * index is not one the kernel would follow (it then searches the whole directory).
 */
export function dxLeaves(blocks: Blocks, hash: number): number[] | undefined {
  const root = blocks(0);
  if (!root || root.length < 0x20) return undefined;
  const infoLength = root[0x1d]!;
  const levels = root[0x1e]!;
  if (levels >= MAX_LEVELS || root.readUInt32LE(0x18) !== 0) return undefined;
  const frames: Frame[] = [];
  const descend = (f: Frame | undefined, depth: number): boolean => {
    while (f) {
      frames.push(f);
      if (depth === levels) return true;
      const node = blocks(childOf(f));
      if (!node) return false;
      f = frameOf(node, 8, hash);
      depth++;
    }
    return false;
  };
  if (!descend(frameOf(root, 0x18 + infoLength, hash), 0)) return undefined;
  const leaves = [childOf(frames[frames.length - 1]!)];
  for (let guard = 0; guard < 1_000_000; guard++) {
    // the next entry at the deepest level that has one
    let d = frames.length - 1;
    while (d >= 0 && frames[d]!.index + 1 >= frames[d]!.count) d--;
    if (d < 0) return leaves;
    const f = frames[d]!;
    f.index++;
    const next = f.block.readUInt32LE(f.at + f.index * 8);
    // a leaf continues the search only where it starts with the same hash (a collision run)
    if ((hash & 1) === 0 && (next & ~1) >>> 0 !== hash >>> 0) return leaves;
    frames.length = d + 1;
    for (let depth = d; depth < levels; depth++) {
      const node = blocks(childOf(frames[depth]!));
      const child = node ? frameOf(node, 8, 0) : undefined;
      if (!child) return undefined;
      child.index = 0;
      frames.push(child);
    }
    leaves.push(childOf(frames[frames.length - 1]!));
  }
  return undefined;
}

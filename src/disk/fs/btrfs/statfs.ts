// statfs(2) as Linux's btrfs_statfs answers it for the kernel engine's mount (fs/btrfs/super.c):
// a read-only device, `-o ro,rescue=nologreplay`:
//   f_blocks = total_bytes / data factor
//   f_bfree  = f_blocks - used of every block group / data factor
//   f_bavail = what new data chunks could take of the unallocated device space / data factor
// The data factor is the copies of the data profile (DUP, RAID1: 2). A plain `-o ro` mount also
// takes the global block reserve off f_bfree (5.5 MiB on small filesystems); with
// rescue=nologreplay this kernel reports none, and neither does this. No chunk is writable, so every block group is read-only (btrfs_read_block_groups) and statfs takes the
// free space inside data block groups back out (btrfs_account_ro_block_groups_free_space); and
// with no writable device the data profile reduces to single when the unallocated space is sized
// (btrfs_reduce_alloc_profile counts rw_devices): one 64 KiB stripe per device, less the 1 MiB
// the kernel keeps back.
import { JootError } from '../../../core/errors.js';
import type { FsStatfs } from '../types.js';
import type { ChunkMap } from './chunks.js';
import { type Key, ROOT_ITEM } from './format.js';
import type { Superblock } from './superblock.js';
import type { TreeRoot, Trees } from './tree.js';

const BLOCK_GROUP_ITEM = 192;
const DEV_ITEM = 216;
const DEV_ITEMS_OBJECTID = 1n;
const EXTENT_TREE = 2n;
const BLOCK_GROUP_TREE = 11n;
const COMPAT_RO_BLOCK_GROUP_TREE = 1n << 3n;

const BG_DATA = 1n;
const BG_SYSTEM = 2n;
const BG_METADATA = 4n;
const TYPE_MASK = BG_DATA | BG_SYSTEM | BG_METADATA;
/** profile bit → index in the kernel's btrfs_raid_array (its order decides the data factor) */
const RAID_INDEX: [bigint, number][] = [
  [1n << 6n, 0], // RAID10
  [1n << 4n, 1], // RAID1
  [1n << 5n, 2], // DUP
  [1n << 3n, 3], // RAID0
  [1n << 7n, 5], // RAID5
  [1n << 8n, 6], // RAID6
  [1n << 9n, 7], // RAID1C3
  [1n << 10n, 8], // RAID1C4
];
const SINGLE_INDEX = 4;
const NCOPIES = [2n, 2n, 2n, 1n, 1n, 1n, 1n, 3n, 4n];
const STRIPE_LEN = 64n * 1024n;
const MIB = 1024n * 1024n;

function raidIndex(flags: bigint): number {
  for (const [bit, i] of RAID_INDEX) if (flags & bit) return i;
  return SINGLE_INDEX;
}

interface SpaceInfo {
  diskUsed: bigint;
  /** raid indexes that have block groups */
  raids: Set<number>;
}

/** `present`: whether a device of the filesystem is here (the kernel counts the unallocated space of those only). */
export async function btrfsStatfs(
  trees: Trees,
  sb: Superblock,
  chunks: ChunkMap,
  rootTree: TreeRoot,
  device: string,
  present: (devid: bigint) => boolean,
): Promise<FsStatfs> {
  const bad = (m: string) => new JootError('EFORMAT', `${device}: btrfs: ${m}`);
  const rootItem = async (id: bigint): Promise<Buffer | undefined> => {
    let item: Buffer | undefined;
    await trees.walk(rootTree, { obj: id, type: ROOT_ITEM, off: 0n }, 'ge', (it) => {
      if (it.key.obj === id && it.key.type === ROOT_ITEM) item = Buffer.from(it.data);
      return false;
    });
    if (item && item.length < 239) throw bad(`root item of tree ${id} is truncated`);
    return item;
  };
  const treeOf = (item: Buffer): TreeRoot => ({ bytenr: Number(item.readBigUInt64LE(176)), level: item[238]! });

  const extent = await rootItem(EXTENT_TREE);
  if (!extent) throw bad('no extent tree');
  const bgTree = sb.compatRo & COMPAT_RO_BLOCK_GROUP_TREE ? await rootItem(BLOCK_GROUP_TREE) : undefined;
  if (sb.compatRo & COMPAT_RO_BLOCK_GROUP_TREE && !bgTree) throw bad('no block group tree');

  // block groups: one item per chunk, keyed (start, BLOCK_GROUP_ITEM, length)
  const spaces = new Map<bigint, SpaceInfo>();
  const bgRoot = treeOf(bgTree ?? extent);
  for (const c of chunks.list()) {
    const k: Key = { obj: BigInt(c.logical), type: BLOCK_GROUP_ITEM, off: BigInt(c.length) };
    const it = await trees.get(bgRoot, k);
    if (!it || it.data.length < 24) throw bad(`no block group item for the chunk at ${c.logical}`);
    const used = it.data.readBigUInt64LE(0);
    const flags = it.data.readBigUInt64LE(16);
    const raid = raidIndex(flags);
    const factor = NCOPIES[raid]!;
    const kind = flags & TYPE_MASK;
    const s = spaces.get(kind) ?? { diskUsed: 0n, raids: new Set<number>() };
    s.diskUsed += used * factor;
    s.raids.add(raid);
    spaces.set(kind, s);
  }

  let factor = 1n;
  let totalUsed = 0n;
  for (const [kind, s] of spaces) {
    if (kind & BG_DATA) {
      // the last profile in the kernel's raid order that has data block groups
      for (let i = 0; i < NCOPIES.length; i++) if (s.raids.has(i)) factor = NCOPIES[i]!;
    }
    totalUsed += s.diskUsed;
  }

  const bits = BigInt(Math.log2(sb.sectorSize));
  const blocks = (BigInt(sb.totalBytes) / factor) >> bits;
  const used = (totalUsed / factor) >> bits;
  const bfree = blocks > used ? blocks - used : 0n;

  let unallocated = 0n;
  await trees.walk({ bytenr: sb.chunkRoot, level: sb.chunkRootLevel }, { obj: DEV_ITEMS_OBJECTID, type: DEV_ITEM, off: 0n }, 'ge', (it) => {
    if (it.key.obj !== DEV_ITEMS_OBJECTID || it.key.type !== DEV_ITEM) return false;
    if (it.data.length < 24) throw bad('a device item is truncated');
    if (!present(it.key.off)) return true; // a member left out (a degraded mount): no space to offer
    const total = it.data.readBigUInt64LE(8);
    const used = it.data.readBigUInt64LE(16);
    let avail = total > used ? total - used : 0n;
    avail -= avail % STRIPE_LEN;
    if (avail > MIB + STRIPE_LEN) unallocated += avail - MIB;
    return true;
  });
  const bavail = (unallocated / factor) >> bits;
  const n = (v: bigint): number => {
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`a block count of ${v}`);
    return Number(v);
  };
  return { bsize: sb.sectorSize, blocks: n(blocks), bfree: n(bfree), bavail: n(bavail), files: 0, ffree: 0 };
}

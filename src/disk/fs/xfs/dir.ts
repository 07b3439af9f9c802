// Version 2 directories: short-form (in the inode), and block, leaf, node and btree directories,
// which all keep their entries in data blocks in the first 32 GiB of the directory's address
// space (leaf and free-index blocks above it only speed up lookups and are not read here).
import { MAX_DIR_ENTRIES, MAX_METADATA_VISITS } from '../limits.js';
import { type Extent, readMapped } from './bmap.js';
import type { XfsVolume } from './volume.js';

export interface RawEntry {
  name: Buffer;
  ino: number;
}

/** XFS_DIR2_LEAF_OFFSET: where the leaf blocks begin in a directory's address space */
const LEAF_OFFSET = 2 ** 35;
const XD2B = 0x58443242;
const XD2D = 0x58443244;
const XDB3 = 0x58444233;
const XDD3 = 0x58444433;

type Bad = (m: string) => Error;

function inoAt(b: Buffer, p: number, wide: boolean, bad: Bad): number {
  if (!wide) return b.readUInt32BE(p);
  const v = b.readBigUInt64BE(p);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`entry inode number ${v} is beyond 2^53`);
  return Number(v);
}

/** Entries of a short-form directory (the data fork holds them; `size` is the inode's di_size). */
export function shortformEntries(fork: Buffer, size: number, ftype: boolean, bad: Bad): RawEntry[] {
  if (size < 6 || size > fork.length) throw bad(`short-form directory size ${size} does not fit the inode`);
  const b = fork.subarray(0, size);
  const count = b[0]!;
  const wide = b[1]! !== 0;
  let p = wide ? 10 : 6;
  const out: RawEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 3 > b.length) throw bad('short-form directory entry runs past the directory');
    const namelen = b[p]!;
    const nameAt = p + 3;
    const inoAtP = nameAt + namelen + (ftype ? 1 : 0);
    const next = inoAtP + (wide ? 8 : 4);
    if (namelen === 0 || next > b.length) throw bad('short-form directory entry runs past the directory');
    out.push({ name: b.subarray(nameAt, nameAt + namelen), ino: inoAt(b, inoAtP, wide, bad) });
    p = next;
  }
  return out;
}

/** Entries of one directory data block (block-format "XD2B"/"XDB3" or data "XD2D"/"XDD3"). */
function dataBlockEntries(vol: XfsVolume, b: Buffer, where: string, out: RawEntry[], bad: Bad): void {
  const { crc, ftype } = vol.sb;
  const magic = b.readUInt32BE(0);
  const hdr = crc ? 64 : 16;
  let end = b.length;
  if (magic === (crc ? XDB3 : XD2B)) {
    const count = b.readUInt32BE(b.length - 8);
    end = b.length - 8 - count * 8;
    if (end < hdr) throw bad(`${where}: block tail claims ${count} leaf entries`);
  } else if (magic !== (crc ? XDD3 : XD2D)) {
    throw bad(`${where}: bad directory block magic 0x${magic.toString(16)}`);
  }
  let p = hdr;
  while (p < end) {
    if (end - p < 8) throw bad(`${where}: entry at ${p} runs past the block`);
    if (b.readUInt16BE(p) === 0xffff) {
      const len = b.readUInt16BE(p + 2);
      if (len < 8 || len % 8 !== 0 || p + len > end) throw bad(`${where}: free space of ${len} bytes at ${p}`);
      p += len;
      continue;
    }
    const namelen = b[p + 8]!;
    const size = Math.ceil((8 + 1 + namelen + (ftype ? 1 : 0) + 2) / 8) * 8;
    if (namelen === 0 || p + size > end) throw bad(`${where}: entry at ${p} runs past the block`);
    if (out.length >= MAX_DIR_ENTRIES) throw bad(`more than ${MAX_DIR_ENTRIES} entries`);
    out.push({ name: b.subarray(p + 9, p + 9 + namelen), ino: inoAt(b, p, true, bad) });
    p += size;
  }
}

/** Entries of a block, leaf, node or btree directory (its data fork's extents given). */
export async function blockDirEntries(vol: XfsVolume, exts: readonly Extent[], bad: Bad): Promise<RawEntry[]> {
  const { blocksize, dirblksize } = vol.sb;
  const perDirBlock = dirblksize / blocksize;
  const leafFb = LEAF_OFFSET / blocksize;
  const out: RawEntry[] = [];
  let visits = 0;
  let lastDb = -1;
  for (const e of exts) {
    if (e.off >= leafFb) break;
    const first = Math.max(Math.floor(e.off / perDirBlock), lastDb + 1);
    const last = Math.floor((Math.min(e.off + e.len, leafFb) - 1) / perDirBlock);
    for (let db = first; db <= last; db++) {
      if (++visits > MAX_METADATA_VISITS) throw bad(`more than ${MAX_METADATA_VISITS} directory blocks`);
      const b = await readMapped(vol, exts, db * dirblksize, dirblksize, true);
      dataBlockEntries(vol, b, `directory block ${db}`, out, bad);
      lastDb = db;
    }
  }
  return out;
}

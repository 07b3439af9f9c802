// Block maps of an inode fork: the extent list, from the inode itself (extents format) or from a
// bmap btree rooted in it (btree format, v4 "BMAP" and v5 "BMA3" blocks), and the mapping of file
// bytes onto the device (holes and unwritten extents read as zeros).
import { MAX_FILE_EXTENTS, MAX_METADATA_VISITS, MAX_TREE_DEPTH } from '../limits.js';
import { FMT_BTREE, FMT_EXTENTS } from './inode.js';
import type { XfsVolume } from './volume.js';

export interface Extent {
  /** first file block */
  off: number;
  /** filesystem block number (AG in the high bits) */
  fsb: number;
  len: number;
  unwritten: boolean;
}

const BMAP_MAGIC = 0x424d4150;
const BMA3_MAGIC = 0x424d4133;

/** One 128-bit bmbt record: flag(1) startoff(54) startblock(52) blockcount(21). */
function record(b: Buffer, p: number): Extent {
  const h0 = b.readUInt32BE(p);
  const h1 = b.readUInt32BE(p + 4);
  const l0 = b.readUInt32BE(p + 8);
  const l1 = b.readUInt32BE(p + 12);
  return {
    unwritten: h0 >>> 31 === 1,
    off: (h0 & 0x7fffffff) * 2 ** 23 + (h1 >>> 9),
    fsb: (h1 & 0x1ff) * 2 ** 43 + l0 * 2 ** 11 + (l1 >>> 21),
    len: l1 & 0x1fffff,
  };
}

/** The extent list of a fork, in file order, checked (sorted, not overlapping, inside the filesystem). */
export async function forkExtents(
  vol: XfsVolume,
  ino: number,
  fork: Buffer,
  format: number,
  nextents: number,
  what: string,
): Promise<Extent[]> {
  const bad = (m: string) => vol.error('EFORMAT', `inode ${ino} ${what} fork: ${m}`);
  const out: Extent[] = [];
  const push = (e: Extent): void => {
    if (e.len === 0) throw bad('an extent of length 0');
    if (!Number.isSafeInteger(e.off + e.len)) throw bad(`extent at file block ${e.off} is beyond 2^53`);
    const last = out[out.length - 1];
    if (last && e.off < last.off + last.len) throw bad(`extents out of order or overlapping at file block ${e.off}`);
    vol.fsbToByte(e.fsb, e.len);
    if (out.length >= MAX_FILE_EXTENTS) throw bad(`more than ${MAX_FILE_EXTENTS} extents`);
    out.push(e);
  };
  if (format === FMT_EXTENTS) {
    if (nextents * 16 > fork.length) throw bad(`${nextents} extents do not fit the inode`);
    for (let i = 0; i < nextents; i++) push(record(fork, i * 16));
    return out;
  }
  if (format !== FMT_BTREE) throw bad(`unexpected fork format ${format}`);
  // the root in the inode: level, numrecs, then keys and pointers sized for the whole fork
  if (fork.length < 4) throw bad('btree root does not fit');
  const level = fork.readUInt16BE(0);
  const numrecs = fork.readUInt16BE(2);
  const rootMax = Math.floor((fork.length - 4) / 16);
  if (level === 0 || level > MAX_TREE_DEPTH) throw bad(`btree root level ${level}`);
  if (numrecs === 0 || numrecs > rootMax) throw bad(`btree root holds ${numrecs} records (at most ${rootMax})`);
  const { blocksize, crc } = vol.sb;
  const hdr = crc ? 72 : 24;
  const maxrecs = Math.floor((blocksize - hdr) / 16);
  const seen = new Set<number>();
  const visit = async (fsb: number, lvl: number): Promise<void> => {
    if (seen.has(fsb)) throw bad(`btree block ${fsb} is reached twice (a loop)`);
    if (seen.size >= MAX_METADATA_VISITS) throw bad(`more than ${MAX_METADATA_VISITS} btree blocks`);
    seen.add(fsb);
    const b = await vol.meta(vol.fsbToByte(fsb), blocksize);
    const magic = b.readUInt32BE(0);
    if (magic !== (crc ? BMA3_MAGIC : BMAP_MAGIC)) throw bad(`btree block ${fsb} has a bad magic`);
    if (crc && b.readBigUInt64BE(56) !== BigInt(ino)) throw bad(`btree block ${fsb} belongs to inode ${b.readBigUInt64BE(56)}`);
    const blvl = b.readUInt16BE(4);
    const n = b.readUInt16BE(6);
    if (blvl !== lvl) throw bad(`btree block ${fsb} is at level ${blvl}, expected ${lvl}`);
    if (n > maxrecs) throw bad(`btree block ${fsb} holds ${n} records (at most ${maxrecs})`);
    if (lvl === 0) {
      for (let i = 0; i < n; i++) push(record(b, hdr + i * 16));
      return;
    }
    for (let i = 0; i < n; i++) await visit(ptr(b, hdr + maxrecs * 8 + i * 8), lvl - 1);
  };
  const ptr = (b: Buffer, p: number): number => {
    const v = b.readBigUInt64BE(p);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`btree pointer ${v} is beyond 2^53`);
    return Number(v);
  };
  for (let i = 0; i < numrecs; i++) await visit(ptr(fork, 4 + rootMax * 8 + i * 8), level - 1);
  return out;
}

/** Index of the last extent starting at or before file block `fb` (-1 if none). */
export function findExtent(exts: readonly Extent[], fb: number): number {
  let lo = 0;
  let hi = exts.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (exts[mid]!.off <= fb) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/**
 * `length` bytes of a fork's address space from byte `offset`: mapped blocks from the device,
 * holes and unwritten extents as zeros. `meta` reads through the metadata cache.
 */
export async function readMapped(vol: XfsVolume, exts: readonly Extent[], offset: number, length: number, meta = false): Promise<Buffer> {
  const { blocksize } = vol.sb;
  const out = Buffer.alloc(length);
  // the mapped pieces: device offset, bytes, offset in `out`
  const pieces: [number, number, number][] = [];
  let pos = offset;
  const end = offset + length;
  let i = findExtent(exts, Math.floor(pos / blocksize));
  if (i < 0) i = 0;
  for (; i < exts.length && pos < end; i++) {
    const e = exts[i]!;
    const eStart = e.off * blocksize;
    const eEnd = (e.off + e.len) * blocksize;
    if (eEnd <= pos) continue;
    if (eStart >= end) break;
    const from = Math.max(pos, eStart);
    const to = Math.min(end, eEnd);
    if (!e.unwritten) pieces.push([vol.fsbToByte(e.fsb, e.len) + (from - eStart), to - from, from - offset]);
    pos = to;
  }
  if (pieces.length === 0) return out;
  // many small extents close together on the device (a fragmented file): one read of their span
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const [dev, n] of pieces) {
    lo = Math.min(lo, dev);
    hi = Math.max(hi, dev + n);
  }
  if (pieces.length > 1 && hi - lo <= 2 * length + (1 << 20)) {
    const span = meta ? await vol.meta(lo, hi - lo) : await vol.read(lo, hi - lo);
    for (const [dev, n, at] of pieces) span.copy(out, at, dev - lo, dev - lo + n);
    return out;
  }
  for (const [dev, n, at] of pieces) {
    const b = meta ? await vol.meta(dev, n) : await vol.read(dev, n);
    b.copy(out, at);
  }
  return out;
}

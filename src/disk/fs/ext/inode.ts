// Inodes: where one lives (group, inode table) and what lstat(2) shows of it — 32-bit uid/gid,
// 64-bit size, nanosecond timestamps with the epoch extension bits where the inode is large
// enough to hold them, huge_file block counts, old and new device numbers.
import { S_IFBLK, S_IFCHR, S_IFMT, type FsStat } from '../types.js';
import type { ExtContext } from './context.js';
import { groupDesc } from './groups.js';
import { RO_COMPAT_HUGE_FILE } from './superblock.js';

export const FL_ENCRYPT = 0x800;
export const FL_INDEX = 0x1000;
export const FL_HUGE_FILE = 0x40000;
export const FL_EXTENTS = 0x80000;
export const FL_EA_INODE = 0x200000;
export const FL_INLINE_DATA = 0x10000000;
export const FL_CASEFOLD = 0x40000000;

export interface Inode {
  ino: number;
  /** the raw on-disk inode (inode size bytes) */
  raw: Buffer;
  mode: number;
  flags: number;
  size: number;
  nlink: number;
  /** bytes of the inode used past the first 128 (0 for 128-byte inodes) */
  extraIsize: number;
  /** i_block: extent root, block pointers, inline data or a fast symlink (60 bytes) */
  iblock: Buffer;
  /** the external xattr block, 0 when none */
  fileAcl: number;
}

function decodeTime(raw: Buffer, base: number, extraOff: number, extraEnd: number): bigint {
  let sec = BigInt(raw.readInt32LE(base));
  let nsec = 0n;
  if (extraOff + 4 <= extraEnd) {
    const extra = raw.readUInt32LE(extraOff);
    sec += BigInt(extra & 3) << 32n;
    nsec = BigInt(extra >>> 2);
  }
  return sec * 1_000_000_000n + nsec;
}

/** Read and decode inode `ino`. */
export async function readInode(ctx: ExtContext, ino: number): Promise<Inode> {
  const sb = ctx.sb;
  if (!Number.isSafeInteger(ino) || ino < 1 || ino > sb.inodesCount) throw ctx.error('EFORMAT', `inode number ${ino} is out of range`);
  const g = Math.floor((ino - 1) / sb.inodesPerGroup);
  const index = (ino - 1) % sb.inodesPerGroup;
  const gd = await groupDesc(ctx, g);
  const byteInTable = index * sb.inodeSize;
  const blk = gd.inodeTable + Math.floor(byteInTable / sb.blockSize);
  const buf = await ctx.block(blk, `the inode table of group ${g}`);
  const off = byteInTable % sb.blockSize;
  const raw = Buffer.from(buf.subarray(off, off + sb.inodeSize));
  const extraIsize = sb.inodeSize > 128 ? raw.readUInt16LE(0x80) : 0;
  if (extraIsize > sb.inodeSize - 128 || extraIsize % 4 !== 0) {
    throw ctx.error('EFORMAT', `inode ${ino} has an extra size of ${extraIsize} bytes, beyond its ${sb.inodeSize}`);
  }
  const size = raw.readUInt32LE(0x4) + raw.readUInt32LE(0x6c) * 2 ** 32;
  if (!Number.isSafeInteger(size)) throw ctx.error('EFORMAT', `inode ${ino} claims a size of more than 2^53 bytes`);
  return {
    ino,
    raw,
    mode: raw.readUInt16LE(0x0),
    flags: raw.readUInt32LE(0x20),
    size,
    nlink: raw.readUInt16LE(0x1a),
    extraIsize,
    iblock: raw.subarray(0x28, 0x28 + 60),
    fileAcl: raw.readUInt32LE(0x68) + raw.readUInt16LE(0x76) * 2 ** 32,
  };
}

/** lstat(2) of a decoded inode. */
export function inodeStat(ctx: ExtContext, n: Inode): FsStat {
  const r = n.raw;
  const end = 128 + n.extraIsize;
  let blocks = r.readUInt32LE(0x1c);
  if (ctx.sb.roCompat & RO_COMPAT_HUGE_FILE) {
    blocks += r.readUInt16LE(0x74) * 2 ** 32;
    if (n.flags & FL_HUGE_FILE) blocks *= ctx.sb.blockSize / 512;
  }
  const st: FsStat = {
    ino: n.ino,
    mode: n.mode,
    nlink: n.nlink,
    uid: r.readUInt16LE(0x2) + r.readUInt16LE(0x78) * 65536,
    gid: r.readUInt16LE(0x18) + r.readUInt16LE(0x7a) * 65536,
    size: n.size,
    atimeNs: decodeTime(r, 0x8, 0x8c, end),
    ctimeNs: decodeTime(r, 0xc, 0x84, end),
    mtimeNs: decodeTime(r, 0x10, 0x88, end),
    blocks,
  };
  if (0x94 + 4 <= end) st.birthtimeNs = decodeTime(r, 0x90, 0x94, end);
  const type = n.mode & S_IFMT;
  if (type === S_IFCHR || type === S_IFBLK) {
    const old = r.readUInt32LE(0x28);
    if (old !== 0) {
      st.rdevMajor = (old >>> 8) & 0xff;
      st.rdevMinor = old & 0xff;
    } else {
      const dev = r.readUInt32LE(0x2c);
      st.rdevMajor = (dev & 0xfff00) >>> 8;
      st.rdevMinor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
    }
  }
  return st;
}

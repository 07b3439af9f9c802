// On-disk facts of btrfs shared by the reader's parts: key types, object ids, item layouts.
// Keys are (objectid, type, offset) with 64-bit fields: bigints, so that ids near 2^64 (the
// special trees' -N ids, a ROOT_ITEM location's offset of -1) compare exactly.
import type { JootError } from '../../../core/errors.js';

export interface Key {
  obj: bigint;
  type: number;
  off: bigint;
}

export const KEY_SIZE = 17;

export function readKey(b: Buffer, at: number): Key {
  return { obj: b.readBigUInt64LE(at), type: b[at + 8]!, off: b.readBigUInt64LE(at + 9) };
}

export function compareKeys(a: Key, b: Key): number {
  if (a.obj !== b.obj) return a.obj < b.obj ? -1 : 1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.off !== b.off) return a.off < b.off ? -1 : 1;
  return 0;
}

export const U64_MAX = 0xffffffffffffffffn;

// item types
export const INODE_ITEM = 1;
export const INODE_REF = 12;
export const INODE_EXTREF = 13;
export const XATTR_ITEM = 24;
export const DIR_ITEM = 84;
export const DIR_INDEX = 96;
export const EXTENT_DATA = 108;
export const ROOT_ITEM = 132;
export const ROOT_BACKREF = 144;
export const ROOT_REF = 156;
export const CHUNK_ITEM = 228;

// object ids
export const ROOT_TREE_OBJECTID = 1n;
export const CHUNK_TREE_OBJECTID = 3n;
export const FS_TREE_OBJECTID = 5n;
export const ROOT_TREE_DIR_OBJECTID = 6n;
export const FIRST_FREE_OBJECTID = 256n;
export const LAST_FREE_OBJECTID = 0xffffffffffffff00n; // -256
export const EMPTY_SUBVOL_DIR_OBJECTID = 2;
export const FIRST_CHUNK_TREE_OBJECTID = 256n;

// incompat features this reader refuses (metadata laid out differently)
export const INCOMPAT_METADATA_UUID = 1n << 10n;
export const INCOMPAT_EXTENT_TREE_V2 = 1n << 13n;
export const INCOMPAT_RAID_STRIPE_TREE = 1n << 14n;

// block group profile bits of a chunk's type
export const BG_RAID0 = 1n << 3n;
export const BG_RAID1 = 1n << 4n;
export const BG_DUP = 1n << 5n;
export const BG_RAID10 = 1n << 6n;
export const BG_RAID5 = 1n << 7n;
export const BG_RAID6 = 1n << 8n;
export const BG_RAID1C3 = 1n << 9n;
export const BG_RAID1C4 = 1n << 10n;

/** A bigint that must fit a JS number (sizes, offsets, inode numbers). */
export function num(v: bigint, fail: (msg: string) => JootError, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${what} ${v} is beyond 2^53`);
  return Number(v);
}

export function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A timespec (u64 seconds, u32 nanoseconds) as nanoseconds; seconds are signed on disk. */
export function readTime(b: Buffer, at: number): bigint {
  return b.readBigInt64LE(at) * 1_000_000_000n + BigInt(b.readUInt32LE(at + 8) % 1_000_000_000);
}

// The ext2/3/4 superblock (1024 bytes at offset 1024) and the group descriptor table: only what a
// read-only walk needs. Features that change how bytes are laid out and are not read here are
// refused at open; the journal is ignored (as the kernel's `noload`), checksums are not checked.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';

export const COMPAT_HAS_JOURNAL = 0x4;
export const COMPAT_SPARSE_SUPER2 = 0x200;

export const INCOMPAT_COMPRESSION = 0x1;
export const INCOMPAT_FILETYPE = 0x2;
export const INCOMPAT_JOURNAL_DEV = 0x8;
export const INCOMPAT_META_BG = 0x10;
export const INCOMPAT_EXTENTS = 0x40;
export const INCOMPAT_64BIT = 0x80;
export const INCOMPAT_EA_INODE = 0x400;
export const INCOMPAT_DIRDATA = 0x1000;
export const INCOMPAT_INLINE_DATA = 0x8000;
export const INCOMPAT_ENCRYPT = 0x10000;
export const INCOMPAT_CASEFOLD = 0x20000;

export const COMPAT_DIR_INDEX = 0x20;
const EXT2_FLAGS_UNSIGNED_HASH = 0x2;

export const RO_COMPAT_SPARSE_SUPER = 0x1;
export const RO_COMPAT_HUGE_FILE = 0x8;
export const RO_COMPAT_BIGALLOC = 0x200;

// what ext2 and ext3 understand (blkid's rule for the name: anything more is ext4)
const EXT3_RO_SUPP = 0x1 | 0x2 | 0x4;
const EXT3_INCOMPAT_SUPP = 0x2 | 0x4 | 0x10;

const MAGIC = 0xef53;

export interface Superblock {
  inodesCount: number;
  blocksCount: number;
  reservedBlocks: number;
  freeBlocks: number;
  freeInodes: number;
  firstDataBlock: number;
  blockSize: number;
  clusterRatio: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  inodeSize: number;
  firstIno: number;
  groupCount: number;
  descSize: number;
  descPerBlock: number;
  firstMetaBg: number;
  backupBgs: [number, number];
  overheadClusters: number;
  reservedGdtBlocks: number;
  journalInum: number;
  compat: number;
  incompat: number;
  roCompat: number;
  /** s_def_hash_version, plus 3 where s_flags says the hash is unsigned (as the kernel keeps it) */
  hashVersion: number;
  /** 3 where s_flags says directory hashes treat name bytes as unsigned, else 0 */
  hashUnsigned: number;
  /** s_hash_seed as four little-endian words */
  hashSeed: [number, number, number, number];
  /** s_encoding_flags: EXT4_ENC_STRICT_MODE_FL (1) refuses names that are not valid UTF-8 in casefolded directories */
  encodingFlags: number;
  /** ext2, ext3 or ext4, by blkid's rules */
  type: string;
}

/** Decode and check the superblock of `source` (named `device` in messages). */
export async function readSuperblock(source: ByteSource, device: string): Promise<Superblock> {
  const bad = (m: string) => new JootError('EFORMAT', `${device}: ext: ${m}`);
  if (source.size < 2048) throw bad(`the device is too small for an ext superblock (${source.size} bytes)`);
  const b = await source.read(1024, 1024);
  if (b.readUInt16LE(0x38) !== MAGIC) throw bad('no ext2/3/4 superblock (bad magic)');
  const logBlock = b.readUInt32LE(0x18);
  if (logBlock > 6) throw bad(`block size 1024<<${logBlock} is out of range`);
  const blockSize = 1024 << logBlock;
  const logCluster = b.readUInt32LE(0x1c);
  const compat = b.readUInt32LE(0x5c);
  const incompat = b.readUInt32LE(0x60);
  const roCompat = b.readUInt32LE(0x64);
  const rev = b.readUInt32LE(0x4c);
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const hi = (off: number) => (is64 ? b.readUInt32LE(off) : 0);
  const blocksCount = b.readUInt32LE(0x4) + hi(0x150) * 2 ** 32;
  const reservedBlocks = b.readUInt32LE(0x8) + hi(0x154) * 2 ** 32;
  const freeBlocks = b.readUInt32LE(0xc) + hi(0x158) * 2 ** 32;
  const inodeSize = rev === 0 ? 128 : b.readUInt16LE(0x58);
  const firstIno = rev === 0 ? 11 : b.readUInt32LE(0x54);
  const sb: Superblock = {
    inodesCount: b.readUInt32LE(0x0),
    blocksCount,
    reservedBlocks,
    freeBlocks,
    freeInodes: b.readUInt32LE(0x10),
    firstDataBlock: b.readUInt32LE(0x14),
    blockSize,
    clusterRatio: roCompat & RO_COMPAT_BIGALLOC && logCluster >= logBlock && logCluster - logBlock < 20 ? 2 ** (logCluster - logBlock) : 1,
    blocksPerGroup: b.readUInt32LE(0x20),
    inodesPerGroup: b.readUInt32LE(0x28),
    inodeSize,
    firstIno,
    groupCount: 0,
    descSize: is64 ? b.readUInt16LE(0xfe) : 32,
    descPerBlock: 0,
    firstMetaBg: b.readUInt32LE(0x104),
    backupBgs: [b.readUInt32LE(0x24c), b.readUInt32LE(0x250)],
    overheadClusters: b.readUInt32LE(0x248),
    reservedGdtBlocks: b.readUInt16LE(0xce),
    journalInum: b.readUInt32LE(0xe0),
    compat,
    incompat,
    roCompat,
    hashVersion: 0,
    hashUnsigned: b.readUInt32LE(0x160) & EXT2_FLAGS_UNSIGNED_HASH ? 3 : 0,
    hashSeed: [b.readUInt32LE(0xec), b.readUInt32LE(0xf0), b.readUInt32LE(0xf4), b.readUInt32LE(0xf8)],
    encodingFlags: b.readUInt16LE(0x27e),
    type: 'ext2',
  };
  const defHash = b[0xfc]!;
  sb.hashVersion = defHash <= 2 ? defHash + sb.hashUnsigned : defHash;
  if (compat & COMPAT_HAS_JOURNAL) sb.type = 'ext3';
  if (roCompat & ~EXT3_RO_SUPP || incompat & ~EXT3_INCOMPAT_SUPP) sb.type = 'ext4';

  if (incompat & INCOMPAT_JOURNAL_DEV) throw new JootError('EUNSUPPORTED', `${device}: ext: an external journal device holds no files`);
  if (incompat & INCOMPAT_COMPRESSION) throw new JootError('EUNSUPPORTED', `${device}: ${sb.type}: ext2 compression is not read`);
  if (incompat & INCOMPAT_DIRDATA) throw new JootError('EUNSUPPORTED', `${device}: ${sb.type}: dirdata (Lustre) is not read`);
  const fail = (m: string) => new JootError('EFORMAT', `${device}: ${sb.type}: ${m}`);
  if (sb.blocksCount === 0 || !Number.isSafeInteger(sb.blocksCount * blockSize))
    throw fail(`block count ${sb.blocksCount} is out of range`);
  if (sb.blocksCount * blockSize > source.size) {
    throw fail(`the filesystem claims ${sb.blocksCount} blocks of ${blockSize} bytes, more than the device's ${source.size} bytes`);
  }
  if (sb.firstDataBlock >= sb.blocksCount || sb.firstDataBlock > 1) throw fail(`first data block ${sb.firstDataBlock} is out of range`);
  // mke2fs makes groups of at least 256 blocks: fewer would only multiply the descriptors to read
  if (sb.blocksPerGroup < 256 || sb.blocksPerGroup > blockSize * 8 * sb.clusterRatio)
    throw fail(`blocks per group ${sb.blocksPerGroup} is out of range`);
  if (sb.inodesPerGroup === 0 || sb.inodesPerGroup > blockSize * 8) throw fail(`inodes per group ${sb.inodesPerGroup} is out of range`);
  if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0)
    throw fail(`inode size ${inodeSize} is out of range`);
  if (sb.descSize < 32 || sb.descSize > 1024 || (sb.descSize & (sb.descSize - 1)) !== 0)
    throw fail(`group descriptor size ${sb.descSize} is out of range`);
  sb.groupCount = Math.ceil((sb.blocksCount - sb.firstDataBlock) / sb.blocksPerGroup);
  sb.descPerBlock = blockSize / sb.descSize;
  if (sb.inodesCount === 0 || sb.inodesCount > sb.groupCount * sb.inodesPerGroup) {
    throw fail(`inode count ${sb.inodesCount} does not fit ${sb.groupCount} groups of ${sb.inodesPerGroup}`);
  }
  return sb;
}

/** Does group `g` hold a superblock backup (and so the descriptor table after it)? */
export function groupHasSuper(sb: Superblock, g: number): boolean {
  if (g === 0) return true;
  if (sb.compat & COMPAT_SPARSE_SUPER2) return g === sb.backupBgs[0] || g === sb.backupBgs[1];
  if (g <= 1 || !(sb.roCompat & RO_COMPAT_SPARSE_SUPER)) return true;
  if (!(g & 1)) return false;
  const power = (base: number) => {
    let n = base;
    while (n < g) n *= base;
    return n === g;
  };
  return power(3) || power(5) || power(7);
}

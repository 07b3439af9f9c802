// The squashfs 4.0 superblock: where every table lies, the block size and the compressor.
export const MAGIC = 0x73717368;
export const METADATA_SIZE = 8192;

export interface Superblock {
  inodes: number;
  blockSize: number;
  blockLog: number;
  fragments: number;
  compression: number;
  flags: number;
  ids: number;
  rootInode: bigint;
  bytesUsed: number;
  idTable: number;
  xattrIdTable: number;
  inodeTable: number;
  directoryTable: number;
  fragmentTable: number;
}

export const COMPRESSORS: Record<number, string> = { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' };
/** "no table" in the superblock */
export const NO_TABLE = 0xffffffffffffffffn;

export class SuperblockError extends Error {}

export function parseSuperblock(b: Buffer, deviceSize: number): Superblock {
  if (b.readUInt32LE(0) !== MAGIC) throw new SuperblockError('no squashfs magic');
  const major = b.readUInt16LE(28);
  if (major !== 4) throw new SuperblockError(`squashfs version ${major}.${b.readUInt16LE(30)} is not 4.0`);
  const blockSize = b.readUInt32LE(12);
  const blockLog = b.readUInt16LE(22);
  if (blockSize < 4096 || blockSize > 1 << 20 || 2 ** blockLog !== blockSize) throw new SuperblockError(`bad block size ${blockSize}`);
  const off = (at: number, what: string, optional = false): number => {
    const v = b.readBigUInt64LE(at);
    if (optional && v === NO_TABLE) return -1;
    if (v > BigInt(deviceSize)) throw new SuperblockError(`the ${what} lies outside the device`);
    return Number(v);
  };
  return {
    inodes: b.readUInt32LE(4),
    blockSize,
    blockLog,
    fragments: b.readUInt32LE(16),
    compression: b.readUInt16LE(20),
    flags: b.readUInt16LE(24),
    ids: b.readUInt16LE(26),
    rootInode: b.readBigUInt64LE(32),
    bytesUsed: off(40, 'filesystem'),
    idTable: off(48, 'id table'),
    xattrIdTable: off(56, 'xattr id table', true),
    inodeTable: off(64, 'inode table'),
    directoryTable: off(72, 'directory table'),
    fragmentTable: off(80, 'fragment table', true),
  };
}

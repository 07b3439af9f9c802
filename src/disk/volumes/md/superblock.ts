// md RAID member superblocks, as md(4) and the kernel's md_p.h lay them out: version 0.90
// (4 KiB in the last 64 KiB-aligned 64 KiB of the device, in the creating host's byte order:
// little-endian here, x86) and versions 1.0 / 1.1 / 1.2 (little-endian, at end - 8 KiB rounded
// down to 4 KiB / at 0 / at 4 KiB). Every field is checked before anything uses it; the checksum
// is checked first, so random damage is caught there and the rest only meets crafted input.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';

export const MD_MAGIC = 0xa92b4efc;
const SECTOR = 512;
/** md allows at most 1920 roles in a 1.x superblock (256 + 2 * 1920 = 4096 bytes) and 27 in 0.90. */
export const MAX_DEV_1X = 1920;
export const MAX_DISKS_090 = 27;
/** Chunk sizes md accepts are powers of two; bounded here so stripes stay small to read. */
export const MIN_CHUNK = 4096;
export const MAX_CHUNK = 64 * 1024 * 1024;

// md level numbers (md_p.h / md_u.h)
export const LEVEL_LINEAR = -1;

/** 1.x feature_map bits (md_p.h). */
export const FEATURE = {
  bitmapOffset: 1,
  recoveryOffset: 2,
  reshapeActive: 4,
  badBlocks: 8,
  replacement: 16,
  reshapeBackwards: 32,
  newOffset: 64,
  recoveryBitmap: 128,
  clustered: 256,
  journal: 512,
  ppl: 1024,
  multiplePpls: 2048,
  raid0Layout: 4096,
} as const;
const KNOWN_FEATURES = 8191;

export type MdMetadata = '0.90' | '1.0' | '1.1' | '1.2';

/** What one member's superblock says, checked. Sizes and offsets in bytes. */
export interface MdSuperblock {
  metadata: MdMetadata;
  /** the array UUID as mdadm prints it (xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx) */
  uuid: string;
  /** 1.x: the array name ("homehost:name" or "name"); 0.90: '' */
  arrayName: string;
  level: number;
  layout: number;
  /** bytes; 0 where the level has no chunks (raid1) */
  chunk: number;
  raidDisks: number;
  /** bytes of each member the array uses (0.90 `size`, 1.x `size`; linear/raid0: data size) */
  usedSize: number;
  /** where the data starts on this member, and how much there is */
  dataOffset: number;
  dataSize: number;
  events: bigint;
  /** this member's role: 0 .. raidDisks-1, or 'spare' / 'faulty' / 'journal' */
  role: number | 'spare' | 'faulty' | 'journal';
  /** 1.x feature_map bits (FEATURE); 0 for 0.90 */
  featureMap: number;
  /** 0.90: the minor number the array was made as (md_minor) */
  preferredMinor: number;
  /** the member is being rebuilt: only the first recoveryOffset bytes are in sync */
  recoveryOffset?: number;
}

function bad(dev: string, what: string): JootError {
  return new JootError('EFORMAT', `${dev}: md superblock: ${what}`);
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** 64-bit little-endian as a safe number, or a clean error. */
function u64(buf: Buffer, off: number, dev: string, what: string): number {
  const v = buf.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(dev, `${what} ${v} is beyond 2^53`);
  return Number(v);
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** mdadm's calc_sb_1_csum / calc_sb0_csum: a 64-bit sum of 32-bit words, folded once. */
function foldedSum(buf: Buffer, length: number, skipAt: number): number {
  let sum = 0n;
  let i = 0;
  for (; i + 4 <= length; i += 4) if (i !== skipAt) sum += BigInt(buf.readUInt32LE(i));
  if (length - i === 2) sum += BigInt(buf.readUInt16LE(i));
  return Number(((sum & 0xffffffffn) + (sum >> 32n)) & 0xffffffffn);
}

/** The chunk size in bytes, checked (levels that stripe need one). */
function checkChunk(level: number, chunk: number, dev: string): number {
  const striped = level === 0 || level === 4 || level === 5 || level === 6 || level === 10;
  if (!striped) return level === LEVEL_LINEAR && chunk > 0 && isPow2(chunk) && chunk <= MAX_CHUNK ? chunk : 0;
  if (!isPow2(chunk) || chunk < MIN_CHUNK || chunk > MAX_CHUNK) {
    throw bad(dev, `chunk size ${chunk} bytes is not a power of two between ${MIN_CHUNK} and ${MAX_CHUNK}`);
  }
  return chunk;
}

function checkLevel(level: number, dev: string): void {
  if (![LEVEL_LINEAR, 0, 1, 4, 5, 6, 10].includes(level)) {
    throw new JootError('EUNSUPPORTED', `${dev}: md superblock: RAID level ${level} is not supported`);
  }
}

function minDisks(level: number): number {
  return level === 4 || level === 5 ? 2 : level === 6 ? 4 : level === 10 ? 2 : 1;
}

// ------------------------------------------------------------------------------------ 0.90

/** Where a 0.90 superblock lives: the last 64 KiB-aligned 64 KiB block, less 64 KiB. */
export function offset090(size: number): number {
  return Math.floor(size / 65536) * 65536 - 65536;
}

export function parse090(sb: Buffer, devSize: number, dev: string): MdSuperblock {
  const w = (i: number) => sb.readUInt32LE(i * 4);
  if (w(0) !== MD_MAGIC) throw bad(dev, 'no magic');
  if (w(1) !== 0 || w(2) !== 90) throw new JootError('EUNSUPPORTED', `${dev}: md superblock version ${w(1)}.${w(2)} is not supported`);
  const csum = w(38);
  if (foldedSum(sb, 4096, 38 * 4) !== csum) throw bad(dev, 'checksum mismatch (0.90)');
  const level = sb.readInt32LE(7 * 4);
  checkLevel(level, dev);
  const raidDisks = w(10);
  if (raidDisks < minDisks(level) || raidDisks > MAX_DISKS_090) throw bad(dev, `raid_disks ${raidDisks} is impossible for level ${level}`);
  const layout = w(64);
  const chunk = checkChunk(level, w(65), dev);
  const sbOffset = offset090(devSize);
  // size: KiB of each member the array uses (0 for linear/raid0, where it is the whole data area)
  let usedSize = w(8) * 1024;
  if (usedSize === 0 || level === 0 || level === LEVEL_LINEAR) usedSize = sbOffset;
  if (usedSize > sbOffset) throw bad(dev, `size ${usedSize} bytes is past the superblock at ${sbOffset}`);
  const events = (BigInt(w(40)) << 32n) | BigInt(w(39));
  // this_disk (word 992): number, major, minor, raid_disk, state
  const raidDisk = w(992 + 3);
  const state = w(992 + 4);
  let role: MdSuperblock['role'];
  if (state & 1) role = 'faulty';
  else if (state & 4 && raidDisk < raidDisks) role = raidDisk;
  else role = 'spare';
  const uuid = [w(5), w(13), w(14), w(15)].map(hex32).join(':');
  return {
    metadata: '0.90',
    uuid,
    arrayName: '',
    level,
    layout,
    chunk,
    raidDisks,
    usedSize,
    dataOffset: 0,
    dataSize: sbOffset,
    events,
    role,
    featureMap: 0,
    preferredMinor: w(11),
  };
}

// ------------------------------------------------------------------------------------ 1.x

/** Where a 1.x superblock lives, by minor version. */
export function offset1x(minor: 0 | 1 | 2, size: number): number {
  if (minor === 1) return 0;
  if (minor === 2) return 4096;
  return Math.floor((size - 8192) / 4096) * 4096;
}

export function parse1x(sb: Buffer, minor: 0 | 1 | 2, devSize: number, dev: string): MdSuperblock {
  if (sb.readUInt32LE(0) !== MD_MAGIC) throw bad(dev, 'no magic');
  if (sb.readUInt32LE(4) !== 1)
    throw new JootError('EUNSUPPORTED', `${dev}: md superblock major version ${sb.readUInt32LE(4)} is not supported`);
  const maxDev = sb.readUInt32LE(220);
  if (maxDev > MAX_DEV_1X) throw bad(dev, `max_dev ${maxDev} is more than ${MAX_DEV_1X}`);
  const csum = sb.readUInt32LE(216);
  if (foldedSum(sb, 256 + 2 * maxDev, 216) !== csum) throw bad(dev, 'checksum mismatch');
  const sbOffset = offset1x(minor, devSize);
  if (u64(sb, 144, dev, 'super_offset') !== sbOffset / SECTOR)
    throw bad(dev, `super_offset does not match where it was found (1.${minor})`);
  const featureMap = sb.readUInt32LE(8);
  if (featureMap & ~KNOWN_FEATURES)
    throw new JootError('EUNSUPPORTED', `${dev}: md superblock: unknown feature bits 0x${(featureMap & ~KNOWN_FEATURES).toString(16)}`);
  if (featureMap & FEATURE.reshapeActive) throw new JootError('EUNSUPPORTED', `${dev}: md array is in the middle of a reshape`);
  if (featureMap & FEATURE.clustered) throw new JootError('EUNSUPPORTED', `${dev}: clustered md arrays are not supported`);
  const level = sb.readInt32LE(72);
  checkLevel(level, dev);
  const layout = sb.readUInt32LE(76);
  const chunkSectors = sb.readUInt32LE(88);
  const chunk = checkChunk(level, chunkSectors * SECTOR, dev);
  const raidDisks = sb.readUInt32LE(92);
  if (raidDisks < minDisks(level) || raidDisks > maxDev)
    throw bad(dev, `raid_disks ${raidDisks} is impossible (level ${level}, ${maxDev} role slots)`);
  const dataOffset = u64(sb, 128, dev, 'data_offset') * SECTOR;
  const dataSize = u64(sb, 136, dev, 'data_size') * SECTOR;
  const usedSize = u64(sb, 80, dev, 'size') * SECTOR;
  if (dataSize === 0 || !Number.isSafeInteger(dataOffset + dataSize) || dataOffset + dataSize > devSize) {
    throw bad(dev, `data area ${dataOffset}+${dataSize} is outside the device (size ${devSize})`);
  }
  // the data must not overlap the superblock (before it for 1.0, after it for 1.1/1.2)
  if (minor === 0 ? dataOffset + dataSize > sbOffset : dataOffset < sbOffset + 256 + 2 * maxDev) {
    throw bad(dev, `data area ${dataOffset}+${dataSize} overlaps the superblock at ${sbOffset}`);
  }
  if (level !== 0 && level !== LEVEL_LINEAR && (usedSize === 0 || usedSize > dataSize)) {
    throw bad(dev, `used size ${usedSize} is not within the data area (${dataSize} bytes)`);
  }
  const devNumber = sb.readUInt32LE(160);
  let role: MdSuperblock['role'] = 'spare';
  if (devNumber < maxDev) {
    const r = sb.readUInt16LE(256 + 2 * devNumber);
    if (r === 0xfffe) role = 'faulty';
    else if (r === 0xfffd) role = 'journal';
    else if (r < raidDisks) role = r;
  }
  const nameBytes = sb.subarray(32, 64);
  const nul = nameBytes.indexOf(0);
  const arrayName = nameBytes.subarray(0, nul < 0 ? 32 : nul).toString('latin1');
  const uuidHex = sb.subarray(16, 32).toString('hex');
  const uuid = [0, 8, 16, 24].map((i) => uuidHex.slice(i, i + 8)).join(':');
  const sbFields: MdSuperblock = {
    metadata: `1.${minor}` as MdMetadata,
    uuid,
    arrayName,
    level,
    layout,
    chunk,
    raidDisks,
    usedSize: level === 0 || level === LEVEL_LINEAR ? dataSize : usedSize,
    dataOffset,
    dataSize,
    events: sb.readBigUInt64LE(200),
    role,
    featureMap,
    preferredMinor: -1,
  };
  if (featureMap & FEATURE.recoveryOffset) sbFields.recoveryOffset = u64(sb, 152, dev, 'recovery_offset') * SECTOR;
  return sbFields;
}

/**
 * The md superblock on `src`, if any: 1.1 at 0, 1.2 at 4 KiB, 1.0 at the end, then 0.90.
 * A device without the magic is undefined; one with the magic and bad fields is a JootError.
 */
export async function readMdSuperblock(src: ByteSource): Promise<MdSuperblock | undefined> {
  if (src.size < 65536 + 4096) return undefined;
  const places: [number, (b: Buffer) => MdSuperblock][] = [
    [offset1x(1, src.size), (b) => parse1x(b, 1, src.size, src.name)],
    [offset1x(2, src.size), (b) => parse1x(b, 2, src.size, src.name)],
    [offset1x(0, src.size), (b) => parse1x(b, 0, src.size, src.name)],
    [offset090(src.size), (b) => parse090(b, src.size, src.name)],
  ];
  for (const [at, parse] of places) {
    const buf = await src.read(at, 4096);
    if (buf.readUInt32LE(0) === MD_MAGIC) return parse(buf);
  }
  return undefined;
}

// The xfs superblock (v4 and v5, big-endian, at byte 0 of the device): the geometry every other
// structure is addressed by. Only what the reader needs is decoded; anything that would change
// how the on-disk structures read and is not understood here is refused up front.
import type { JootError } from '../../../core/errors.js';

export interface Superblock {
  version: 4 | 5;
  blocksize: number;
  blocklog: number;
  dblocks: number;
  agblocks: number;
  agcount: number;
  agblklog: number;
  inodesize: number;
  inopblog: number;
  sectsize: number;
  rootino: number;
  /** v5: metadata blocks carry self-describing headers (magic, crc, owner, uuid) */
  crc: boolean;
  /** directory entries carry a file-type byte */
  ftype: boolean;
  dirblksize: number;
  logstart: number;
  logblocks: number;
  icount: number;
  ifree: number;
  fdblocks: number;
  imaxPct: number;
  nrext64: boolean;
  /** v5 reverse-mapping btree (its blocks are not the kernel's set-aside) */
  rmapbt: boolean;
}

const V4_DIRV2 = 0x2000;
const V4_MOREBITS = 0x8000;
const F2_FTYPE = 0x200;
// v5 incompatible features this reader understands: ftype, sparse inodes, meta_uuid, bigtime,
// nrext64, exchange-range, parent pointers (skipped as attributes)
const RO_COMPAT_RMAPBT = 0x2;
const INCOMPAT_FTYPE = 0x1;
const INCOMPAT_NEEDSREPAIR = 0x10;
const INCOMPAT_NREXT64 = 0x20;
const INCOMPAT_KNOWN = 0x1 | 0x2 | 0x4 | 0x8 | INCOMPAT_NREXT64 | 0x40 | 0x80;

function u64(b: Buffer, off: number, what: string, fail: (m: string) => JootError): number {
  const v = b.readBigUInt64BE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`superblock ${what} ${v} is beyond 2^53`);
  return Number(v);
}

/** Decode and sanity-check the primary superblock; a device shorter than it claims is read up to its end (EIO past it). */
export function parseSuperblock(b: Buffer, fail: (code: 'EFORMAT' | 'EUNSUPPORTED', m: string) => JootError): Superblock {
  const bad = (m: string) => fail('EFORMAT', m);
  if (b.length < 512 || b.readUInt32BE(0) !== 0x58465342) throw bad('no xfs superblock (magic XFSB) at byte 0');
  const versionnum = b.readUInt16BE(100);
  const version = versionnum & 0xf;
  if (version !== 4 && version !== 5) throw fail('EUNSUPPORTED', `superblock version ${version} (only 4 and 5 are read)`);
  const blocksize = b.readUInt32BE(4);
  const blocklog = b[120]!;
  const sectsize = b.readUInt16BE(102);
  const inodesize = b.readUInt16BE(104);
  const inodelog = b[122]!;
  const inopblog = b[123]!;
  const agblocks = b.readUInt32BE(84);
  const agcount = b.readUInt32BE(88);
  const agblklog = b[124]!;
  const dirblklog = b[192]!;
  if (blocklog < 9 || blocklog > 16 || blocksize !== 2 ** blocklog) throw bad(`bad block size ${blocksize}`);
  if (sectsize < 512 || sectsize > 32768 || (sectsize & (sectsize - 1)) !== 0) throw bad(`bad sector size ${sectsize}`);
  if (inodelog < 8 || inodelog > 11 || inodesize !== 2 ** inodelog || inopblog !== blocklog - inodelog) {
    throw bad(`bad inode size ${inodesize}`);
  }
  if (agcount === 0 || agblocks < 16 || agblklog > 31 || 2 ** agblklog < agblocks || 2 ** (agblklog - 1) >= agblocks) {
    throw bad(`bad allocation group geometry (${agcount} groups of ${agblocks} blocks)`);
  }
  if (blocklog + dirblklog > 16) throw bad(`bad directory block size 2^${blocklog + dirblklog}`);
  const dblocks = u64(b, 8, 'dblocks', bad);
  if (dblocks === 0 || dblocks > agcount * agblocks) throw bad(`data blocks ${dblocks} do not fit ${agcount} groups of ${agblocks}`);
  if (b.readBigUInt64BE(16) !== 0n) throw fail('EUNSUPPORTED', 'realtime device (rblocks) is not read');
  let crc = false;
  let ftype = false;
  let nrext64 = false;
  let rmapbt = false;
  if (version === 4) {
    if (!(versionnum & V4_DIRV2)) throw fail('EUNSUPPORTED', 'version 1 directories (no DIRV2 bit)');
    if (versionnum & V4_MOREBITS) ftype = (b.readUInt32BE(200) & F2_FTYPE) !== 0;
  } else {
    crc = true;
    const incompat = b.readUInt32BE(216);
    if (incompat & INCOMPAT_NEEDSREPAIR) throw fail('EUNSUPPORTED', 'the filesystem is marked as needing repair');
    if (incompat & ~INCOMPAT_KNOWN)
      throw fail('EUNSUPPORTED', `unknown incompatible features 0x${(incompat & ~INCOMPAT_KNOWN).toString(16)}`);
    ftype = (incompat & INCOMPAT_FTYPE) !== 0;
    nrext64 = (incompat & INCOMPAT_NREXT64) !== 0;
    rmapbt = (b.readUInt32BE(212) & RO_COMPAT_RMAPBT) !== 0;
  }
  return {
    version,
    blocksize,
    blocklog,
    dblocks,
    agblocks,
    agcount,
    agblklog,
    inodesize,
    inopblog,
    sectsize,
    rootino: u64(b, 56, 'rootino', bad),
    crc,
    ftype,
    dirblksize: blocksize * 2 ** dirblklog,
    logstart: u64(b, 48, 'logstart', bad),
    logblocks: b.readUInt32BE(96),
    icount: u64(b, 128, 'icount', bad),
    ifree: u64(b, 136, 'ifree', bad),
    fdblocks: u64(b, 144, 'fdblocks', bad),
    imaxPct: b[127]!,
    nrext64,
    rmapbt,
  };
}

// On-disk inodes (dinode v1, v2 and v3): the core fields stat needs and the two forks (data and
// attribute) as raw byte ranges of the inode's literal area.
import type { XfsVolume } from './volume.js';

export const FMT_DEV = 0;
export const FMT_LOCAL = 1;
export const FMT_EXTENTS = 2;
export const FMT_BTREE = 3;

const DIFLAG_REALTIME = 0x1;
const DIFLAG2_BIGTIME = 0x8;
const DIFLAG2_NREXT64 = 0x10;
/** seconds from 1901-12-13T20:45:52Z (the bigtime epoch) to the Unix epoch */
const BIGTIME_EPOCH_OFFSET = 2n ** 31n;
const NS = 1_000_000_000n;

export interface Inode {
  ino: number;
  mode: number;
  version: number;
  nlink: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  crtimeNs?: bigint;
  size: number;
  nblocks: number;
  realtime: boolean;
  dformat: number;
  /** data fork extent count as the inode claims it (a bound, checked against what is found) */
  dnextents: number;
  aformat: number;
  anextents: number;
  dfork: Buffer;
  /** absent when the inode has no attribute fork */
  afork?: Buffer;
  rdev: number;
}

function timestamp(b: Buffer, off: number, bigtime: boolean): bigint {
  if (bigtime) return b.readBigUInt64BE(off) - BIGTIME_EPOCH_OFFSET * NS;
  // classic: signed seconds and nanoseconds (the kernel takes the nanoseconds as they are)
  return BigInt(b.readInt32BE(off)) * NS + BigInt(b.readInt32BE(off + 4));
}

export async function readInode(vol: XfsVolume, ino: number): Promise<Inode> {
  const { inodesize, crc } = vol.sb;
  // a copy: a cached inode must not pin the whole metadata window it was read from
  const b = Buffer.from(await vol.meta(vol.inoToByte(ino), inodesize));
  const bad = (m: string) => vol.error('EFORMAT', `inode ${ino}: ${m}`);
  if (b.readUInt16BE(0) !== 0x494e) throw bad('bad magic (not an inode)');
  const version = b[4]!;
  if (version < 1 || version > 3 || (version === 3) !== crc) throw bad(`inode version ${version} on a v${vol.sb.version} filesystem`);
  if (version === 3 && b.readBigUInt64BE(152) !== BigInt(ino)) throw bad(`records inode number ${b.readBigUInt64BE(152)}`);
  const mode = b.readUInt16BE(2);
  const flags = b.readUInt16BE(90);
  const flags2 = version === 3 ? b.readBigUInt64BE(120) : 0n;
  const bigtime = (flags2 & BigInt(DIFLAG2_BIGTIME)) !== 0n;
  const nrext64 = (flags2 & BigInt(DIFLAG2_NREXT64)) !== 0n;
  const sizeBig = b.readBigUInt64BE(56);
  if (sizeBig > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`size ${sizeBig} is beyond 2^53`);
  const nblocksBig = b.readBigUInt64BE(64);
  if (nblocksBig > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`block count ${nblocksBig} is beyond 2^53`);
  let dnextents: number;
  let anextents: number;
  if (nrext64) {
    const big = b.readBigUInt64BE(24);
    dnextents = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    anextents = b.readUInt32BE(76);
  } else {
    dnextents = b.readUInt32BE(76);
    anextents = b.readUInt16BE(80);
  }
  const core = version === 3 ? 176 : 100;
  const literal = inodesize - core;
  const forkoff = b[82]! * 8;
  if (forkoff > literal) throw bad(`attribute fork offset ${forkoff} is beyond the inode`);
  const dsize = forkoff === 0 ? literal : forkoff;
  const aformat = b[83]!;
  const dformat = b[5]!;
  return {
    ino,
    mode,
    version,
    nlink: version === 1 ? b.readUInt16BE(6) : b.readUInt32BE(16),
    uid: b.readUInt32BE(8),
    gid: b.readUInt32BE(12),
    atimeNs: timestamp(b, 32, bigtime),
    mtimeNs: timestamp(b, 40, bigtime),
    ctimeNs: timestamp(b, 48, bigtime),
    crtimeNs: version === 3 ? timestamp(b, 144, bigtime) : undefined,
    size: Number(sizeBig),
    nblocks: Number(nblocksBig),
    realtime: (flags & DIFLAG_REALTIME) !== 0,
    dformat,
    dnextents,
    aformat,
    anextents,
    dfork: b.subarray(core, core + dsize),
    afork: forkoff === 0 ? undefined : b.subarray(core + forkoff, inodesize),
    rdev: dformat === FMT_DEV ? b.readUInt32BE(core) : 0,
  };
}

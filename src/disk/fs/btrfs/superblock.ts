// The btrfs superblock: the primary at 64 KiB, mirrors at 64 MiB and 256 GiB. The primary is
// used when it is valid; otherwise the valid mirror of the highest generation, as
// `btrfs rescue super-recover` would pick it.
import { nodeCrypto } from '../../../core/lazy-node.js';
import type { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import { crc32c } from '../../crc32.js';
import { INCOMPAT_EXTENT_TREE_V2, INCOMPAT_METADATA_UUID, INCOMPAT_RAID_STRIPE_TREE, num } from './format.js';

export const SUPER_OFFSETS = [0x10000, 0x4000000, 0x4000000000];
const SUPER_SIZE = 4096;
const MAGIC = Buffer.from('_BHRfS_M');
const SYS_CHUNK_ARRAY_MAX = 2048;

export interface Superblock {
  /** the filesystem's id, the same on every device of it (blkid's UUID) */
  fsid: Buffer;
  /** the fsid tree nodes carry (metadata_uuid when that feature is on) */
  metadataFsid: Buffer;
  generation: bigint;
  root: number;
  rootLevel: number;
  chunkRoot: number;
  chunkRootLevel: number;
  totalBytes: number;
  bytesUsed: number;
  /** devices the filesystem spans */
  numDevices: number;
  sectorSize: number;
  nodeSize: number;
  csumType: number;
  incompat: bigint;
  /** compat_ro flags (statfs finds block groups in the block group tree where that one is set) */
  compatRo: bigint;
  sysChunkArray: Buffer;
  devid: bigint;
  devUuid: Buffer;
  /** which copy was used (0 = primary) */
  copy: number;
}

/** The checksum of a superblock or tree node (bytes 0x20..end), or undefined when the type is not verified. */
export function checksum(csumType: number, b: Buffer): Buffer | undefined {
  const body = b.subarray(0x20);
  if (csumType === 0) {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(crc32c(body));
    return c;
  }
  if (csumType === 2) return nodeCrypto().createHash('sha256').update(body).digest();
  return undefined; // xxhash64, blake2b: not verified
}

function csumOk(csumType: number, b: Buffer): boolean {
  const want = checksum(csumType, b);
  return want === undefined || b.subarray(0, want.length).equals(want);
}

const pow2 = (v: number, lo: number, hi: number): boolean => v >= lo && v <= hi && (v & (v - 1)) === 0;

function parse(b: Buffer, copy: number, fail: (code: 'EFORMAT' | 'EUNSUPPORTED', msg: string) => JootError): Superblock | string {
  if (!b.subarray(0x40, 0x48).equals(MAGIC)) return 'no btrfs magic';
  if (b.readBigUInt64LE(0x30) !== BigInt(SUPER_OFFSETS[copy]!)) return 'bytenr does not match its place';
  const csumType = b.readUInt16LE(0xc4);
  if (csumType > 3) return `unknown checksum type ${csumType}`;
  if (!csumOk(csumType, b)) return 'checksum mismatch';
  const sectorSize = b.readUInt32LE(0x90);
  const nodeSize = b.readUInt32LE(0x94);
  if (!pow2(sectorSize, 4096, 65536)) return `sector size ${sectorSize}`;
  if (!pow2(nodeSize, sectorSize, 65536)) return `node size ${nodeSize}`;
  const sysSize = b.readUInt32LE(0xa0);
  if (sysSize > SYS_CHUNK_ARRAY_MAX) return `sys_chunk_array size ${sysSize}`;
  const rootLevel = b[0xc6]!;
  const chunkRootLevel = b[0xc7]!;
  if (rootLevel > 7 || chunkRootLevel > 7) return 'tree level beyond 7';
  const incompat = b.readBigUInt64LE(0xbc);
  if (incompat & INCOMPAT_EXTENT_TREE_V2) throw fail('EUNSUPPORTED', 'extent tree v2 is not read');
  if (incompat & INCOMPAT_RAID_STRIPE_TREE) throw fail('EUNSUPPORTED', 'the raid stripe tree is not read');
  const f = (m: string) => fail('EFORMAT', m);
  return {
    fsid: Buffer.from(b.subarray(0x20, 0x30)),
    metadataFsid: Buffer.from(incompat & INCOMPAT_METADATA_UUID ? b.subarray(0x23b, 0x24b) : b.subarray(0x20, 0x30)),
    generation: b.readBigUInt64LE(0x48),
    root: num(b.readBigUInt64LE(0x50), f, 'root tree address'),
    rootLevel,
    chunkRoot: num(b.readBigUInt64LE(0x58), f, 'chunk tree address'),
    chunkRootLevel,
    totalBytes: num(b.readBigUInt64LE(0x70), f, 'total bytes'),
    bytesUsed: num(b.readBigUInt64LE(0x78), f, 'bytes used'),
    numDevices: num(b.readBigUInt64LE(0x88), f, 'device count'),
    sectorSize,
    nodeSize,
    csumType,
    incompat,
    compatRo: b.readBigUInt64LE(0xb4),
    sysChunkArray: Buffer.from(b.subarray(0x32b, 0x32b + sysSize)),
    devid: b.readBigUInt64LE(0xc9),
    devUuid: Buffer.from(b.subarray(0xc9 + 66, 0xc9 + 82)),
    copy,
  };
}

export async function readSuperblock(
  src: ByteSource,
  fail: (code: 'EFORMAT' | 'EUNSUPPORTED', msg: string) => JootError,
): Promise<Superblock> {
  const found: Superblock[] = [];
  let primaryProblem = 'the device is too small';
  for (let i = 0; i < SUPER_OFFSETS.length; i++) {
    const at = SUPER_OFFSETS[i]!;
    if (at + SUPER_SIZE > src.size) break;
    const r = parse(await src.read(at, SUPER_SIZE), i, fail);
    if (typeof r === 'string') {
      if (i === 0) primaryProblem = r;
      continue;
    }
    if (i === 0) return r;
    found.push(r);
  }
  if (found.length === 0) throw fail('EFORMAT', `no valid superblock (primary: ${primaryProblem})`);
  return found.reduce((a, b) => (b.generation > a.generation ? b : a));
}

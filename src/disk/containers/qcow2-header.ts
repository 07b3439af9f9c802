// The qcow2 header (qemu's docs/interop/qcow2.txt), parsed and checked against the file it
// came from: everything the reader later trusts (cluster size, L1 placement, virtual size) is
// checked here once. Big-endian.
import { JootError } from '../../core/errors.js';
import { QCOW2_MAGIC } from './qcow2-format.js';

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  virtualSize: number;
  l1Size: number;
  /** the L1 entries the virtual size uses (at most l1Size): only these are read */
  l1Used: number;
  l1Offset: number;
  /** 128-bit L2 entries with 32 subclusters per cluster */
  extendedL2: boolean;
  compression: 'zlib' | 'zstd';
  /** incompatible bit 2: the guest data lives in another file */
  externalData: boolean;
  /** crypt_method (0: none, 1: AES, 2: LUKS) */
  cryptMethod: number;
  /** bits 0 and 1: the image may be inconsistent; read-only reading goes on */
  dirty: boolean;
  corrupt: boolean;
}

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;
const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

/** qemu's limits: clusters of 512 B to 2 MiB, an L1 table of at most 32 MiB */
const MIN_CLUSTER_BITS = 9;
const MAX_CLUSTER_BITS = 21;
const MAX_L1_BYTES = 32 * 1024 * 1024;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function qcow2Detect(h: Buffer): boolean {
  return h.length >= 8 && h.readUInt32BE(0) === QCOW2_MAGIC && h.readUInt32BE(4) >= 2;
}

/** Parse the header `h` (the file's first bytes) of a qcow2 file of `fileSize` bytes named `name`. */
export function parseQcow2Header(name: string, h: Buffer, fileSize: number): Qcow2Header {
  const bad = (what: string): JootError => new JootError('EFORMAT', `${name}: qcow2 ${what}`);
  if (h.length < 72) throw bad(`header is truncated (file of ${fileSize} bytes)`);
  // the kernel engine's words (qemu's): a user who forced --format=qcow2 sees the same line
  if (h.readUInt32BE(0) !== QCOW2_MAGIC) throw new JootError('EFORMAT', `${name}: not a usable disk image: image is not in qcow2 format`);
  const version = h.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new JootError('EUNSUPPORTED', `${name}: qcow2 version ${version} is not supported`);
  const clusterBits = h.readUInt32BE(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw bad(`cluster_bits ${clusterBits} is out of range (${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS})`);
  }
  const clusterSize = 2 ** clusterBits;
  const size = h.readBigUInt64BE(24);
  if (size > MAX_SAFE) {
    throw new JootError('EUNSUPPORTED', `${name}: qcow2 virtual size of ${size} bytes is beyond 2^53 bytes (refused)`);
  }
  const virtualSize = Number(size);
  const cryptMethod = h.readUInt32BE(32);
  const l1Size = h.readUInt32BE(36);
  const l1Off = h.readBigUInt64BE(40);

  let incompat = 0n;
  let compression: 'zlib' | 'zstd' = 'zlib';
  if (version === 3) {
    if (h.length < 104) throw bad('version 3 header is truncated');
    incompat = h.readBigUInt64BE(72);
    const headerLength = h.readUInt32BE(100);
    if (headerLength < 104 || headerLength > h.length || headerLength > clusterSize) {
      throw bad(`header_length ${headerLength} is out of range`);
    }
    const unknown = incompat & ~INCOMPAT_KNOWN;
    if (unknown)
      throw new JootError('EUNSUPPORTED', `${name}: qcow2 incompatible feature bits 0x${unknown.toString(16)} are not supported`);
    const type = headerLength > 104 ? h.readUInt8(104) : 0;
    if (type === 1) compression = 'zstd';
    else if (type !== 0) throw new JootError('EUNSUPPORTED', `${name}: qcow2 compression type ${type} is not supported`);
    if (type !== 0 && !(incompat & INCOMPAT_COMPRESSION)) throw bad('compression type is set but its incompatible bit is not');
  }
  const extendedL2 = (incompat & INCOMPAT_EXTL2) !== 0n;
  if (extendedL2 && clusterBits < 14) throw bad(`extended L2 entries need clusters of 16 KiB or more (cluster_bits ${clusterBits})`);

  // The L1 table must cover the virtual size, lie inside the file and be cluster-aligned.
  const l2Entries = clusterSize / (extendedL2 ? 16 : 8);
  const needed = Math.ceil(virtualSize / (clusterSize * l2Entries));
  if (l1Size * 8 > MAX_L1_BYTES) throw bad(`L1 table of ${l1Size} entries is too large`);
  if (l1Size < needed) throw bad(`L1 table of ${l1Size} entries is too small for ${virtualSize} bytes (${needed} needed)`);
  if (l1Off > MAX_SAFE) throw bad(`L1 table offset ${l1Off} is out of range`);
  const l1Offset = Number(l1Off);
  if (l1Size > 0) {
    if (l1Offset % clusterSize !== 0) throw bad(`L1 table offset ${l1Offset} is not cluster-aligned`);
    if (l1Offset === 0 || l1Offset + l1Size * 8 > fileSize) {
      throw bad(`L1 table (offset ${l1Offset}, ${l1Size} entries) lies outside the file (${fileSize} bytes)`);
    }
  }
  return {
    version,
    clusterBits,
    clusterSize,
    virtualSize,
    l1Size,
    l1Used: needed,
    l1Offset,
    extendedL2,
    compression,
    externalData: (incompat & INCOMPAT_DATA_FILE) !== 0n,
    cryptMethod,
    dirty: (incompat & INCOMPAT_DIRTY) !== 0n,
    corrupt: (incompat & INCOMPAT_CORRUPT) !== 0n,
  };
}

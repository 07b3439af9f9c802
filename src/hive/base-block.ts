// The 4096-byte base block at the start of a hive: signature, sequence numbers, where the root
// key is, how big the hive bins data is, and an XOR checksum over its first 508 bytes.
import { BASE, HBIN_ALIGN, bad, filetimeFromDate, hex } from './format.js';

export interface BaseBlock {
  primarySeq: number;
  secondarySeq: number;
  timestamp: bigint;
  major: number;
  minor: number;
  fileType: number;
  rootCell: number;
  binsSize: number;
  checksum: number;
}

/** XOR of the first 127 dwords, with Windows' adjustment so the sum is never 0 or ~0. */
export function checksum(buf: Buffer): { plain: number; windows: number } {
  let c = 0;
  for (let i = 0; i < 508; i += 4) c ^= buf.readUInt32LE(i);
  const plain = c >>> 0;
  return { plain, windows: plain === 0xffffffff ? 0xfffffffe : plain === 0 ? 1 : plain };
}

export function readBaseBlock(buf: Buffer, opts: { ignoreChecksum?: boolean } = {}): BaseBlock {
  if (buf.length < BASE) bad(`truncated: ${buf.length} bytes, the base block alone is ${BASE}`);
  if (buf.toString('latin1', 0, 4) !== 'regf') bad('not a registry hive (no "regf" signature)');
  const b: BaseBlock = {
    primarySeq: buf.readUInt32LE(4),
    secondarySeq: buf.readUInt32LE(8),
    timestamp: buf.readBigUInt64LE(12),
    major: buf.readUInt32LE(20),
    minor: buf.readUInt32LE(24),
    fileType: buf.readUInt32LE(28),
    rootCell: buf.readUInt32LE(36),
    binsSize: buf.readUInt32LE(40),
    checksum: buf.readUInt32LE(508),
  };
  if (b.major !== 1) bad(`unsupported hive version ${b.major}.${b.minor}`);
  if (b.fileType !== 0) bad(`not a primary hive file (file type ${b.fileType}: a transaction log?)`);
  const sum = checksum(buf);
  // Accept both the plain XOR (what hivex writes) and Windows' adjusted value.
  if (!opts.ignoreChecksum && b.checksum !== sum.plain && b.checksum !== sum.windows) {
    bad(`bad base block checksum ${hex(b.checksum)} (computed ${hex(sum.windows)})`);
  }
  if (b.binsSize === 0 || b.binsSize % HBIN_ALIGN !== 0) bad(`bad hive bins data size ${hex(b.binsSize)}`);
  if (BASE + b.binsSize > buf.length) bad(`truncated: the base block says ${BASE + b.binsSize} bytes, the file has ${buf.length}`);
  return b;
}

/**
 * Finish a write: both sequence numbers one past the old ones (equal = cleanly written), a new
 * timestamp, the current bins size, and the checksum last since it covers everything before it.
 */
export function writeBaseBlock(buf: Buffer, binsSize: number, rootCell: number): void {
  const seq = (Math.max(buf.readUInt32LE(4), buf.readUInt32LE(8)) + 1) >>> 0;
  buf.writeUInt32LE(seq, 4);
  buf.writeUInt32LE(seq, 8);
  buf.writeBigUInt64LE(filetimeFromDate(), 12);
  buf.writeUInt32LE(rootCell, 36);
  buf.writeUInt32LE(binsSize, 40);
  buf.writeUInt32LE(checksum(buf).windows, 508);
}

/** A fresh base block for an empty hive (version 1.5, what Windows XP and later write). */
export function newBaseBlock(rootCell: number, binsSize: number): Buffer {
  const buf = Buffer.alloc(BASE);
  buf.write('regf', 0, 'latin1');
  buf.writeUInt32LE(1, 4);
  buf.writeUInt32LE(1, 8);
  buf.writeBigUInt64LE(filetimeFromDate(), 12);
  buf.writeUInt32LE(1, 20); // major
  buf.writeUInt32LE(5, 24); // minor
  buf.writeUInt32LE(0, 28); // primary file
  buf.writeUInt32LE(1, 32); // direct memory load
  buf.writeUInt32LE(rootCell, 36);
  buf.writeUInt32LE(binsSize, 40);
  buf.writeUInt32LE(1, 44); // clustering factor
  buf.write('joot', 48, 'utf16le');
  buf.writeUInt32LE(checksum(buf).windows, 508);
  return buf;
}

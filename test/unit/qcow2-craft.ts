// Hostile edits of a good qcow2 (as qemu-img wrote it), shared by the qcow2 reader's hostile
// tests (disk-qcow2.test.ts) and the memory test of hostile images (hostile-memory.test.ts):
// each changes a copy of the file's bytes in place.
const KiB = 1024;
const MiB = 1024 * KiB;

/** The file offsets of the first L1 table and of the L2 table its first entry points at. */
export function qcow2Tables(buf: Buffer): { l1: number; l2: number } {
  const l1 = Number(buf.readBigUInt64BE(40));
  return { l1, l2: Number(buf.readBigUInt64BE(l1) & 0x00fffffffffffe00n) };
}

export const QCOW2_CRAFTED = {
  /** the L1 table's offset ten clusters past the end of the file */
  l1PastEof: (b: Buffer): void => {
    b.writeBigUInt64BE(BigInt(b.length + 64 * KiB * 10), 40);
  },
  /** the first L2 table's offset four clusters past the end of the file */
  l2PastEof: (b: Buffer): void => {
    b.writeBigUInt64BE((1n << 63n) | BigInt(b.length + 64 * KiB * 4), qcow2Tables(b).l1);
  },
  /** the first data cluster at 1 GiB, far outside the file */
  l2EntryOutside: (b: Buffer): void => {
    b.writeBigUInt64BE((1n << 63n) | BigInt(1024 * MiB), qcow2Tables(b).l2);
  },
  /** a virtual size of 1 EiB (2^60) */
  virtualSize1EiB: (b: Buffer): void => {
    b.writeBigUInt64BE(1n << 60n, 24);
  },
  /** l1_size 2^31 - 1 entries (16 GiB of L1 table) */
  l1SizeHuge: (b: Buffer): void => {
    b.writeUInt32BE(0x7fffffff, 36);
  },
};

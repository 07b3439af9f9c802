// zisofs ("pz", the Linux kernel's transparent compression for ISO 9660): the file's data is a
// header, a table of block pointers and one zlib stream per block of 2^blockShift bytes; a block
// whose pointers are equal is all zeros. Read decompressed, as the kernel shows such files.
import { nodeZlib } from '../../../core/lazy-node.js';

export class ZisofsError extends Error {}

export interface Zisofs {
  /** in 4-byte units (ZF's header size) */
  headerSize: number;
  blockShift: number;
  /** the decompressed size */
  size: number;
}

/** The kernel's accepted block sizes: a page (4 KiB) up to 128 KiB; xorriso writes 32 KiB. */
export function zisofsUsable(algorithm: string, blockShift: number): boolean {
  return algorithm === 'pz' && blockShift >= 12 && blockShift <= 17;
}

/**
 * `length` decompressed bytes from `offset` (within `z.size`), reading the compressed stream
 * through `raw(offset, length)` (bounded by the stream's own size).
 */
export async function readZisofs(
  z: Zisofs,
  raw: (offset: number, length: number) => Promise<Buffer>,
  offset: number,
  length: number,
): Promise<Buffer> {
  const bsz = 2 ** z.blockShift;
  const first = Math.floor(offset / bsz);
  const last = Math.floor((offset + length - 1) / bsz);
  const table = await raw(z.headerSize * 4 + first * 4, (last - first + 2) * 4);
  const parts: Buffer[] = [];
  for (let b = first; b <= last; b++) {
    const start = table.readUInt32LE((b - first) * 4);
    const end = table.readUInt32LE((b - first + 1) * 4);
    const want = Math.min(bsz, z.size - b * bsz);
    let block: Buffer;
    if (end < start) throw new ZisofsError(`block ${b} ends before it starts`);
    if (end === start) block = Buffer.alloc(want);
    else {
      // zlib never grows a block by more than a few bytes per 16 KiB: anything larger is corrupt
      if (end - start > bsz + (bsz >> 4) + 64) throw new ZisofsError(`block ${b} claims ${end - start} compressed bytes`);
      const packed = await raw(start, end - start);
      try {
        block = nodeZlib().inflateSync(packed, { maxOutputLength: bsz });
      } catch {
        throw new ZisofsError(`block ${b} does not decompress`);
      }
      if (block.length < want) block = Buffer.concat([block, Buffer.alloc(want - block.length)]);
      else if (block.length > want) block = block.subarray(0, want);
    }
    const from = b === first ? offset - b * bsz : 0;
    const to = b === last ? offset + length - b * bsz : want;
    parts.push(block.subarray(from, to));
  }
  return Buffer.concat(parts);
}

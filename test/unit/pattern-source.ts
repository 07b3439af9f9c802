// A ByteSource that computes its bytes: every 8-byte-aligned word holds its own offset, so any
// misplaced or shifted range shows. For tests of what serves or copies a source.
import { checkRange, type ByteSource } from '../../src/disk/source.js';

export class PatternSource implements ByteSource {
  reads = 0;
  constructor(
    readonly size: number,
    readonly name = 'pattern',
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    this.reads++;
    return patternBytes(offset, length);
  }

  async close(): Promise<void> {}
}

/** The bytes of a PatternSource at [offset, offset+length). */
export function patternBytes(offset: number, length: number): Buffer {
  const start = offset - (offset % 8);
  const words = Math.ceil((offset + length - start) / 8);
  const buf = Buffer.alloc(words * 8);
  for (let i = 0; i < words; i++) {
    const p = start + i * 8;
    buf.writeUInt32LE(p % 0x100000000, i * 8);
    buf.writeUInt32LE((Math.floor(p / 0x100000000) ^ 0xa5a5a5a5) >>> 0, i * 8 + 4);
  }
  return buf.subarray(offset - start, offset - start + length);
}

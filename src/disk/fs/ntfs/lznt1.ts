// LZNT1, the compression of NTFS compressed files: a compression unit is a sequence of chunks,
// each a 2-byte header (bits 0-11: the stored size that follows, minus one; bit 15: compressed)
// and at most 4096 bytes of output. A compressed chunk is groups of one flag byte
// and eight tokens: a literal byte, or a 16-bit back reference whose split between offset and
// length bits depends on how far into the chunk the output is. Output never exceeds `out`.
import type { Fail } from './errors.js';

const CHUNK = 4096;

/** Decompress `src` into `out` (zero-filled, the compression unit's size). */
export function lznt1Decompress(src: Buffer, out: Buffer, fail: Fail, what: string): void {
  let ip = 0;
  let chunkStart = 0;
  while (ip + 2 <= src.length && chunkStart < out.length) {
    const h = src.readUInt16LE(ip);
    if (h === 0) break;
    const size = (h & 0x0fff) + 1;
    ip += 2;
    const end = ip + size;
    if (end > src.length) throw fail('EFORMAT', `${what}: LZNT1 chunk runs past the compressed data`);
    const limit = Math.min(chunkStart + CHUNK, out.length);
    if (!(h & 0x8000)) {
      if (size > limit - chunkStart) throw fail('EFORMAT', `${what}: LZNT1 stored chunk larger than a chunk`);
      src.copy(out, chunkStart, ip, end);
    } else {
      let op = chunkStart;
      while (ip < end) {
        const flags = src[ip++]!;
        for (let bit = 0; bit < 8 && ip < end; bit++) {
          if (!(flags & (1 << bit))) {
            if (op >= limit) throw fail('EFORMAT', `${what}: LZNT1 chunk decompresses past 4096 bytes`);
            out[op++] = src[ip++]!;
            continue;
          }
          if (ip + 2 > end) throw fail('EFORMAT', `${what}: LZNT1 back reference cut short`);
          const t = src.readUInt16LE(ip);
          ip += 2;
          const pos = op - chunkStart;
          if (pos === 0) throw fail('EFORMAT', `${what}: LZNT1 back reference at the start of a chunk`);
          let lenBits = 12;
          for (let p = pos - 1; p >= 0x10; p >>= 1) lenBits--;
          const dist = (t >>> lenBits) + 1;
          const len = (t & ((1 << lenBits) - 1)) + 3;
          if (dist > pos) throw fail('EFORMAT', `${what}: LZNT1 back reference before the chunk`);
          if (op + len > limit) throw fail('EFORMAT', `${what}: LZNT1 chunk decompresses past 4096 bytes`);
          for (let i = 0; i < len; i++, op++) out[op] = out[op - dist]!;
        }
      }
    }
    ip = end;
    chunkStart += CHUNK;
  }
}

// .xz streams with LZMA2 data (xz-file-format-1.x, "The .xz File Format"), as squashfs's xz
// compressor writes one per block, and the legacy .lzma header of its lzma compressor. Decoded
// in one call into at most `max` bytes: a block that claims or produces more is an error, so a
// decompression bomb costs one block size. Only the LZMA2 filter is read (mksquashfs -Xbcj adds
// branch filters: named as unsupported). The block check is verified where it is CRC32 (what
// mksquashfs writes); the index and stream footer after the blocks are not needed and not read.
import { crc32 } from '../../crc32.js';
import { bcjX86Decode } from './bcj.js';
import { LzmaDecoder, LzmaError, lzmaProps } from './lzma.js';

export { LzmaError } from './lzma.js';

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const FILTER_LZMA2 = 0x21;
const FILTER_X86 = 0x04;
const FILTER_NAMES: Record<number, string> = {
  3: 'delta',
  4: 'x86 BCJ',
  5: 'PowerPC BCJ',
  6: 'IA-64 BCJ',
  7: 'ARM BCJ',
  8: 'ARM-Thumb BCJ',
  9: 'SPARC BCJ',
  10: 'ARM64 BCJ',
  11: 'RISC-V BCJ',
};

/** A filter chain this decoder does not implement (not corruption: the image is fine). */
export class XzUnsupported extends Error {}

class Cursor {
  constructor(
    readonly b: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}

  byte(): number {
    if (this.at >= this.end) throw new LzmaError('the xz data ends early');
    return this.b[this.at++]!;
  }

  /** A multibyte integer (7 bits a byte, at most 9 bytes). */
  varint(): number {
    let v = 0;
    for (let i = 0; i < 9; i++) {
      const c = this.byte();
      v += (c & 0x7f) * 2 ** (7 * i);
      if ((c & 0x80) === 0) {
        if (c === 0 && i > 0) throw new LzmaError('a non-minimal xz integer');
        return v;
      }
    }
    throw new LzmaError('an xz integer longer than 9 bytes');
  }
}

function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Decode one .xz stream (all its blocks) into at most `max` bytes. */
export function xzDecompress(data: Uint8Array, max: number): Buffer {
  if (data.length < 12 || !MAGIC.equals(data.subarray(0, 6))) throw new LzmaError('no xz stream header');
  if (crc32(data.subarray(6, 8)) !== le32(data, 8)) throw new LzmaError('the xz stream header fails its CRC32');
  if (data[6] !== 0 || data[7]! > 0x0f) throw new LzmaError('unknown xz stream flags');
  const check = data[7]!;
  const checkSize = CHECK_SIZES[check]!;
  const dec = new LzmaDecoder(max);
  const c = new Cursor(data, 12, data.length);
  for (;;) {
    const blockStart = c.at;
    const h = c.byte();
    if (h === 0) break; // the index follows the last block
    const hsize = (h + 1) * 4;
    if (blockStart + hsize > data.length) throw new LzmaError('an xz block header past the data');
    if (crc32(data.subarray(blockStart, blockStart + hsize - 4)) !== le32(data, blockStart + hsize - 4))
      throw new LzmaError('an xz block header fails its CRC32');
    const hc = new Cursor(data, c.at, blockStart + hsize - 4);
    const flags = hc.byte();
    if (flags & 0x3c) throw new LzmaError('unknown xz block flags');
    const packed = flags & 0x40 ? hc.varint() : -1;
    const unpacked = flags & 0x80 ? hc.varint() : -1;
    if (unpacked > max) throw new LzmaError('decompresses past its size');
    const filters = (flags & 3) + 1;
    let x86Start = -1;
    for (let i = 0; i < filters; i++) {
      const id = hc.varint();
      const propSize = hc.varint();
      if (propSize > hc.end - hc.at) throw new LzmaError('xz filter properties past the block header');
      if (id === FILTER_LZMA2 && i === filters - 1) {
        if (propSize !== 1) throw new LzmaError('bad LZMA2 filter properties');
        if (hc.byte() > 40) throw new LzmaError('bad LZMA2 dictionary size');
      } else if (id === FILTER_X86 && i === 0 && filters === 2) {
        if (propSize !== 0 && propSize !== 4) throw new LzmaError('bad x86 filter properties');
        x86Start = 0;
        for (let k = 0; k < propSize; k++) x86Start += hc.byte() * 2 ** (8 * k);
      } else {
        throw new XzUnsupported(`the xz filter ${FILTER_NAMES[id] ?? `0x${id.toString(16)}`} is not read`);
      }
    }
    while (hc.at < hc.end) if (hc.byte() !== 0) throw new LzmaError('xz block header padding is not zero');
    const dataStart = blockStart + hsize;
    const outStart = dec.pos;
    const end = lzma2(dec, data, dataStart, packed >= 0 ? Math.min(data.length, dataStart + packed) : data.length);
    if (packed >= 0 && end - dataStart !== packed) throw new LzmaError('an xz block is not its stated size');
    if (unpacked >= 0 && dec.pos - outStart !== unpacked) throw new LzmaError('an xz block does not decompress to its stated size');
    if (x86Start >= 0) bcjX86Decode(dec.out.subarray(outStart, dec.pos), x86Start);
    let at = end;
    while ((at - blockStart) % 4 !== 0) if (data[at++] !== 0) throw new LzmaError('xz block padding is not zero');
    if (at + checkSize > data.length) throw new LzmaError('the xz block check lies past the data');
    if (check === 1 && crc32(dec.out.subarray(outStart, dec.pos)) !== le32(data, at))
      throw new LzmaError('an xz block fails its CRC32 check');
    c.at = at + checkSize;
  }
  return dec.out.subarray(0, dec.pos);
}

/** Decode LZMA2 chunks from data[at, end) up to the end-of-data chunk; returns where it ended. */
function lzma2(dec: LzmaDecoder, data: Uint8Array, at: number, end: number): number {
  let needDictReset = true;
  let needProps = true;
  const c = new Cursor(data, at, end);
  for (;;) {
    const control = c.byte();
    if (control === 0) return c.at;
    if (control === 1 || control >= 0xe0) {
      dec.dictStart = dec.pos;
      needDictReset = false;
      needProps = true;
    } else if (needDictReset) throw new LzmaError('LZMA2 data does not start with a dictionary reset');
    if (control < 0x80) {
      if (control > 2) throw new LzmaError(`bad LZMA2 control byte ${control}`);
      const size = ((c.byte() << 8) | c.byte()) + 1;
      if (c.at + size > end) throw new LzmaError('an LZMA2 chunk runs past the data');
      dec.copy(data.subarray(c.at, c.at + size));
      c.at += size;
      continue;
    }
    const unpacked = (control & 0x1f) * 65536 + ((c.byte() << 8) | c.byte()) + 1;
    const packed = ((c.byte() << 8) | c.byte()) + 1;
    if (control >= 0xc0) {
      const p = lzmaProps(c.byte());
      if (p.lc + p.lp > 4) throw new LzmaError('LZMA2 properties with lc + lp over 4');
      dec.setProps(p);
      needProps = false;
    } else if (needProps) throw new LzmaError('an LZMA2 chunk without properties');
    else if (control >= 0xa0) dec.resetState();
    if (c.at + packed > end) throw new LzmaError('an LZMA2 chunk runs past the data');
    dec.startRange(data, c.at, c.at + packed);
    dec.decode(dec.pos + unpacked, false);
    if (dec.inputPos !== c.at + packed || !dec.rangeFinished) throw new LzmaError('an LZMA2 chunk does not end where it says');
    c.at += packed;
  }
}

/**
 * The legacy .lzma format (13-byte header: properties, dictionary size, u64 size) that
 * squashfs's lzma compressor writes: the size is the block's, or all ones with an end marker.
 */
export function lzmaAloneDecompress(data: Uint8Array, max: number): Buffer {
  if (data.length < 13) throw new LzmaError('an lzma block shorter than its header');
  const dec = new LzmaDecoder(max);
  dec.setProps(lzmaProps(data[0]!));
  const lo = le32(data, 5);
  const hi = le32(data, 9);
  let limit = max;
  const known = !(lo === 0xffffffff && hi === 0xffffffff);
  if (known) {
    if (hi !== 0 || lo > max) throw new LzmaError('decompresses past its size');
    limit = lo;
  }
  dec.startRange(data, 13, data.length);
  if (!dec.decode(limit, true) && !known) dec.endMarker();
  return dec.out.subarray(0, dec.pos);
}

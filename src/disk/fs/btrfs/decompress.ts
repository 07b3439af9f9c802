// Compressed extents: zlib (node:zlib), zstd (fzstd, loaded with the first zstd extent) and
// btrfs's LZO framing (lzo.ts). Output is capped at the extent's ram_bytes; a stream that ends
// early leaves zeros, as the kernel does; a stream that does not decode is undefined.
import { nodeZlib } from '../../../core/lazy-node.js';
import { loadZstd, unzstdInto } from '../../zstd.js';
import { btrfsLzoDecompress } from './lzo.js';

export const COMPRESS_ZLIB = 1;
export const COMPRESS_LZO = 2;
export const COMPRESS_ZSTD = 3;

export async function decompress(kind: number, data: Buffer, ramBytes: number, sectorSize: number): Promise<Buffer | undefined> {
  const out = Buffer.alloc(ramBytes);
  try {
    if (kind === COMPRESS_ZLIB) {
      const got = nodeZlib().inflateSync(data, { maxOutputLength: Math.max(ramBytes, 1), finishFlush: nodeZlib().constants.Z_SYNC_FLUSH });
      got.copy(out, 0, 0, Math.min(got.length, ramBytes));
      return out;
    }
    if (kind === COMPRESS_LZO) return btrfsLzoDecompress(data, ramBytes, sectorSize);
    if (kind === COMPRESS_ZSTD) {
      const Decompress = await loadZstd();
      const frame = zstdFrameLength(data);
      if (frame === undefined) return undefined;
      unzstdInto(Decompress, data.subarray(0, frame), out);
      return out;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The length of the zstd frame at the start of `b` (btrfs writes one, then pads the extent to a
 * sector with zeros, which fzstd would take for a second frame), from the frame format: header,
 * then blocks of a 3-byte header each until the last, then the optional checksum.
 */
function zstdFrameLength(b: Buffer): number | undefined {
  if (b.length < 6 || b.readUInt32LE(0) !== 0xfd2fb528) return undefined;
  const flg = b[4]!;
  const singleSegment = (flg >> 5) & 1;
  const fcsFlag = flg >> 6;
  const dictBytes = [0, 1, 2, 4][flg & 3]!;
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  let at = 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
  for (;;) {
    if (at + 3 > b.length) return undefined;
    const h = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) return undefined;
    at += 3 + (type === 1 ? 1 : size);
    if (h & 1) break;
  }
  if (flg & 4) at += 4;
  return at <= b.length ? at : undefined;
}

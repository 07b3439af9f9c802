// The squashfs compressors decoded in JavaScript here (xz, lzma, lzo, lz4), one block per call
// into at most `max` bytes (the block size). gzip and zstd stay in reader.ts (zlib, fzstd).
import { Lz4Error, lz4Decompress } from './lz4.js';
import { LzoError, lzoDecompress } from './lzo.js';
import { LzmaError, lzmaAloneDecompress, xzDecompress } from './xz.js';

export { XzUnsupported } from './xz.js';

/** Compressor ids (superblock) this module decodes. */
export const JS_CODECS = new Set([2, 3, 4, 5]);

/** A block that does not decode: corruption, named. */
export class CodecError extends Error {}

export function decodeBlock(compression: number, data: Uint8Array, max: number): Buffer {
  try {
    switch (compression) {
      case 2:
        return lzmaAloneDecompress(data, max);
      case 3:
        return lzoDecompress(data, max);
      case 4:
        return xzDecompress(data, max);
      case 5:
        return lz4Decompress(data, max);
      default:
        throw new CodecError(`compressor ${compression} is not decoded here`);
    }
  } catch (e) {
    if (e instanceof LzmaError || e instanceof LzoError || e instanceof Lz4Error)
      throw new CodecError(`a compressed block does not decompress: ${e.message}`);
    throw e;
  }
}

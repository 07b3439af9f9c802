// squashfs's lzo blocks: one LZO1X stream each (../lzo1x.ts), decoded into at most the block size.
import { lzo1xDecompress } from '../lzo1x.js';

export class LzoError extends Error {}

export function lzoDecompress(src: Uint8Array, max: number): Buffer {
  const out = lzo1xDecompress(src, max);
  if (!out) throw new LzoError('a malformed lzo stream, or one that decodes past its size');
  return out;
}

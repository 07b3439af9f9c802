// zstd decoding for the image and filesystem readers (qcow2 clusters, btrfs extents): fzstd,
// loaded with the first zstd data (most images have none: no cost at startup), decoding into a
// buffer of the size the caller expects and stopping there — a stream that claims more is never
// decoded past it.
import type { Decompress as ZstdDecompress } from 'fzstd';

/** Thrown from the output callback to stop once the buffer is full. */
const ENOUGH = Symbol('enough');

let zstd: typeof ZstdDecompress | undefined;

/** fzstd's streaming decoder, loaded on first use. */
export async function loadZstd(): Promise<typeof ZstdDecompress> {
  // (bundled, a CommonJS build's exports may sit under `default`)
  type Exports = { Decompress?: typeof ZstdDecompress; default?: { Decompress: typeof ZstdDecompress } };
  const m = (await import('fzstd')) as unknown as Exports;
  zstd ??= m.Decompress ?? m.default!.Decompress;
  return zstd;
}

/** Decode the zstd `data` into `out`, at most its length; the bytes written. A stream that does not decode throws. */
export function unzstdInto(Decompress: typeof ZstdDecompress, data: Uint8Array, out: Buffer): number {
  let got = 0;
  const d = new Decompress((chunk) => {
    const n = Math.min(chunk.length, out.length - got);
    out.set(chunk.subarray(0, n), got);
    got += n;
    if (got >= out.length) throw ENOUGH;
  });
  try {
    d.push(data, true);
  } catch (e) {
    if (e !== ENOUGH) throw e;
  }
  return got;
}

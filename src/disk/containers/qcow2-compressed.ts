// Compressed qcow2 clusters: zlib (raw deflate, qemu writes with window bits -12) or zstd (a
// zstd frame), each inflating to exactly one cluster. The stored size is rounded up to 512-byte
// sectors, so the bytes after the stream belong to someone else and are ignored, as qemu does.
import type { Decompress as ZstdDecompress } from 'fzstd';
import { JootError } from '../../core/errors.js';

/** Thrown from the zstd output callback to stop once a cluster is complete. */
const ENOUGH = Symbol('enough');

/** fzstd, loaded with the first zstd cluster (most images have none: no cost at startup). */
let zstd: typeof ZstdDecompress | undefined;
/** node:zlib, likewise loaded with the first zlib cluster. */
let zlib: typeof import('node:zlib') | undefined;

/** Inflate one compressed cluster of `clusterSize` bytes; anything else is an EFORMAT naming `where`. */
export async function decompressCluster(kind: 'zlib' | 'zstd', data: Buffer, clusterSize: number, where: string): Promise<Buffer> {
  if (kind === 'zstd') {
    // (bundled, a CommonJS build's exports may sit under `default`)
    type Exports = { Decompress?: typeof ZstdDecompress; default?: { Decompress: typeof ZstdDecompress } };
    const m = (await import('fzstd')) as unknown as Exports;
    zstd ??= m.Decompress ?? m.default!.Decompress;
  }
  if (kind === 'zlib') zlib ??= await import('node:zlib');
  let out: Buffer | undefined;
  try {
    out = kind === 'zlib' ? inflate(zlib!, data, clusterSize) : unzstd(zstd!, data, clusterSize);
  } catch {
    out = undefined;
  }
  if (!out || out.length < clusterSize) throw new JootError('EFORMAT', `${where}: ${kind} data does not decompress to a cluster`);
  return out;
}

function inflate({ inflateRawSync, constants }: typeof import('node:zlib'), data: Buffer, clusterSize: number): Buffer {
  // a stream that would give more than a cluster throws (qemu would cut it; no good image has one)
  return inflateRawSync(data, { maxOutputLength: clusterSize, finishFlush: constants.Z_SYNC_FLUSH });
}

function unzstd(Decompress: typeof ZstdDecompress, data: Buffer, clusterSize: number): Buffer {
  const out = Buffer.alloc(clusterSize);
  let got = 0;
  const d = new Decompress((chunk) => {
    const n = Math.min(chunk.length, clusterSize - got);
    out.set(chunk.subarray(0, n), got);
    got += n;
    if (got >= clusterSize) throw ENOUGH;
  });
  try {
    d.push(data, true);
  } catch (e) {
    if (e !== ENOUGH && got < clusterSize) throw e;
  }
  return out.subarray(0, got);
}

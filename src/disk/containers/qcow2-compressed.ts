// Compressed qcow2 clusters: zlib (raw deflate, qemu writes with window bits -12) or zstd (a
// zstd frame), each inflating to exactly one cluster. The stored size is rounded up to 512-byte
// sectors, so the bytes after the stream belong to someone else and are ignored, as qemu does.
import type { Decompress as ZstdDecompress } from 'fzstd';
import { JootError } from '../../core/errors.js';
import { loadZstd, unzstdInto } from '../zstd.js';

/** node:zlib, loaded with the first zlib cluster (as fzstd with the first zstd one). */
let zlib: typeof import('node:zlib') | undefined;

/** Inflate one compressed cluster of `clusterSize` bytes; anything else is an EFORMAT naming `where`. */
export async function decompressCluster(kind: 'zlib' | 'zstd', data: Buffer, clusterSize: number, where: string): Promise<Buffer> {
  const zstd = kind === 'zstd' ? await loadZstd() : undefined;
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
  return out.subarray(0, unzstdInto(Decompress, data, out));
}

// Reading file and directory bytes through a cluster list, shared by the FAT and exFAT readers
// (both number data clusters from 2 at the start of the data area, exFAT's "cluster heap").
import type { Volume } from './volume.js';

/** Where the clusters lie: the data area's byte offset and the cluster size. */
export interface ClusterArea {
  readonly dataOffset: number;
  readonly clusterSize: number;
}

/**
 * Bytes [offset, offset + length) of the clusters `chain` lists (the caller keeps the range
 * within them), reading each run of adjacent clusters with one read.
 */
export async function readClusterChain(
  vol: Volume,
  area: ClusterArea,
  chain: Uint32Array,
  offset: number,
  length: number,
): Promise<Buffer> {
  const cs = area.clusterSize;
  const parts: Buffer[] = [];
  let pos = offset;
  const end = offset + length;
  while (pos < end) {
    const ci = Math.floor(pos / cs);
    let run = 1;
    while (ci + run < chain.length && chain[ci + run] === chain[ci]! + run && (ci + run) * cs < end) run++;
    const within = pos - ci * cs;
    const len = Math.min(end - pos, run * cs - within);
    parts.push(await vol.read(area.dataOffset + (chain[ci]! - 2) * cs + within, len));
    pos += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

// btrfs's LZO framing around LZO1X streams (../lzo1x.ts).
import { lzo1xDecompress } from '../lzo1x.js';

/**
 * btrfs's LZO extent: a 4-byte total length, then segments (a 4-byte length and an LZO1X stream,
 * each decompressing to one sector or the rest); a segment header never straddles a sector
 * boundary (the sector's tail is padding then). undefined when the framing or a segment is bad.
 */
export function btrfsLzoDecompress(src: Buffer, ramBytes: number, sectorSize: number): Buffer | undefined {
  if (src.length < 4) return undefined;
  const total = src.readUInt32LE(0);
  if (total > src.length || total < 4) return undefined;
  const out = Buffer.alloc(ramBytes);
  let ip = 4;
  let op = 0;
  while (op < ramBytes && ip < total) {
    const left = sectorSize - (ip % sectorSize);
    if (left < 4) ip += left;
    if (ip + 4 > total) return undefined;
    const segLen = src.readUInt32LE(ip);
    ip += 4;
    if (segLen === 0 || ip + segLen > total) return undefined;
    const want = Math.min(sectorSize, ramBytes - op);
    const seg = lzo1xDecompress(src.subarray(ip, ip + segLen), want);
    if (!seg) return undefined;
    out.set(seg, op);
    op += want; // a short segment is zeros to the sector's end, as the kernel leaves it
    ip += segLen;
  }
  return out;
}

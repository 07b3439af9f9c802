// Linux md RAID members: superblock 0.90 (64 KiB-aligned, 64 KiB before the end), 1.0 (8 KiB
// before the 4 KiB-aligned end), 1.1 (at 0) and 1.2 (at 4 KiB). UUID is the array's, UUID_SUB
// this member's, LABEL the array name (1.x only).
import type { Prober } from './prober.js';
import type { ProbeReader } from './reader.js';
import { uuidString, type ProbeValues, isZero } from './values.js';

const RESERVED = 0x10000;
const MAGIC = 0xa92b4efc;

/** Whether a partition table on this device covers a byte range (set by the caller of probe). */
export type CoveredByPt = (start: number, length: number) => Promise<boolean>;

async function v090(r: ProbeReader, v: ProbeValues, off: number, covered: CoveredByPt): Promise<boolean> {
  if (r.size < RESERVED) return false;
  const sb = await r.get(off, 64);
  if (!sb) return false;
  let le: boolean;
  if (sb.readUInt32LE(0) === MAGIC) le = true;
  else if (sb.readUInt32BE(0) === MAGIC) le = false;
  else return false;
  const u32 = (o: number): number => (le ? sb.readUInt32LE(o) : sb.readUInt32BE(o));
  const ma = u32(4);
  const mi = u32(8);
  const pa = u32(12);
  const size = u32(32) * 1024;
  if (r.size < size + RESERVED) return false;
  if (off < size) return false;
  if (await covered(off - size, size + RESERVED)) return false;
  // the set UUID words, each as the CPU-order integer byte-swapped (blkid's swab32 on LE)
  const uuid = Buffer.alloc(16);
  const words = mi >= 90 ? [20, 52, 56, 60] : [20];
  words.forEach((o, i) => {
    uuid.writeUInt32BE(u32(o), i * 4);
  });
  v.set('VERSION', `${ma}.${mi}.${pa}`);
  if (!isZero(uuid)) v.set('UUID', uuidString(uuid));
  return true;
}

async function v1(r: ProbeReader, v: ProbeValues, off: number): Promise<boolean> {
  const sb = await r.get(off, 256);
  if (!sb) return false;
  if (sb.readUInt32LE(0) !== MAGIC || sb.readUInt32LE(4) !== 1) return false;
  if (sb.readBigUInt64LE(144) !== BigInt(off) >> 9n) return false;
  v.uuid(sb.subarray(16, 32));
  v.uuid(sb.subarray(168, 184), 'UUID_SUB');
  v.label(sb.subarray(32, 64));
  return true;
}

export function linuxRaid(covered: CoveredByPt): Prober {
  return {
    name: 'linux_raid_member',
    usage: 'raid',
    async probe(r, v) {
      let ver: string | undefined;
      if (r.size > RESERVED) {
        const off0 = Math.floor(r.size / RESERVED) * RESERVED - RESERVED;
        if (await v090(r, v, off0, covered)) return true;
        const off1 = Math.floor(r.size / 0x1000) * 0x1000 - 0x2000;
        if (off1 >= 0 && (await v1(r, v, off1))) ver = '1.0';
      }
      if (!ver) {
        if (await v1(r, v, 0)) ver = '1.1';
        else if (await v1(r, v, 0x1000)) ver = '1.2';
      }
      if (!ver) return false;
      v.set('VERSION', ver);
      return true;
    },
  };
}

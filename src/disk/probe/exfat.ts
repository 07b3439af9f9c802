// exFAT: the label is an entry of the root directory (followed along the FAT), the serial
// prints as XXXX-XXXX.
import { fatSerial } from './vfat.js';
import { magic, type Prober } from './prober.js';
import type { ProbeReader } from './reader.js';

const U64 = (1n << 64n) - 1n;
/** A root directory longer than this is not searched for the label (blkid allows 256 MiB). */
const MAX_ENTRIES = 65536;

/** 1u << n the way x86 computes it (the shift is taken mod 32). */
const shl1 = (n: number): number => 2 ** (n & 31);

async function findLabel(r: ProbeReader, sb: Buffer): Promise<Buffer | undefined> {
  const bpsShift = sb[108]!;
  const spcShift = sb[109]!;
  const heap = BigInt(sb.readUInt32LE(88));
  const fatOffset = BigInt(sb.readUInt32LE(80));
  const clusterSize = (shl1(bpsShift) * 2 ** (spcShift & 31)) % 2 ** 32;
  const toOffset = (cluster: number): number =>
    Number((((heap + ((BigInt((cluster - 2) >>> 0) << BigInt(spcShift)) & U64)) & U64) << BigInt(bpsShift)) & U64);
  let cluster = sb.readUInt32LE(96);
  let offset = toOffset(cluster);
  for (let i = 0; i < MAX_ENTRIES; i++) {
    const e = await r.get(offset, 32);
    if (!e || e[0] === 0) return undefined;
    if (e[0] === 0x83) return e;
    offset += 32;
    if (clusterSize && offset % clusterSize === 0) {
      const fatEntry = Number((((fatOffset << BigInt(bpsShift)) & U64) + BigInt(cluster) * 4n) & U64);
      const n = await r.get(fatEntry, 4);
      cluster = n ? n.readUInt32LE(0) : 0;
      if (cluster < 2 || cluster > 0xffffff6) return undefined;
      offset = toOffset(cluster);
    }
  }
  return undefined;
}

export const exfat: Prober = {
  name: 'exfat',
  usage: 'filesystem',
  magics: [magic('EXFAT   ', 3)],
  async probe(r, v) {
    const sb = await r.get(0, 512);
    if (!sb) return false;
    const label = await findLabel(r, sb);
    if (label) v.utf16Label(label.subarray(2, 2 + Math.min(label[1]! * 2, 22)), false);
    const serial = sb.subarray(100, 104);
    v.uuidText(serial, fatSerial(serial));
    v.set('VERSION', `${sb[105]}.${sb[104]}`);
    v.set('BLOCK_SIZE', String(shl1(sb[108]!)));
    return true;
  },
};

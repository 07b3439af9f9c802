// FAT12/16/32 with blkid's rules: the volume-label entry of the root directory wins over the
// boot sector's label, "NO NAME" is no label, the serial prints as XXXX-XXXX.
import { bitlockerHeaders } from './bitlocker.js';
import { magic, type Magic, type Prober, TINY_SIZE } from './prober.js';
import type { ProbeReader } from './reader.js';

const FAT12_MAX = 0xff4;
const FAT16_MAX = 0xfff4;
const FAT32_MAX = 0x0ffffff6;
const NO_NAME = Buffer.from('NO NAME    ', 'latin1');

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

export interface FatGeometry {
  clusterCount: number;
  fatSize: number;
}

/** blkid's fat_valid_superblock (also used by the MBR prober to tell a FAT boot sector). */
export function fatValid(mag: Magic, bs: Buffer): FatGeometry | undefined {
  if (mag.magic.length <= 2) {
    if (bs[0x1fe] !== 0x55 || bs[0x1ff] !== 0xaa) return undefined;
    const m = bs.subarray(0x36, 0x3e).toString('latin1');
    if (m === 'JFS     ' || m === 'HPFS    ') return undefined;
  }
  const fats = bs[0x10]!;
  const reserved = bs.readUInt16LE(0x0e);
  const media = bs[0x15]!;
  const clusterSize = bs[0x0d]!;
  if (!fats || !reserved) return undefined;
  if (!(media >= 0xf8 || media === 0xf0)) return undefined;
  if (!isPow2(clusterSize)) return undefined;
  const sectorSize = bs.readUInt16LE(0x0b);
  if (!isPow2(sectorSize) || sectorSize < 512 || sectorSize > 4096) return undefined;
  const dirEntries = bs.readUInt16LE(0x11);
  let sectCount = bs.readUInt16LE(0x13);
  if (sectCount === 0) sectCount = bs.readUInt32LE(0x20);
  let fatLength = bs.readUInt16LE(0x16);
  if (fatLength === 0) fatLength = bs.readUInt32LE(0x24);
  // uint32 arithmetic, as in C
  const fatSize = (fatLength * fats) % 2 ** 32;
  const dirSize = Math.floor((dirEntries * 32 + (sectorSize - 1)) / sectorSize);
  const used = (reserved + fatSize + dirSize) % 2 ** 32;
  const clusterCount = Math.floor(((((sectCount - used) % 2 ** 32) + 2 ** 32) % 2 ** 32) / clusterSize);
  const maxCount = !bs.readUInt16LE(0x16) && bs.readUInt32LE(0x24) ? FAT32_MAX : clusterCount > FAT12_MAX ? FAT16_MAX : FAT12_MAX;
  if (clusterCount > maxCount) return undefined;
  return { clusterCount, fatSize };
}

/** The volume-label entry of a root directory (search_fat_label). */
async function searchLabel(r: ProbeReader, offset: number, entries: number): Promise<Buffer | undefined> {
  let dir: Buffer | undefined;
  if (r.size > TINY_SIZE) {
    dir = await r.get(offset, entries * 32);
    if (!dir) return undefined;
  }
  for (let i = 0; i < entries; i++) {
    const ent = dir ? dir.subarray(i * 32, i * 32 + 32) : await r.get(offset + i * 32, 32);
    if (!ent || ent[0] === 0) break;
    const attr = ent[11]!;
    if (ent[0] === 0xe5 || ent.readUInt16LE(20) !== 0 || ent.readUInt16LE(26) !== 0 || (attr & 0x3f) === 0x0f) continue;
    if ((attr & (0x08 | 0x10)) === 0x08) return Buffer.from(ent.subarray(0, 11));
  }
  return undefined;
}

export const VFAT_MAGICS: Magic[] = [
  magic('MSWIN', 0x52),
  magic('FAT32   ', 0x52),
  magic('MSDOS', 0x36),
  magic('FAT16   ', 0x36),
  magic('FAT12   ', 0x36),
  magic('FAT     ', 0x36),
  magic('\xeb', 0),
  magic('\xe9', 0),
  magic('\x55\xaa', 0x1fe),
];

export const vfat: Prober = {
  name: 'vfat',
  usage: 'filesystem',
  magics: VFAT_MAGICS,
  async probe(r, v, mag) {
    const bs = await r.get(0, 512);
    if (!bs || !mag) return false;
    const g = fatValid(mag, bs);
    if (!g) return false;
    // a BitLocker To Go volume looks like FAT; blkid gives it to the BitLocker prober
    if (await bitlockerHeaders(r)) return false;
    const sectorSize = bs.readUInt16LE(0x0b);
    const reserved = bs.readUInt16LE(0x0e);
    let label: Buffer | undefined;
    let bootLabel: Buffer | undefined;
    let serial: Buffer | undefined;
    let version: string | undefined;
    if (bs.readUInt16LE(0x16)) {
      const rootStart = ((reserved + g.fatSize) * sectorSize) % 2 ** 32;
      label = await searchLabel(r, rootStart, bs.readUInt16LE(0x11));
      bootLabel = bs.subarray(0x2b, 0x36);
      serial = bs.subarray(0x27, 0x2b);
      v.set('SEC_TYPE', 'msdos');
      if (g.clusterCount < FAT12_MAX) version = 'FAT12';
      else if (g.clusterCount < FAT16_MAX) version = 'FAT16';
    } else if (bs.readUInt32LE(0x24)) {
      // the C code's 32-bit arithmetic, wraps included, so hostile values land where blkid's do
      const u32 = (n: number): number => ((n % 2 ** 32) + 2 ** 32) % 2 ** 32;
      const clusterSize = bs[0x0d]!;
      const bufSize = clusterSize * sectorSize;
      const startDataSect = u32(reserved + g.fatSize);
      const entries = Math.floor(u32(bs.readUInt32LE(0x24) * sectorSize) / 4);
      let next = bs.readUInt32LE(0x2c);
      let maxloop = 100;
      while (next && next < entries && --maxloop) {
        const nextOff = u32(startDataSect + u32((next - 2) * clusterSize)) * sectorSize;
        label = await searchLabel(r, nextOff, bufSize / 32);
        if (label) break;
        const fatEntry = await r.get(reserved * sectorSize + next * 4, bufSize);
        if (!fatEntry) break;
        next = fatEntry.readUInt32LE(0) & 0x0fffffff;
      }
      version = 'FAT32';
      bootLabel = bs.subarray(0x47, 0x52);
      serial = bs.subarray(0x43, 0x47);
      const fsinfoSect = bs.readUInt16LE(0x30);
      if (fsinfoSect) {
        const fsinfo = await r.get(fsinfoSect * sectorSize, 512);
        if (!fsinfo) return false;
        const s1 = fsinfo.readUInt32BE(0);
        const s2 = fsinfo.readUInt32BE(484);
        if (s1 !== 0x52526141 && s1 !== 0x52526441 && s1 !== 0) return false;
        if (s2 !== 0x72724161 && s2 !== 0) return false;
      }
    }
    if (bootLabel && !bootLabel.equals(NO_NAME)) v.idLabel('LABEL_FATBOOT', bootLabel);
    if (label) v.label(label);
    if (serial) v.uuidText(serial, fatSerial(serial));
    if (version) v.set('VERSION', version);
    v.set('BLOCK_SIZE', String(sectorSize));
    return true;
  },
};

export function fatSerial(s: Buffer): string {
  const h = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
  return `${h(s[3]!)}${h(s[2]!)}-${h(s[1]!)}${h(s[0]!)}`;
}

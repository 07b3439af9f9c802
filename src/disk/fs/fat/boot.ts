// The FAT boot sector (BIOS parameter block): geometry, the FAT width and where the FATs, the
// fixed root directory (FAT12/16) and the data area lie. The FAT width follows the Linux driver:
// a zero 16-bit FAT size means FAT32, otherwise more than 4084 clusters means FAT16.
import type { Volume } from './volume.js';

export interface FatGeometry {
  bits: 12 | 16 | 32;
  bytesPerSector: number;
  clusterSize: number;
  /** byte offset of the first FAT */
  fatOffset: number;
  /** bytes of one FAT */
  fatBytes: number;
  /** FAT12/16: byte offset and size of the fixed root directory */
  rootOffset: number;
  rootBytes: number;
  /** FAT32: first cluster of the root directory */
  rootCluster: number;
  /** byte offset of cluster 2 */
  dataOffset: number;
  /** data clusters (numbered 2 .. clusterCount + 1) */
  clusterCount: number;
  /** FAT32 FSInfo free-cluster count, when it says it knows */
  fsinfoFree?: number;
  label: string;
}

/** Largest cluster count of a FAT12 volume (Linux's MAX_FAT12). */
const MAX_FAT12 = 0xff4;

export async function readBoot(vol: Volume): Promise<FatGeometry> {
  if (vol.source.size < 512) throw vol.corrupt('the device is too small for a boot sector');
  const b = await vol.read(0, 512);
  const bps = b.readUInt16LE(11);
  const spc = b[13]!;
  const reserved = b.readUInt16LE(14);
  const fats = b[16]!;
  const rootEntries = b.readUInt16LE(17);
  const total = b.readUInt16LE(19) || b.readUInt32LE(32);
  const fat16Size = b.readUInt16LE(22);
  const fatSize = fat16Size || b.readUInt32LE(36);
  if (![512, 1024, 2048, 4096].includes(bps)) throw vol.corrupt(`bad bytes per sector ${bps}`);
  if (spc === 0 || (spc & (spc - 1)) !== 0) throw vol.corrupt(`bad sectors per cluster ${spc}`);
  if (reserved === 0) throw vol.corrupt('no reserved sectors');
  if (fats === 0 || fats > 4) throw vol.corrupt(`bad number of FATs ${fats}`);
  if (fatSize === 0) throw vol.corrupt('the FAT size is 0');
  const bits32 = fat16Size === 0;
  const rootBytes = bits32 ? 0 : rootEntries * 32;
  const rootSectors = Math.ceil(rootBytes / bps);
  const dataSector = reserved + fats * fatSize + rootSectors;
  if (total <= dataSector) throw vol.corrupt(`the data area starts past the end of the filesystem (sector ${dataSector} of ${total})`);
  const clusterCount = Math.floor((total - dataSector) / spc);
  const bits: 12 | 16 | 32 = bits32 ? 32 : clusterCount > MAX_FAT12 ? 16 : 12;
  if (bits32 && rootEntries !== 0) throw vol.corrupt('a FAT32 volume with a fixed root directory');
  if (!bits32 && rootEntries === 0) throw vol.corrupt('no root directory entries');
  const fatBytes = fatSize * bps;
  if (Math.floor((fatBytes * 8) / bits) < clusterCount + 2)
    throw vol.corrupt(`the FAT (${fatBytes} bytes) is too small for ${clusterCount} clusters`);
  if (bits === 32 && clusterCount > 0x0ffffff5) throw vol.corrupt(`too many clusters (${clusterCount})`);
  const geo: FatGeometry = {
    bits,
    bytesPerSector: bps,
    clusterSize: bps * spc,
    fatOffset: reserved * bps,
    fatBytes,
    rootOffset: (reserved + fats * fatSize) * bps,
    rootBytes,
    rootCluster: bits32 ? b.readUInt32LE(44) : 0,
    dataOffset: dataSector * bps,
    clusterCount,
    label: '',
  };
  const labelAt = bits32 ? 71 : 43;
  if (b[labelAt - 5] === 0x29) geo.label = b.toString('latin1', labelAt, labelAt + 11).trimEnd();
  if (bits32) {
    if (geo.rootCluster < 2 || geo.rootCluster > clusterCount + 1) throw vol.corrupt(`bad root directory cluster ${geo.rootCluster}`);
    const infoSector = b.readUInt16LE(48);
    if (infoSector > 0 && infoSector < reserved) {
      const fi = await vol.read(infoSector * bps, 512);
      const free = fi.readUInt32LE(488);
      if (fi.readUInt32LE(0) === 0x41615252 && fi.readUInt32LE(484) === 0x61417272 && free <= clusterCount) geo.fsinfoFree = free;
    }
  }
  // the volume may be smaller than the boot sector claims (a truncated image): reads past the
  // end are errors where they happen, so a good prefix still reads
  return geo;
}

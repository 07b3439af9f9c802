// The exFAT boot sector: sector and cluster size, where the FAT and the cluster heap lie, how
// many clusters there are and the root directory's first cluster.
import type { Volume } from '../fat/volume.js';

export interface ExfatGeometry {
  bytesPerSector: number;
  clusterSize: number;
  fatOffset: number;
  fatBytes: number;
  heapOffset: number;
  clusterCount: number;
  rootCluster: number;
  serial: number;
}

export async function readExfatBoot(vol: Volume): Promise<ExfatGeometry> {
  if (vol.source.size < 512) throw vol.corrupt('the device is too small for a boot sector');
  const b = await vol.read(0, 512);
  if (b.toString('latin1', 3, 11) !== 'EXFAT   ') throw vol.corrupt('no exFAT signature in the boot sector');
  if (b.subarray(11, 64).some((x) => x !== 0)) throw vol.corrupt('the BIOS parameter block area is not zero');
  const bpsShift = b[108]!;
  const spcShift = b[109]!;
  if (bpsShift < 9 || bpsShift > 12) throw vol.corrupt(`bad bytes-per-sector shift ${bpsShift}`);
  if (spcShift > 25 - bpsShift) throw vol.corrupt(`bad sectors-per-cluster shift ${spcShift}`);
  const bps = 2 ** bpsShift;
  const fatSectors = b.readUInt32LE(84);
  const geo: ExfatGeometry = {
    bytesPerSector: bps,
    clusterSize: bps * 2 ** spcShift,
    fatOffset: b.readUInt32LE(80) * bps,
    fatBytes: fatSectors * bps,
    heapOffset: b.readUInt32LE(88) * bps,
    clusterCount: b.readUInt32LE(92),
    rootCluster: b.readUInt32LE(96),
    serial: b.readUInt32LE(100),
  };
  const fats = b[110]!;
  if (fats !== 1 && fats !== 2) throw vol.corrupt(`bad number of FATs ${fats}`);
  if (geo.clusterCount === 0 || geo.clusterCount > 0xfffffff5) throw vol.corrupt(`bad cluster count ${geo.clusterCount}`);
  if (geo.fatBytes < (geo.clusterCount + 2) * 4)
    throw vol.corrupt(`the FAT (${geo.fatBytes} bytes) is too small for ${geo.clusterCount} clusters`);
  if (geo.heapOffset < geo.fatOffset + geo.fatBytes) throw vol.corrupt('the cluster heap overlaps the FAT');
  if (geo.rootCluster < 2 || geo.rootCluster > geo.clusterCount + 1) throw vol.corrupt(`bad root directory cluster ${geo.rootCluster}`);
  return geo;
}

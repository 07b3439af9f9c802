// The NTFS boot sector: geometry (sector, cluster, MFT record and index block sizes) and where
// $MFT starts. Every field is checked before it sizes anything.
import type { Fail } from './errors.js';

export interface Boot {
  sectorSize: number;
  clusterSize: number;
  totalSectors: number;
  mftLcn: number;
  recordSize: number;
  indexBlockSize: number;
  serial: bigint;
}

const MAX_CLUSTER = 2 * 1024 * 1024;

/** A size coded as clusters when positive, as 2^-n bytes when negative (records, index blocks). */
function codedSize(v: number, clusterSize: number): number {
  return v > 0 ? v * clusterSize : 2 ** -v;
}

export function parseBoot(b: Buffer, deviceSize: number, fail: Fail): Boot {
  if (b.length < 512 || b.toString('latin1', 3, 11) !== 'NTFS    ') throw fail('EFORMAT', 'no NTFS boot sector (OEM id is not "NTFS")');
  const sectorSize = b.readUInt16LE(11);
  if (![256, 512, 1024, 2048, 4096].includes(sectorSize)) throw fail('EFORMAT', `bad bytes per sector ${sectorSize}`);
  const spcRaw = b[13]!;
  // values above 0x80 code 2^(256-v) sectors (clusters of 128 KiB and more)
  const spc = spcRaw > 0x80 ? 2 ** (256 - spcRaw) : spcRaw;
  if (spc === 0 || (spc & (spc - 1)) !== 0) throw fail('EFORMAT', `bad sectors per cluster ${spcRaw}`);
  const clusterSize = sectorSize * spc;
  if (clusterSize > MAX_CLUSTER) throw fail('EFORMAT', `cluster size ${clusterSize} is too large`);
  const totalSectors = Number(b.readBigUInt64LE(40));
  const mftLcn = Number(b.readBigUInt64LE(48));
  if (!Number.isSafeInteger(totalSectors) || !Number.isSafeInteger(mftLcn)) throw fail('EFORMAT', 'boot sector sizes beyond 2^53');
  if (mftLcn * clusterSize >= deviceSize) throw fail('EFORMAT', `$MFT cluster ${mftLcn} lies outside the device`);
  const recordSize = codedSize(b.readInt8(64), clusterSize);
  const indexBlockSize = codedSize(b.readInt8(68), clusterSize);
  if (recordSize < 256 || recordSize > 65536 || (recordSize & (recordSize - 1)) !== 0)
    throw fail('EFORMAT', `bad MFT record size ${recordSize}`);
  if (indexBlockSize < 256 || indexBlockSize > 65536 || (indexBlockSize & (indexBlockSize - 1)) !== 0)
    throw fail('EFORMAT', `bad index block size ${indexBlockSize}`);
  return { sectorSize, clusterSize, totalSectors, mftLcn, recordSize, indexBlockSize, serial: b.readBigUInt64LE(72) };
}

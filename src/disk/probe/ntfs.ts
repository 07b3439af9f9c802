// NTFS: boot sector checks, then the volume name attribute of MFT record 3 ($Volume).
import { magic, type Prober } from './prober.js';

const MAX_CLUSTER = 64 * 1024;

export const ntfs: Prober = {
  name: 'ntfs',
  usage: 'filesystem',
  magics: [magic('NTFS    ', 3)],
  async probe(r, v) {
    const ns = await r.get(0, 84);
    if (!ns) return false;
    const sectorSize = ns.readUInt16LE(11);
    const spc = ns[13]!;
    if (sectorSize < 256 || sectorSize > 4096) return false;
    if (![1, 2, 4, 8, 16, 32, 64, 128].includes(spc)) return false;
    if (sectorSize * spc > MAX_CLUSTER) return false;
    if (ns.readUInt16LE(14) || ns.readUInt16LE(17) || ns.readUInt16LE(19) || ns.readUInt16LE(22) || ns.readUInt32LE(32) || ns[16])
      return false;
    const cpm = ns.readInt8(64);
    const ucpm = ns[64]!;
    if ((ucpm < 0xe1 || ucpm > 0xf7) && ![1, 2, 4, 8, 16, 32, 64].includes(cpm)) return false;
    const recordSize = cpm > 0 ? cpm * spc * sectorSize : 2 ** -cpm;
    const nrClusters = ns.readBigUInt64LE(40) / BigInt(spc);
    const mftLcn = ns.readBigUInt64LE(48);
    if (mftLcn > nrClusters || ns.readBigUInt64LE(56) > nrClusters) return false;
    const off = Number(BigInt.asUintN(64, mftLcn * BigInt(sectorSize) * BigInt(spc)));
    const first = await r.get(off, recordSize);
    if (first?.toString('latin1', 0, 4) !== 'FILE') return false;
    const mft = await r.get(off + 3 * recordSize, recordSize);
    if (mft?.toString('latin1', 0, 4) !== 'FILE') return false;
    let attrOff = mft.readUInt16LE(20);
    const allocated = mft.readUInt32LE(28);
    while (attrOff + 24 <= recordSize && attrOff <= allocated) {
      const len = mft.readUInt32LE(attrOff + 4);
      const type = mft.readUInt32LE(attrOff);
      if (!len || type === 0xffffffff) break;
      if (type === 0x60) {
        const valOff = mft.readUInt16LE(attrOff + 20);
        const valLen = mft.readUInt32LE(attrOff + 16);
        if (attrOff + valOff + valLen <= recordSize) v.utf16Label(mft.subarray(attrOff + valOff, attrOff + valOff + valLen), false);
        break;
      }
      attrOff += len;
    }
    v.set('BLOCK_SIZE', String(sectorSize));
    const serial = ns.subarray(72, 80);
    v.uuidText(serial, ns.readBigUInt64LE(72).toString(16).toUpperCase().padStart(16, '0'));
    return true;
  },
};

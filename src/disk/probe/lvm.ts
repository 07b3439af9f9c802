// LVM2 physical volumes: the label sector (LABELONE) in one of the first four sectors, its CRC,
// and the PV UUID with dashes where LVM prints them (6-4-4-4-4-4-6).
import { lvmCrc } from '../volumes/lvm/crc.js';
import { magic, type Prober } from './prober.js';

const LABEL_SIZE = 512;

export function lvmUuid(id: string): string {
  const cut = [6, 4, 4, 4, 4, 4, 6];
  const parts: string[] = [];
  let at = 0;
  for (const n of cut) {
    parts.push(id.slice(at, at + n));
    at += n;
  }
  return parts.join('-');
}

export const lvm2: Prober = {
  name: 'LVM2_member',
  usage: 'raid',
  magics: [magic('LVM2 001', 0x218), magic('LVM2 001', 0x018), magic('LVM2 001', 0x418), magic('LVM2 001', 0x618)],
  async probe(r, v, mag) {
    if (!mag) return false;
    const kb = Math.floor(mag.offset / 1024);
    let sector = kb * 2;
    const buf = await r.get(kb * 1024, 512 + 64);
    if (!buf) return false;
    let at: number;
    if (buf.toString('latin1', 0, 8) === 'LABELONE') at = 0;
    else if (buf.toString('latin1', 512, 520) === 'LABELONE') {
      at = 512;
      sector++;
    } else return false;
    if (buf.readBigUInt64LE(at + 8) !== BigInt(sector)) return false;
    // the CRC covers the label sector from offset_xl (byte 20) to its end
    const whole = await r.get(kb * 1024 + at, LABEL_SIZE);
    if (!whole || lvmCrc(whole.subarray(20)) !== whole.readUInt32LE(16)) return false;
    const id = whole.subarray(32, 64);
    v.uuidText(id, lvmUuid(id.toString('latin1')));
    v.set('VERSION', 'LVM2 001');
    return true;
  },
};

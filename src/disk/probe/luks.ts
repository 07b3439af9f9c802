// LUKS1 and LUKS2 headers (LUKS2 also from its secondary header when the primary is gone).
import type { Prober } from './prober.js';
import type { ProbeReader } from './reader.js';
import type { ProbeValues } from './values.js';

const MAGIC1 = Buffer.from('LUKS\xba\xbe', 'latin1');
const MAGIC2 = Buffer.from('SKUL\xba\xbe', 'latin1');
const SECONDARY = [0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000];
/** blkid reads the fixed part of the binary header */
const HDR = 512;

function attributes(v: ProbeValues, h: Buffer): void {
  const version = h.readUInt16BE(6);
  v.set('VERSION', String(version));
  if (version === 1) {
    v.uuidString(h.subarray(168, 208));
  } else if (version === 2) {
    v.uuidString(h.subarray(168, 208));
    v.label(h.subarray(24, 72));
    v.idLabel('SUBSYSTEM', h.subarray(208, 256));
  }
}

async function header(r: ProbeReader, off: number): Promise<Buffer | undefined> {
  return r.get(off, HDR);
}

export const luks: Prober = {
  name: 'crypto_LUKS',
  usage: 'crypto',
  async probe(r, v) {
    const h = await header(r, 0);
    if (!h) return false;
    if (h.subarray(0, 6).equals(MAGIC1)) {
      attributes(v, h);
      return true;
    }
    for (const off of SECONDARY) {
      const s = await header(r, off);
      if (!s) return false;
      if (s.subarray(0, 6).equals(MAGIC2) && s.readBigUInt64BE(256) === BigInt(off)) {
        attributes(v, s);
        return true;
      }
    }
    return false;
  },
};

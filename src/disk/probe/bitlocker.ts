// BitLocker (Vista, Windows 7+, To Go): reported as TYPE=BitLocker; the volume stays closed.
import { magic, type Prober } from './prober.js';
import type { ProbeReader } from './reader.js';

const VISTA = Buffer.from('\xeb\x52\x90-FVE-FS-', 'latin1');
const WIN7 = Buffer.from('\xeb\x58\x90-FVE-FS-', 'latin1');
const TOGO = Buffer.from('\xeb\x58\x90MSWIN4.1', 'latin1');

interface Headers {
  kind: 'vista' | 'win7' | 'togo';
  hdr: Buffer;
  fve?: Buffer;
}

/** The boot sector and FVE metadata header, or undefined when this is not BitLocker. */
export async function bitlockerHeaders(r: ProbeReader): Promise<Headers | undefined> {
  const hdr = await r.get(0, 512);
  if (!hdr) return undefined;
  const head = hdr.subarray(0, 11);
  const kind = head.equals(VISTA) ? 'vista' : head.equals(WIN7) ? 'win7' : head.equals(TOGO) ? 'togo' : undefined;
  if (!kind) return undefined;
  if (kind === 'vista') return { kind, hdr };
  const off = hdr.readBigUInt64LE(kind === 'win7' ? 176 : 440);
  if (off === 0n || off > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const fve = await r.get(Number(off), 12);
  if (fve?.toString('latin1', 0, 8) !== '-FVE-FS-') return undefined;
  return { kind, hdr, fve };
}

export const bitlocker: Prober = {
  name: 'BitLocker',
  usage: 'crypto',
  magics: [magic(VISTA, 0), magic(WIN7, 0), magic(TOGO, 0)],
  async probe(r, v) {
    const h = await bitlockerHeaders(r);
    if (!h) return false;
    if (h.kind === 'win7') {
      const serial = h.hdr.readInt32LE(67);
      const text = serial < 0 ? `-${String(-serial).padStart(15, '0')}` : String(serial).padStart(16, '0');
      v.uuidText(h.hdr.subarray(67, 71), text);
    }
    if (h.fve) v.set('VERSION', String(h.fve.readUInt16LE(10)));
    return true;
  },
};

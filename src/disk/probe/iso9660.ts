// ISO 9660: identifiers of the primary volume descriptor, with Joliet's Unicode ones merged in
// where one is a (trimmed, '_'-substituted) copy of the other; the UUID blkid makes from the
// modification (else creation) date; the boot system of an El Torito boot record.
import { magic, type Prober } from './prober.js';
import type { ProbeValues } from './values.js';

const PVD = 0x8000;
const SECTOR = 0x800;
const DESC = 847;
const MERGE_BUF = (128 * 5) / 2;

function dateUuid(v: ProbeValues, d: Buffer): boolean {
  const digits = d.subarray(0, 16);
  if (digits.every((b) => b === 0x30) && d[16] === 0) return false;
  const s = digits.toString('latin1');
  v.uuidText(
    digits,
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}-${s.slice(8, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}-${s.slice(14, 16)}`,
  );
  return true;
}

const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const upper = (b: number): number => (b >= 0x61 && b <= 0x7a ? b - 32 : b);
const isUpper = (b: number): boolean => b >= 0x41 && b <= 0x5a;

/**
 * Joliet's UTF-16BE name where it agrees with the ASCII one ('_' in either standing for what the
 * other holds), continued with the ASCII name's tail; undefined where they disagree.
 */
function merge(utf16: Buffer, ascii: Buffer, len: number): Buffer | undefined {
  const out = Buffer.alloc(MERGE_BUF);
  let o = 0;
  let a = 0;
  let u = 0;
  while (u + 1 < len && a < len && o + 1 < MERGE_BUF) {
    const h = utf16[u]!;
    if (h >= 0xd8 && h <= 0xdb && u + 3 < len && utf16[u + 2]! >= 0xdc && utf16[u + 2]! <= 0xdf) {
      out[o++] = utf16[u++]!;
      out[o++] = utf16[u++]!;
    }
    const c = ascii[a] ?? 0;
    const hi = utf16[u] ?? 0;
    const lo = utf16[u + 1] ?? 0;
    if (o + 1 >= MERGE_BUF) break;
    if (c === 0x5f) {
      out[o] = hi;
      out[o + 1] = lo;
    } else if (hi === 0 && lo === 0x5f) {
      out[o] = 0;
      out[o + 1] = c;
    } else if (hi === 0 && upper(c) === upper(lo)) {
      out[o] = 0;
      out[o + 1] = isUpper(c) ? lo : c;
    } else return undefined;
    o += 2;
    a++;
    u += 2;
  }
  while (a < len && o + 1 < MERGE_BUF) {
    out[o] = 0;
    out[o + 1] = ascii[a]!;
    o += 2;
    a++;
  }
  return o === 0 ? undefined : out.subarray(0, o);
}

function setAlways(v: ProbeValues, name: string, pvd: Buffer, joliet: Buffer | undefined, at: number, len: number): void {
  const ascii = pvd.subarray(at, at + len);
  if (!joliet) {
    v.idLabel(name, ascii);
    return;
  }
  const uni = joliet.subarray(at, at + len);
  v.idUtf16Label(name, merge(uni, ascii, len) ?? uni);
}

function setIfSet(v: ProbeValues, name: string, pvd: Buffer, joliet: Buffer | undefined, at: number): void {
  const ascii = pvd.subarray(at, at + 128);
  const asciiEmpty = ascii[0] === 0 || ascii.every(isSpace) || ascii[0] === 0x5f;
  const uni = joliet?.subarray(at, at + 128);
  const uniEmpty = !uni || uni.every((b, i) => (i % 2 === 0 ? b === 0 : isSpace(b))) || (uni[0] === 0 && uni[1] === 0x5f);
  const merged = uni && !uniEmpty && !asciiEmpty ? merge(uni, ascii, 128) : undefined;
  if (merged) v.idUtf16Label(name, merged);
  else if (uni && !uniEmpty) v.idUtf16Label(name, uni);
  else if (!asciiEmpty) v.idLabel(name, ascii);
}

export const iso9660: Prober = {
  name: 'iso9660',
  usage: 'filesystem',
  tolerant: true,
  magics: [magic('CD001', PVD + 1), magic('CDROM', PVD + 9)],
  async probe(r, v, mag) {
    if (mag?.magic.toString('latin1') === 'CDROM') {
      const hs = await r.get(PVD, 80);
      if (!hs) return false;
      v.set('VERSION', 'High Sierra');
      v.label(hs.subarray(48, 80));
      return true;
    }
    let boot: Buffer | undefined;
    let pvd: Buffer | undefined;
    let joliet: Buffer | undefined;
    for (let i = 0, off = PVD; i < 16 && !(boot && pvd && joliet); i++, off += SECTOR) {
      const d = await r.get(off, DESC);
      if (!d || d[0] === 0xff) break;
      if (!boot && d[0] === 0) boot = d;
      else if (!pvd && d[0] === 1) pvd = d;
      else if (!joliet && d[0] === 2) {
        const esc = d.subarray(88, 91).toString('latin1');
        if (esc === '%/@' || esc === '%/C' || esc === '%/E') joliet = d;
      }
    }
    if (!pvd) return false;
    // blkid 2.38 reports the sector size, whatever the descriptor's logical block size says
    v.set('BLOCK_SIZE', String(SECTOR));
    setAlways(v, 'SYSTEM_ID', pvd, joliet, 8, 32);
    setAlways(v, 'VOLUME_SET_ID', pvd, joliet, 190, 128);
    setIfSet(v, 'PUBLISHER_ID', pvd, joliet, 318);
    setIfSet(v, 'DATA_PREPARER_ID', pvd, joliet, 446);
    setIfSet(v, 'APPLICATION_ID', pvd, joliet, 574);
    if (!dateUuid(v, pvd.subarray(830, 847))) dateUuid(v, pvd.subarray(813, 830));
    if (boot) v.idLabel('BOOT_SYSTEM_ID', boot.subarray(7, 39));
    if (joliet) {
      v.set('VERSION', 'Joliet Extension');
      const uni = joliet.subarray(40, 72);
      v.utf16Label(merge(uni, pvd.subarray(40, 72), 32) ?? uni, true);
    } else v.label(pvd.subarray(40, 72));
    return true;
  },
};
